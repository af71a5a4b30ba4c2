/**
 * `claimLeadingReadySessionCommand` (10-session-store §3.3.3): claim the first ready candidate if it
 * is a session command — alone, whatever its slot policy; a leading turn batch means `null`
 * (commands never jump earlier turn work).
 */
import type { CommandTx } from '../../../events/database.js';
import { selectLeadingSessionCommand } from '../../../leases/queue-selection.js';
import { candidateOf } from '../../../projections/session/queued-work.js';
import type { LeaseOwnerIdentity } from '../../../types/common.js';
import type { QueuedWorkClaim, SessionExecutionLeaseFence } from '../../../types/session.js';
import type { SessionContext } from '../context.js';
import { validateFence } from '../fence.js';
import { grantQueuedWorkTx } from './grant.js';

export function claimLeadingReadySessionCommandTx(
  ctx: SessionContext,
  tx: CommandTx,
  sessionId: string,
  fence: SessionExecutionLeaseFence,
  owner: LeaseOwnerIdentity,
): QueuedWorkClaim | null {
  const generation = validateFence(ctx, sessionId, fence, tx.now);
  const rows = ctx.queue.candidates(sessionId, generation, tx.now, 1);
  if (selectLeadingSessionCommand(rows.map(candidateOf)) === 0) return null;
  return grantQueuedWorkTx(ctx.queue, tx, sessionId, owner, generation, rows.slice(0, 1));
}
