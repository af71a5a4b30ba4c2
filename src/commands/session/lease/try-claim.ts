/**
 * `tryClaimSessionExecutionLease` (10-session-store §4.1): re-entry for the same incarnation,
 * `busy` for anyone else while the lease is live, a fresh acquisition otherwise.
 */
import type { CommandTx } from '../../../events/database.js';
import { isLive, leaseFromRow, sameIncarnation } from '../../../leases/session-lease.js';
import { clampedAdd } from '../../../numbers.js';
import { LEASE_EXTENDED, type LeaseExtendedData } from '../../../projections/session/events.js';
import type { LeaseOwnerIdentity } from '../../../types/common.js';
import type { SessionExecutionLeaseClaimOutcome } from '../../../types/session.js';
import type { SessionContext } from '../context.js';
import { acquireTx } from './acquire.js';

export function tryClaimTx(
  ctx: SessionContext,
  tx: CommandTx,
  sessionId: string,
  owner: LeaseOwnerIdentity,
  ttlMs: number,
  nonce: string,
): SessionExecutionLeaseClaimOutcome {
  const row = ctx.reads.lease(sessionId);
  if (isLive(row, tx.now)) {
    if (!sameIncarnation(row.owner, owner)) return { kind: 'busy', holder: leaseFromRow(row) };
    const data: LeaseExtendedData = { sessionId, expiresAtMs: clampedAdd(tx.now, ttlMs) };
    tx.emit({ stream: `lease:${sessionId}`, type: LEASE_EXTENDED, data });
    return { kind: 'acquired', lease: leaseFromRow({ ...row, expiresAtMs: data.expiresAtMs }, owner) };
  }
  return acquireTx(tx, sessionId, owner, ttlMs, row?.fencingToken ?? 0, nonce);
}
