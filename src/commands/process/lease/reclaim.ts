/**
 * `reclaimProcessLease` (30-process-registry §3.8): a fenced early takeover from a provably dead
 * holder. The observation must match the stored owner, token and fencing, and the death proof runs
 * over the *stored* holder's liveness; inside the IMMEDIATE transaction this is a compare-and-swap,
 * so of several reclaims of one observation exactly one acquires.
 */
import type { CommandTx } from '../../../events/database.js';
import { isDefinitelyDeadForClaimant } from '../../../leases/liveness.js';
import { leaseFromRow } from '../../../projections/process/reads.js';
import type { LeaseOwnerIdentity } from '../../../types/common.js';
import type { ProcessLease, ProcessLeaseClaimOutcome } from '../../../types/process.js';
import { type ProcessContext, requireProcess } from '../context.js';
import { acquireProcessLeaseTx, sameIncarnation } from './claim.js';

export function reclaimProcessLeaseTx(
  ctx: ProcessContext,
  tx: CommandTx,
  processId: string,
  claimant: LeaseOwnerIdentity,
  observed: ProcessLease,
  ttlMs: number,
  nonce: string,
): ProcessLeaseClaimOutcome {
  requireProcess(ctx, processId);
  const row = ctx.reads.lease(processId);
  if (row === null || row.owner === null || row.leaseToken === null) {
    return acquireProcessLeaseTx(tx, processId, claimant, ttlMs, row?.fencingToken ?? 0, nonce);
  }
  const held = { ...row, owner: row.owner, leaseToken: row.leaseToken };
  if (row.expiresAtEpochMs <= tx.now) return acquireProcessLeaseTx(tx, processId, claimant, ttlMs, row.fencingToken, nonce);
  const matches =
    observed.processId === processId &&
    sameIncarnation(held.owner, observed.owner) &&
    held.leaseToken === observed.leaseToken &&
    held.fencingToken === observed.fencingToken;
  if (matches && isDefinitelyDeadForClaimant(held.owner.liveness, claimant.liveness, ctx.probe)) {
    return acquireProcessLeaseTx(tx, processId, claimant, ttlMs, row.fencingToken, nonce);
  }
  return { kind: 'busy', holder: leaseFromRow(held) };
}
