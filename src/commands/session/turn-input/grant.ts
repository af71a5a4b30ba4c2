/**
 * The shared last step of both turn-input claims (R7, R8): derive the claim lease from the first
 * selected input and append one `TurnInputsClaimed` event. Active mode moves the inputs to
 * `accepted`; next mode leaves them `deferredNextTurn` (held by the claim).
 */
import type { CommandTx } from '../../../events/database.js';
import { deriveTurnInputClaimLease } from '../../../leases/queue-selection.js';
import {
  type StoredTurnInput,
  TURN_INPUTS_CLAIMED,
  type TurnInputsClaimedData,
} from '../../../projections/session/turn-input.js';
import type { LeaseOwnerIdentity } from '../../../types/common.js';
import type { TurnInputClaim, TurnInputClaimMode } from '../../../types/session.js';

/** Claims `rows` (non-empty, in order) for `owner` under lease generation `generation`. */
export function grantTurnInputsTx(
  tx: CommandTx,
  sessionId: string,
  owner: LeaseOwnerIdentity,
  generation: number,
  mode: TurnInputClaimMode,
  rows: readonly StoredTurnInput[],
): TurnInputClaim {
  const head = rows[0] as StoredTurnInput;
  const lease = deriveTurnInputClaimLease(
    { enqueueSeq: head.input.enqueueSeq, claimFencingToken: head.claim.claimFencingToken },
    sessionId,
    owner,
    tx.now,
    generation,
  );
  const state = mode.kind === 'activeTurn' ? 'accepted' : 'deferredNextTurn';
  const data: TurnInputsClaimedData = {
    sessionId,
    claimId: lease.claimId,
    leaseToken: lease.leaseToken,
    fencingToken: lease.fencingToken,
    sessionLeaseGeneration: generation,
    owner,
    mode,
    state,
    inputIds: rows.map((r) => r.input.inputId),
    rowFencingTokens: rows.map((r) => r.claim.claimFencingToken + 1),
  };
  tx.emit({ stream: `input:${sessionId}`, type: TURN_INPUTS_CLAIMED, data });
  return {
    sessionId,
    claimId: lease.claimId,
    owner,
    leaseToken: lease.leaseToken,
    fencingToken: lease.fencingToken,
    sessionLeaseGeneration: generation,
    mode,
    inputs: rows.map((r) => ({ ...r.input, state })),
  };
}
