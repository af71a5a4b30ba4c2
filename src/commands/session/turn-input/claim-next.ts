/**
 * `claimNextTurnInputs` (10-session-store §3.2.8): at idle, claim the `deferredNextTurn` inputs the
 * caller's generation does not already hold. They stay `deferredNextTurn` while claimed.
 */
import type { CommandTx } from '../../../events/database.js';
import type { LeaseOwnerIdentity } from '../../../types/common.js';
import type { SessionExecutionLeaseFence, TurnInputClaim } from '../../../types/session.js';
import type { SessionContext } from '../context.js';
import { validateFence } from '../fence.js';
import { grantTurnInputsTx } from './grant.js';

export function claimNextTurnInputsTx(
  ctx: SessionContext,
  tx: CommandTx,
  sessionId: string,
  fence: SessionExecutionLeaseFence,
  owner: LeaseOwnerIdentity,
  maxInputs: number,
): TurnInputClaim | null {
  if (maxInputs === 0) return null; // before the fence is validated (Appendix B)
  const generation = validateFence(ctx, sessionId, fence, tx.now);
  const rows = ctx.inputs.nextCandidates(sessionId, generation, maxInputs);
  if (rows.length === 0) return null;
  return grantTurnInputsTx(tx, sessionId, owner, generation, { kind: 'nextTurn' }, rows);
}
