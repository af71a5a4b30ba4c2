/**
 * `claimCheckpointWork` (10-session-store §3.3.6): a read-only probe first — with the fence's
 * generation, unvalidated — and only if it finds work, one write transaction that validates the
 * fence once and claims active turn input, then checkpoint-eligible queued work, with one `now`.
 */
import type { CommandTx } from '../../../events/database.js';
import { candidateOf } from '../../../projections/session/queued-work.js';
import type { LeaseOwnerIdentity } from '../../../types/common.js';
import type { CheckpointKind, QueuedWorkClaim, SessionExecutionLeaseFence, TurnInputClaim } from '../../../types/session.js';
import type { SessionContext } from '../context.js';
import { validateFence } from '../fence.js';
import { claimActiveUnderGenerationTx } from '../turn-input/claim-active.js';
import { claimReadyUnderGenerationTx } from './claim-ready.js';

/**
 * Step 1, inside a read transaction: whether an active input of `turnId` admitted at `checkpoint`
 * is claimable by `generation`, or the first ready candidate is checkpoint-eligible turn work.
 */
export function checkpointWorkPending(
  ctx: SessionContext,
  sessionId: string,
  generation: number,
  turnId: string,
  checkpoint: CheckpointKind,
  maxInputs: number,
  maxBatches: number,
  now: number,
): boolean {
  if (maxInputs > 0 && ctx.inputs.activeCandidates(sessionId, generation, turnId, checkpoint, 1).length > 0) return true;
  if (maxBatches > 0) {
    const first = ctx.queue.candidates(sessionId, generation, now, 1)[0];
    if (first !== undefined) {
      const head = candidateOf(first);
      return head.workClass === 'turnWork' && head.deliveryPolicy === 'earliestSafeBoundary';
    }
  }
  return false;
}

/** Step 2, inside the write transaction: validate once, then claim both families. */
export function claimCheckpointWorkTx(
  ctx: SessionContext,
  tx: CommandTx,
  sessionId: string,
  fence: SessionExecutionLeaseFence,
  owner: LeaseOwnerIdentity,
  turnId: string,
  checkpoint: CheckpointKind,
  maxInputs: number,
  maxBatches: number,
): [TurnInputClaim | null, QueuedWorkClaim | null] {
  const generation = validateFence(ctx, sessionId, fence, tx.now);
  const inputs =
    maxInputs > 0 ? claimActiveUnderGenerationTx(ctx, tx, sessionId, generation, owner, turnId, checkpoint, maxInputs) : null;
  const queued =
    maxBatches > 0
      ? claimReadyUnderGenerationTx(ctx, tx, sessionId, generation, owner, 'activeTurnCheckpoint', maxBatches)
      : null;
  return [inputs, queued];
}
