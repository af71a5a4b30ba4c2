/**
 * The cancellation core `cancelRow` (10-session-store §3.2.3), pure over a decoded row and the
 * session's live lease generation (R5). Terminal rows report what they are; `accepted` rows are
 * locked out whatever their claim's liveness; pending rows are cancelled unless a live claim holds
 * them.
 */
import type { StoredTurnInput } from '../../../projections/session/turn-input.js';
import type { PendingTurnInputCancelOutcome, PendingTurnInputClaimDiagnostics } from '../../../types/session.js';

/** The outcome for `row`, and the row as it is after a cancel (null when it is not cancelled). */
export interface CancelDecision {
  outcome: PendingTurnInputCancelOutcome;
  after: StoredTurnInput | null;
}

function diagnostics(row: StoredTurnInput): PendingTurnInputClaimDiagnostics | null {
  const { claim, input } = row;
  if (claim.claimToken === null && input.state !== 'accepted') return null;
  return {
    state: input.state,
    claimId: claim.claimId,
    claimOwner: claim.claimOwner,
    claimSessionLeaseGeneration: claim.claimToken !== null ? claim.claimSessionLeaseGeneration : null,
    claimFencingToken: claim.claimFencingToken,
  };
}

/** Decides the cancel of one row; `liveGeneration` is the session's live lease generation or null. */
export function cancelRow(row: StoredTurnInput, liveGeneration: number | null): CancelDecision {
  const { input, claim } = row;
  switch (input.state) {
    case 'cancelled':
      return { outcome: { kind: 'alreadyCancelled', input }, after: null };
    case 'completed':
      return { outcome: { kind: 'alreadyCompleted', input }, after: null };
    case 'accepted':
      return { outcome: { kind: 'alreadyClaimed', input, claim: diagnostics(row) }, after: null };
    default: {
      const live = claim.claimToken !== null && claim.claimSessionLeaseGeneration === liveGeneration;
      if (live) return { outcome: { kind: 'alreadyClaimed', input, claim: diagnostics(row) }, after: null };
      const after: StoredTurnInput = {
        input: { ...input, state: 'cancelled' },
        claim: { ...claim, claimId: null, claimOwner: null, claimToken: null, claimSessionLeaseGeneration: 0 },
      };
      return { outcome: { kind: 'cancelled', input: after.input }, after };
    }
  }
}
