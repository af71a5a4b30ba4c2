/**
 * `recordIntent` (20-blobs-attachments-lifecycle §4.3): upsert of a write-ahead intent. A re-put
 * takes the new uri, intent time and owner but never touches the commit stamp, so a committed ref
 * stays committed; an identical re-put changes nothing and appends nothing.
 */
import type { CommandTx } from '../../../events/database.js';
import {
  ATTACHMENT_INTENT_RECORDED,
  type AttachmentIntentRecordedData,
  type AttachmentManifestReads,
} from '../../../projections/session/attachments.js';
import type { AttachmentIntent } from '../../../types/attachments.js';

export function recordIntentTx(reads: AttachmentManifestReads, tx: CommandTx, intent: AttachmentIntent): void {
  const existing = reads.row(intent.sessionId, intent.attachmentId);
  if (
    existing &&
    existing.canonicalUri === intent.canonicalUri &&
    existing.intentAtEpochMs === intent.intentAtEpochMs &&
    existing.ownerKind === intent.ownerKind &&
    existing.ownerId === intent.ownerId
  ) {
    return;
  }
  const data: AttachmentIntentRecordedData = { intent };
  tx.emit({ stream: `attachments:${intent.sessionId}`, type: ATTACHMENT_INTENT_RECORDED, data });
}
