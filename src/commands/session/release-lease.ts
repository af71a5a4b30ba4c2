/** The fenced release (10-session-store §4.5), shared by the release command and by commits. */

import type { CommandTx } from '../../events/database.js';
import { releaseMatches } from '../../leases/session-lease.js';
import { LEASE_RELEASED, type LeaseReleasedData } from '../../projections/session/events.js';
import type { SessionExecutionLeaseCompletion } from '../../types/session.js';
import type { SessionContext } from './context.js';

/** Releases the lease iff the completion still names it; otherwise does nothing (never errors). */
export function releaseIfHeld(ctx: SessionContext, tx: CommandTx, completion: SessionExecutionLeaseCompletion): boolean {
  const row = ctx.reads.lease(completion.sessionId);
  if (!releaseMatches(row, completion)) return false;
  const data: LeaseReleasedData = { sessionId: completion.sessionId, fencingToken: completion.fencingToken };
  tx.emit({ stream: `lease:${completion.sessionId}`, type: LEASE_RELEASED, data });
  return true;
}
