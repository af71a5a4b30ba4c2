/** Validation of the manifest operations' inputs (20-blobs-attachments-lifecycle §4.3). */
import { backendError, StoreError } from '../../../errors.js';
import type { AttachmentIntent, AttachmentOwnerKind } from '../../../types/attachments.js';
import { v } from '../inputs.js';

const OWNER_KINDS: readonly AttachmentOwnerKind[] = ['turn', 'process'];

/**
 * A normalized intent. Wrong types are `InvalidArgument`; an owner that is half set or of an
 * unknown kind is `Backend`, as the table's CHECK constraints would report it (§4.3).
 */
export function attachmentIntentInput(value: unknown): AttachmentIntent {
  const o = v.object(value, 'intent');
  const attachmentId = v.string(o.attachmentId, 'intent.attachmentId');
  const sessionId = v.string(o.sessionId, 'intent.sessionId');
  const canonicalUri = v.string(o.canonicalUri, 'intent.canonicalUri');
  const intentAtEpochMs = v.count(o.intentAtEpochMs, 'intent.intentAtEpochMs');
  const kind = o.ownerKind === undefined ? null : o.ownerKind;
  const ownerId = v.nullableString(o.ownerId, 'intent.ownerId');
  if (kind !== null && !OWNER_KINDS.includes(kind as AttachmentOwnerKind)) {
    throw backendError(
      StoreError,
      `CHECK constraint failed: attachment owner_kind must be 'turn' or 'process', got ${String(kind)}`,
    );
  }
  if ((kind === null) !== (ownerId === null)) {
    throw backendError(
      StoreError,
      'CHECK constraint failed: attachment owner_kind and owner_id must both be null or both be set',
    );
  }
  return { attachmentId, sessionId, canonicalUri, intentAtEpochMs, ownerKind: kind as AttachmentOwnerKind | null, ownerId };
}

/** A list of attachment ids. */
export function attachmentIdsInput(value: unknown, path: string): string[] {
  return v.array(value, path).map((id, i) => v.string(id, `${path}[${i}]`));
}
