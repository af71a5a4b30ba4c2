/**
 * `reclaimSessionExecutionLease` (10-session-store §4.2): take over a live lease only with an exact
 * observed-holder match and a same-host, same-boot proof that the holder's process is dead. A stale
 * observation can never clear a newer lease; the IMMEDIATE transaction makes the compare-and-set
 * atomic, so of two concurrent reclaimers exactly one wins.
 */
import type { CommandTx } from '../../../events/database.js';
import { isDefinitelyDeadForClaimant } from '../../../leases/liveness.js';
import { isLive, leaseFromRow, sameIncarnation } from '../../../leases/session-lease.js';
import type { LeaseOwnerIdentity, LivenessProbe } from '../../../types/common.js';
import type { SessionExecutionLeaseClaimOutcome, SessionExecutionLeaseFence } from '../../../types/session.js';
import type { SessionContext } from '../context.js';
import { acquireTx } from './acquire.js';

export function reclaimTx(
  ctx: SessionContext,
  tx: CommandTx,
  sessionId: string,
  claimant: LeaseOwnerIdentity,
  observed: SessionExecutionLeaseFence,
  ttlMs: number,
  nonce: string,
  probe: LivenessProbe,
): SessionExecutionLeaseClaimOutcome {
  const row = ctx.reads.lease(sessionId);
  if (!isLive(row, tx.now)) return acquireTx(tx, sessionId, claimant, ttlMs, row?.fencingToken ?? 0, nonce);
  const matches =
    observed.sessionId === sessionId &&
    sameIncarnation(row.owner, observed.owner) &&
    row.leaseToken === observed.leaseToken &&
    row.fencingToken === observed.fencingToken;
  if (matches && isDefinitelyDeadForClaimant(row.owner.liveness, claimant.liveness, probe)) {
    return acquireTx(tx, sessionId, claimant, ttlMs, row.fencingToken, nonce);
  }
  return { kind: 'busy', holder: leaseFromRow(row) };
}
