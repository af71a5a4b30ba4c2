/**
 * Content identity and small helpers shared by the attachment stores (20-blobs-attachments-lifecycle
 * §4.6–§4.7): the content id, the canonical URI, the durability tier of a persistence kind, the
 * defaults of the optional `AttachmentStore` members, and validation of put metadata.
 */
import { invalidArgument, StoreError } from '../errors.js';
import { sha256Hex } from '../json.js';
import type {
  AttachmentCreateMeta,
  AttachmentRef,
  AttachmentStore,
  AttachmentStorePersistence,
  AttachmentTypeMetadata,
  StoredBlobRef,
} from '../types/attachments.js';
import type { DurabilityTier } from '../types/common.js';

/** The content id of attachment bytes: lowercase hex SHA-256. */
export function contentId(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array)) throw invalidArgument(StoreError, 'bytes', 'a Uint8Array');
  return sha256Hex(bytes);
}

/** The canonical URI of a content id: `lash-attachment://sha256/<id>`. */
export function canonicalAttachmentUri(id: string): string {
  return `lash-attachment://sha256/${id}`;
}

/** `'ephemeral'` → `'inline'`, `'durable'` → `'durable'`. */
export function attachmentDurabilityTier(persistence: AttachmentStorePersistence): DurabilityTier {
  if (persistence === 'durable') return 'durable';
  if (persistence === 'ephemeral') return 'inline';
  throw invalidArgument(StoreError, 'persistence', "'ephemeral' or 'durable'");
}

/** A backend's persistence, `'ephemeral'` when it does not say. */
export function persistenceOf(backend: AttachmentStore): AttachmentStorePersistence {
  return backend.persistence ? backend.persistence() : 'ephemeral';
}

/** A backend's `head(id)`, or a scan of its `list()` when it has none. */
export async function headOf(backend: AttachmentStore, id: string): Promise<StoredBlobRef | null> {
  if (backend.head) return backend.head(id);
  return (await backend.list()).find((entry) => entry.id === id) ?? null;
}

/** Validates put bytes. */
export function attachmentBytesInput(value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw invalidArgument(StoreError, 'bytes', 'a Uint8Array');
  return value;
}

function nullableDimension(value: unknown, path: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidArgument(StoreError, path, 'a number or null');
  return value;
}

/** Validates put metadata and fills absent members with null. */
export function attachmentMetaInput(value: unknown): {
  mediaType: string;
  typeMetadata: AttachmentTypeMetadata | null;
  label: string | null;
} {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidArgument(StoreError, 'meta', 'an object');
  const m = value as Record<string, unknown>;
  if (typeof m.mediaType !== 'string') throw invalidArgument(StoreError, 'meta.mediaType', 'a string');
  let typeMetadata: AttachmentTypeMetadata | null = null;
  if (m.typeMetadata !== undefined && m.typeMetadata !== null) {
    const t = m.typeMetadata as Record<string, unknown>;
    if (typeof t !== 'object' || t.kind !== 'image') throw invalidArgument(StoreError, 'meta.typeMetadata.kind', "'image'");
    typeMetadata = {
      kind: 'image',
      width: nullableDimension(t.width, 'meta.typeMetadata.width'),
      height: nullableDimension(t.height, 'meta.typeMetadata.height'),
    };
  }
  if (m.label !== undefined && m.label !== null && typeof m.label !== 'string') {
    throw invalidArgument(StoreError, 'meta.label', 'a string or null');
  }
  return { mediaType: m.mediaType, typeMetadata, label: (m.label as string | null | undefined) ?? null };
}

/** The `AttachmentRef` a put returns: identity from the bytes, presentation echoed from the call. */
export function attachmentRefOf(id: string, bytes: Uint8Array, meta: AttachmentCreateMeta): AttachmentRef {
  const m = attachmentMetaInput(meta);
  return { id, mediaType: m.mediaType, byteLen: bytes.length, typeMetadata: m.typeMetadata, label: m.label };
}
