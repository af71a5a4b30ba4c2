/**
 * `claimReadyQueuedWork` (10-session-store §3.3.4): validate the fence, then claim the prefix of
 * the ready candidates that `selectTurnWorkClaimPrefix` picks. Candidates are read in growing pages
 * so a claim of a few batches reads a few rows, whatever the queue depth.
 */
import type { CommandTx } from '../../../events/database.js';
import { selectTurnWorkClaimPrefix } from '../../../leases/queue-selection.js';
import { type BatchRow, candidateOf, type QueuedWorkReads } from '../../../projections/session/queued-work.js';
import type { LeaseOwnerIdentity } from '../../../types/common.js';
import type { QueuedWorkClaim, QueuedWorkClaimBoundary, SessionExecutionLeaseFence } from '../../../types/session.js';
import type { SessionContext } from '../context.js';
import { validateFence } from '../fence.js';
import { grantQueuedWorkTx } from './grant.js';

const FIRST_PAGE = 32;

/**
 * The rows a turn-work claim by generation `generation` would take at `now`: the selection of
 * §3.3.2 over the filtered candidates, read page by page until the join run provably ends.
 */
export function readyTurnWorkPrefix(
  queue: QueuedWorkReads,
  sessionId: string,
  generation: number,
  now: number,
  boundary: QueuedWorkClaimBoundary,
  maxBatches: number,
): BatchRow[] {
  let limit = Math.min(maxBatches, FIRST_PAGE);
  for (;;) {
    const rows = queue.candidates(sessionId, generation, now, limit);
    const n = selectTurnWorkClaimPrefix(rows.map(candidateOf), boundary, maxBatches);
    // The run stopped inside the page, the queue ran out, or the cap is reached: the answer is final.
    if (n < rows.length || rows.length < limit || limit >= maxBatches) return rows.slice(0, n);
    limit = Math.min(maxBatches, limit * 4);
  }
}

/** Claims ready turn work under `fence`, or returns null when nothing is selected. */
export function claimReadyQueuedWorkTx(
  ctx: SessionContext,
  tx: CommandTx,
  sessionId: string,
  fence: SessionExecutionLeaseFence,
  owner: LeaseOwnerIdentity,
  boundary: QueuedWorkClaimBoundary,
  maxBatches: number,
): QueuedWorkClaim | null {
  if (maxBatches === 0) return null; // before the fence is validated (Appendix B)
  const generation = validateFence(ctx, sessionId, fence, tx.now);
  return claimReadyUnderGenerationTx(ctx, tx, sessionId, generation, owner, boundary, maxBatches);
}

/** The claim step after fence validation (shared with `claimCheckpointWork`). */
export function claimReadyUnderGenerationTx(
  ctx: SessionContext,
  tx: CommandTx,
  sessionId: string,
  generation: number,
  owner: LeaseOwnerIdentity,
  boundary: QueuedWorkClaimBoundary,
  maxBatches: number,
): QueuedWorkClaim | null {
  const rows = readyTurnWorkPrefix(ctx.queue, sessionId, generation, tx.now, boundary, maxBatches);
  return rows.length === 0 ? null : grantQueuedWorkTx(ctx.queue, tx, sessionId, owner, generation, rows);
}
