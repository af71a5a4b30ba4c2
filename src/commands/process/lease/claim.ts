/**
 * Process leases (30-process-registry §3.8): claim with same-incarnation re-entry, fenced acquisition
 * after the retained fencing token, and the lease token derivation. Every outcome that changes the
 * row is an event carrying the full decision (token, fencing, times).
 */
import type { CommandTx } from '../../../events/database.js';
import { sha256Hex } from '../../../json.js';
import { clampedAdd } from '../../../numbers.js';
import {
  PROCESS_LEASE_ACQUIRED,
  PROCESS_LEASE_EXTENDED,
  type ProcessLeaseAcquiredData,
  type ProcessLeaseExtendedData,
  processStream,
} from '../../../projections/process/events.js';
import { isLiveLease, leaseFromRow } from '../../../projections/process/reads.js';
import { PROCESS_LEASE_SCHEMA_VERSION } from '../../../stores/versions-process.js';
import type { LeaseOwnerIdentity } from '../../../types/common.js';
import type { ProcessLease, ProcessLeaseClaimOutcome } from '../../../types/process.js';
import { type ProcessContext, requireProcess } from '../context.js';

/** sha256hex(`{processId}:{ownerId}:{incarnationId}:{now}:{fencingToken}:{nonce}`). */
export function processLeaseToken(
  processId: string,
  owner: LeaseOwnerIdentity,
  now: number,
  fencingToken: number,
  nonce: string,
): string {
  return sha256Hex(`${processId}:${owner.ownerId}:${owner.incarnationId}:${now}:${fencingToken}:${nonce}`);
}

/** Same `ownerId` and `incarnationId`. */
export function sameIncarnation(a: LeaseOwnerIdentity, b: LeaseOwnerIdentity): boolean {
  return a.ownerId === b.ownerId && a.incarnationId === b.incarnationId;
}

/** A fresh acquisition with fencing `previousFencing + 1`. */
export function acquireProcessLeaseTx(
  tx: CommandTx,
  processId: string,
  owner: LeaseOwnerIdentity,
  ttlMs: number,
  previousFencing: number,
  nonce: string,
): ProcessLeaseClaimOutcome {
  const fencingToken = previousFencing + 1;
  const data: ProcessLeaseAcquiredData = {
    processId,
    owner,
    leaseToken: processLeaseToken(processId, owner, tx.now, fencingToken, nonce),
    fencingToken,
    claimedAtEpochMs: tx.now,
    expiresAtEpochMs: clampedAdd(tx.now, ttlMs),
  };
  tx.emit({ stream: processStream(processId), type: PROCESS_LEASE_ACQUIRED, data });
  const lease: ProcessLease = {
    schemaVersion: PROCESS_LEASE_SCHEMA_VERSION,
    processId,
    owner,
    leaseToken: data.leaseToken,
    fencingToken,
    claimedAtEpochMs: data.claimedAtEpochMs,
    expiresAtEpochMs: data.expiresAtEpochMs,
  };
  return { kind: 'acquired', lease };
}

/** `claimProcessLease`: re-entry for the same incarnation, busy for others while live, else acquire. */
export function claimProcessLeaseTx(
  ctx: ProcessContext,
  tx: CommandTx,
  processId: string,
  owner: LeaseOwnerIdentity,
  ttlMs: number,
  nonce: string,
): ProcessLeaseClaimOutcome {
  requireProcess(ctx, processId);
  const row = ctx.reads.lease(processId);
  if (isLiveLease(row, tx.now)) {
    if (!sameIncarnation(row.owner, owner)) return { kind: 'busy', holder: leaseFromRow(row) };
    const data: ProcessLeaseExtendedData = { processId, leaseToken: row.leaseToken, expiresAtEpochMs: clampedAdd(tx.now, ttlMs) };
    tx.emit({ stream: processStream(processId), type: PROCESS_LEASE_EXTENDED, data });
    return { kind: 'acquired', lease: leaseFromRow({ ...row, expiresAtEpochMs: data.expiresAtEpochMs }) };
  }
  return acquireProcessLeaseTx(tx, processId, owner, ttlMs, row?.fencingToken ?? 0, nonce);
}
