/**
 * `abandonTurnInputClaim(s)` (10-session-store §3.2.9): no fence; for the inputs still held by
 * `(claimId, leaseToken)`, put `accepted` ones back (`pendingActive` for an active-mode claim),
 * leave other states as they are, and clear the claim. Claims that match nothing append nothing.
 */
import type { CommandTx } from '../../../events/database.js';
import {
  TURN_INPUT_CLAIM_ABANDONED,
  type TurnInputClaimAbandonedData,
  type TurnInputReads,
} from '../../../projections/session/turn-input.js';
import type { TurnInputClaimMode } from '../../../types/session.js';

/** What an abandon needs of a claim. */
export interface TurnInputClaimRef {
  sessionId: string;
  claimId: string;
  leaseToken: string;
  mode: TurnInputClaimMode;
}

/** Applies the singular rule to each claim in order inside the caller's transaction. */
export function abandonTurnInputClaimsTx(inputs: TurnInputReads, tx: CommandTx, claims: readonly TurnInputClaimRef[]): void {
  for (const claim of claims) {
    const inputIds = inputs.heldBy(claim.sessionId, claim.claimId, claim.leaseToken);
    if (inputIds.length === 0) continue;
    const data: TurnInputClaimAbandonedData = {
      sessionId: claim.sessionId,
      claimId: claim.claimId,
      leaseToken: claim.leaseToken,
      restoreState: claim.mode.kind === 'activeTurn' ? 'pendingActive' : 'deferredNextTurn',
      inputIds,
    };
    tx.emit({ stream: `input:${claim.sessionId}`, type: TURN_INPUT_CLAIM_ABANDONED, data });
  }
}
