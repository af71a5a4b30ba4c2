/** `forget` (20-blobs-attachments-lifecycle §4.3): deletes one row, committed or not; a missing row is a no-op. */
import type { CommandTx } from '../../../events/database.js';
import {
  ATTACHMENT_FORGOTTEN,
  type AttachmentForgottenData,
  type AttachmentManifestReads,
} from '../../../projections/session/attachments.js';

export function forgetTx(reads: AttachmentManifestReads, tx: CommandTx, sessionId: string, attachmentId: string): void {
  if (reads.row(sessionId, attachmentId) === null) return;
  const data: AttachmentForgottenData = { sessionId, attachmentId };
  tx.emit({ stream: `attachments:${sessionId}`, type: ATTACHMENT_FORGOTTEN, data });
}
