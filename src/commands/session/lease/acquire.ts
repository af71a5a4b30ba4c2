/** Shared step of claim and reclaim: a fresh acquisition after the row's fencing token. */
import type { CommandTx } from '../../../events/database.js';
import { acquire, leaseFromAcquired } from '../../../leases/session-lease.js';
import { LEASE_ACQUIRED, type LeaseAcquiredData } from '../../../projections/session/events.js';
import type { LeaseOwnerIdentity } from '../../../types/common.js';
import type { SessionExecutionLeaseClaimOutcome } from '../../../types/session.js';

export function acquireTx(
  tx: CommandTx,
  sessionId: string,
  owner: LeaseOwnerIdentity,
  ttlMs: number,
  previousFencing: number,
  nonce: string,
): SessionExecutionLeaseClaimOutcome {
  const data: LeaseAcquiredData = acquire(sessionId, owner, ttlMs, previousFencing, tx.now, nonce);
  tx.emit({ stream: `lease:${sessionId}`, type: LEASE_ACQUIRED, data });
  return { kind: 'acquired', lease: leaseFromAcquired(data) };
}
