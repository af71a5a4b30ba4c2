/** `renewSessionExecutionLease` (10-session-store §4.3): extend a still-live lease; never changes the generation. */

import { StoreError } from '../../../errors.js';
import type { CommandTx } from '../../../events/database.js';
import { fenceMatches } from '../../../leases/session-lease.js';
import { clampedAdd } from '../../../numbers.js';
import { LEASE_EXTENDED, type LeaseExtendedData } from '../../../projections/session/events.js';
import type { SessionExecutionLease, SessionExecutionLeaseFence } from '../../../types/session.js';
import type { SessionContext } from '../context.js';

export function renewTx(
  ctx: SessionContext,
  tx: CommandTx,
  fence: SessionExecutionLeaseFence,
  ttlMs: number,
): SessionExecutionLease {
  const row = ctx.reads.lease(fence.sessionId);
  if (!row || !fenceMatches(row, fence, fence.sessionId, tx.now)) {
    throw new StoreError(
      'SessionExecutionLeaseExpired',
      `session execution lease for session \`${fence.sessionId}\` is missing or expired`,
      { sessionId: fence.sessionId },
    );
  }
  const data: LeaseExtendedData = { sessionId: fence.sessionId, expiresAtMs: clampedAdd(tx.now, ttlMs) };
  tx.emit({ stream: `lease:${fence.sessionId}`, type: LEASE_EXTENDED, data });
  return {
    sessionId: fence.sessionId,
    owner: fence.owner,
    leaseToken: fence.leaseToken,
    fencingToken: fence.fencingToken,
    claimedAtEpochMs: row.claimedAtMs,
    expiresAtEpochMs: data.expiresAtMs,
  };
}
