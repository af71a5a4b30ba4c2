/**
 * `claimActiveTurnInputs` (10-session-store §3.2.7): at a checkpoint of turn `turnId`, claim the
 * pending active inputs addressed to it whose minimum boundary admits the checkpoint. They become
 * `accepted` and are never selected by any claim again.
 */
import type { CommandTx } from '../../../events/database.js';
import type { LeaseOwnerIdentity } from '../../../types/common.js';
import type { CheckpointKind, SessionExecutionLeaseFence, TurnInputClaim } from '../../../types/session.js';
import type { SessionContext } from '../context.js';
import { validateFence } from '../fence.js';
import { grantTurnInputsTx } from './grant.js';

export function claimActiveTurnInputsTx(
  ctx: SessionContext,
  tx: CommandTx,
  sessionId: string,
  fence: SessionExecutionLeaseFence,
  owner: LeaseOwnerIdentity,
  turnId: string,
  checkpoint: CheckpointKind,
  maxInputs: number,
): TurnInputClaim | null {
  if (maxInputs === 0) return null; // before the fence is validated (Appendix B)
  const generation = validateFence(ctx, sessionId, fence, tx.now);
  return claimActiveUnderGenerationTx(ctx, tx, sessionId, generation, owner, turnId, checkpoint, maxInputs);
}

/** Steps 3–5 after fence validation (shared with `claimCheckpointWork`). */
export function claimActiveUnderGenerationTx(
  ctx: SessionContext,
  tx: CommandTx,
  sessionId: string,
  generation: number,
  owner: LeaseOwnerIdentity,
  turnId: string,
  checkpoint: CheckpointKind,
  maxInputs: number,
): TurnInputClaim | null {
  const rows = ctx.inputs.activeCandidates(sessionId, generation, turnId, checkpoint, maxInputs);
  if (rows.length === 0) return null;
  return grantTurnInputsTx(tx, sessionId, owner, generation, { kind: 'activeTurn', turnId, checkpoint }, rows);
}
