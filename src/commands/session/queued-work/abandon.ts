/**
 * `abandonQueuedWorkClaim(s)` (10-session-store §3.3.7): no fence; clear the claim on every batch
 * still held by `(claimId, leaseToken)`. `claimFencingToken` is kept, so the next grant of the batch
 * gets a higher one. Claims that match nothing append nothing.
 */
import type { CommandTx } from '../../../events/database.js';
import {
  QUEUED_WORK_CLAIM_ABANDONED,
  type QueuedWorkClaimAbandonedData,
  type QueuedWorkReads,
} from '../../../projections/session/queued-work.js';

/** What an abandon needs of a claim. */
export interface QueuedWorkClaimRef {
  sessionId: string;
  claimId: string;
  leaseToken: string;
}

/** Applies each claim in order inside the caller's transaction. */
export function abandonQueuedWorkClaimsTx(queue: QueuedWorkReads, tx: CommandTx, claims: readonly QueuedWorkClaimRef[]): void {
  for (const claim of claims) {
    const batchIds = queue.heldBy(claim.sessionId, claim.claimId, claim.leaseToken);
    if (batchIds.length === 0) continue;
    const data: QueuedWorkClaimAbandonedData = {
      sessionId: claim.sessionId,
      claimId: claim.claimId,
      leaseToken: claim.leaseToken,
      batchIds,
    };
    tx.emit({ stream: `queue:${claim.sessionId}`, type: QUEUED_WORK_CLAIM_ABANDONED, data });
  }
}
