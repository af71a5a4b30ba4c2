/** `renewProcessLease` and `completeProcessLease` (30-process-registry §3.8). */
import type { CommandTx } from '../../../events/database.js';
import { clampedAdd } from '../../../numbers.js';
import {
  PROCESS_LEASE_EXTENDED,
  PROCESS_LEASE_RELEASED,
  type ProcessLeaseExtendedData,
  type ProcessLeaseReleasedData,
  processStream,
} from '../../../projections/process/events.js';
import { isLiveLease } from '../../../projections/process/reads.js';
import type { ProcessLease, ProcessLeaseCompletion } from '../../../types/process.js';
import type { ProcessContext } from '../context.js';
import { leaseExpired } from '../errors.js';
import { sameIncarnation } from './claim.js';

/** Extends the caller's still-live lease; anything else (including no process) is `LeaseExpired`. */
export function renewProcessLeaseTx(ctx: ProcessContext, tx: CommandTx, lease: ProcessLease, ttlMs: number): ProcessLease {
  const row = ctx.reads.lease(lease.processId);
  const holds =
    isLiveLease(row, tx.now) &&
    row.leaseToken === lease.leaseToken &&
    sameIncarnation(row.owner, lease.owner) &&
    row.fencingToken === lease.fencingToken;
  if (!holds) throw leaseExpired(lease.processId);
  const data: ProcessLeaseExtendedData = {
    processId: lease.processId,
    leaseToken: lease.leaseToken,
    expiresAtEpochMs: clampedAdd(tx.now, ttlMs),
  };
  tx.emit({ stream: processStream(lease.processId), type: PROCESS_LEASE_EXTENDED, data });
  return {
    schemaVersion: lease.schemaVersion,
    processId: lease.processId,
    owner: lease.owner,
    leaseToken: lease.leaseToken,
    fencingToken: lease.fencingToken,
    claimedAtEpochMs: lease.claimedAtEpochMs,
    expiresAtEpochMs: data.expiresAtEpochMs,
  };
}

/** Releases the lease iff the stored token matches; a stale, repeated or unknown completion is a silent no-op. */
export function completeProcessLeaseTx(ctx: ProcessContext, tx: CommandTx, completion: ProcessLeaseCompletion): void {
  const row = ctx.reads.lease(completion.processId);
  if (row === null || row.leaseToken === null || row.leaseToken !== completion.leaseToken) return;
  const data: ProcessLeaseReleasedData = {
    processId: completion.processId,
    leaseToken: row.leaseToken,
    fencingToken: row.fencingToken,
  };
  tx.emit({ stream: processStream(completion.processId), type: PROCESS_LEASE_RELEASED, data });
}
