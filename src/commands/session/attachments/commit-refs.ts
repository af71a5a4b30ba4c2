/**
 * `commitRefs` (20-blobs-attachments-lifecycle §4.3): stamps `committed_at_ms = now` on the listed
 * rows of one session that are still uncommitted. Update only: an id without a row is a silent
 * no-op and is never inserted; a row already committed keeps its first stamp.
 */
import type { CommandTx } from '../../../events/database.js';
import {
  ATTACHMENT_REFS_COMMITTED,
  type AttachmentManifestReads,
  type AttachmentRefsCommittedData,
} from '../../../projections/session/attachments.js';

export function commitRefsTx(reads: AttachmentManifestReads, tx: CommandTx, sessionId: string, ids: readonly string[]): void {
  const stamped = new Set<string>();
  for (const id of ids) {
    const row = reads.row(sessionId, id);
    if (row && row.committedAtEpochMs === null) stamped.add(id);
  }
  if (stamped.size === 0) return;
  const data: AttachmentRefsCommittedData = { sessionId, attachmentIds: [...stamped], committedAtMs: tx.now };
  tx.emit({ stream: `attachments:${sessionId}`, type: ATTACHMENT_REFS_COMMITTED, data });
}
