/**
 * The shared last step of every queued-work claim (R7, R8): derive the claim lease from the first
 * selected row and append one `QueuedWorkClaimed` event carrying every generated value. The
 * projection handler re-checks each row (R4) and throws `ClaimRaceLost` if one cannot be claimed,
 * which rolls the whole claim back.
 */
import type { CommandTx } from '../../../events/database.js';
import { deriveQueuedWorkClaimLease } from '../../../leases/queue-selection.js';
import {
  type BatchRow,
  candidateOf,
  QUEUED_WORK_CLAIMED,
  type QueuedWorkClaimedData,
  type QueuedWorkReads,
} from '../../../projections/session/queued-work.js';
import type { LeaseOwnerIdentity } from '../../../types/common.js';
import type { QueuedWorkClaim } from '../../../types/session.js';

/** Claims `rows` (non-empty, in result order) for `owner` under lease generation `generation`. */
export function grantQueuedWorkTx(
  queue: QueuedWorkReads,
  tx: CommandTx,
  sessionId: string,
  owner: LeaseOwnerIdentity,
  generation: number,
  rows: readonly BatchRow[],
): QueuedWorkClaim {
  const head = rows[0] as BatchRow;
  const lease = deriveQueuedWorkClaimLease(candidateOf(head), sessionId, owner, tx.now, generation);
  const batches = rows.map((row) => queue.toBatch(row));
  const data: QueuedWorkClaimedData = {
    sessionId,
    claimId: lease.claimId,
    leaseToken: lease.leaseToken,
    fencingToken: lease.fencingToken,
    sessionLeaseGeneration: generation,
    owner,
    batchIds: rows.map((row) => row.batch_id),
    rowFencingTokens: rows.map((row) => row.claim_fencing_token + 1),
  };
  tx.emit({ stream: `queue:${sessionId}`, type: QUEUED_WORK_CLAIMED, data });
  return {
    sessionId,
    claimId: lease.claimId,
    owner,
    leaseToken: lease.leaseToken,
    fencingToken: lease.fencingToken,
    sessionLeaseGeneration: generation,
    batches,
  };
}
