/**
 * `cancelQueuedWorkBatch` (10-session-store §3.3.8): no fence; delete a batch that has no live
 * claim (R5: its claim's generation is not the session's live lease generation). A live claim or a
 * missing batch gives `null`, and the caller must not resurrect its local draft.
 */
import type { CommandTx } from '../../../events/database.js';
import { QUEUED_WORK_CANCELLED, type QueuedWorkCancelledData } from '../../../projections/session/queued-work.js';
import type { QueuedWorkBatch } from '../../../types/session.js';
import type { SessionContext } from '../context.js';
import { liveGeneration } from '../fence.js';

export function cancelQueuedWorkBatchTx(
  ctx: SessionContext,
  tx: CommandTx,
  sessionId: string,
  batchId: string,
): QueuedWorkBatch | null {
  const row = ctx.queue.row(sessionId, batchId);
  if (row === null) return null;
  if (row.claim_token !== null && row.claim_session_lease_generation === liveGeneration(ctx, sessionId, tx.now)) return null;
  const batch = ctx.queue.toBatch(row);
  const data: QueuedWorkCancelledData = { sessionId, batchId };
  tx.emit({ stream: `queue:${sessionId}`, type: QUEUED_WORK_CANCELLED, data });
  return batch;
}
