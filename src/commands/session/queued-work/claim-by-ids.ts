/**
 * `claimReadyQueuedWorkByBatchIds` (10-session-store §3.3.5): all-or-nothing, order-sensitive exact
 * selection. Every id must name an available, claimable turn-work batch of the session, and the
 * list must be a valid selection on its own (boundary gate on the first id; exclusive ⇒ one id;
 * join ⇒ all join with equal delivery policy and merge key). Earlier unrelated work may be bypassed.
 */
import type { CommandTx } from '../../../events/database.js';
import { selectTurnWorkClaimPrefix } from '../../../leases/queue-selection.js';
import { type BatchRow, candidateOf } from '../../../projections/session/queued-work.js';
import type { LeaseOwnerIdentity } from '../../../types/common.js';
import type {
  ClaimCandidate,
  QueuedWorkClaim,
  QueuedWorkClaimBoundary,
  SessionExecutionLeaseFence,
} from '../../../types/session.js';
import type { SessionContext } from '../context.js';
import { validateFence } from '../fence.js';
import { grantQueuedWorkTx } from './grant.js';

export function claimReadyQueuedWorkByBatchIdsTx(
  ctx: SessionContext,
  tx: CommandTx,
  sessionId: string,
  fence: SessionExecutionLeaseFence,
  owner: LeaseOwnerIdentity,
  boundary: QueuedWorkClaimBoundary,
  batchIds: readonly string[],
): QueuedWorkClaim | null {
  if (batchIds.length === 0) return null; // before the fence is validated
  const generation = validateFence(ctx, sessionId, fence, tx.now);
  const rows: BatchRow[] = [];
  const candidates: ClaimCandidate[] = [];
  const seen = new Set<string>();
  for (const id of batchIds) {
    // A repeated id would be claimed twice: the list is not a valid selection.
    if (seen.has(id)) return null;
    seen.add(id);
    const row = ctx.queue.row(sessionId, id);
    if (row === null || row.available_at_ms > tx.now) return null;
    if (row.claim_token !== null && row.claim_session_lease_generation === generation) return null; // R4
    const candidate = candidateOf(row);
    if (candidate.workClass !== 'turnWork') return null;
    rows.push(row);
    candidates.push(candidate);
  }
  if (selectTurnWorkClaimPrefix(candidates, boundary, candidates.length) !== candidates.length) return null;
  return grantQueuedWorkTx(ctx.queue, tx, sessionId, owner, generation, rows);
}
