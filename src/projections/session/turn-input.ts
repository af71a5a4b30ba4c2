/**
 * Projection and reads of pending turn input for what commits settle: completion of claimed inputs
 * and interrupt deferral (10-session-store §3.1.2 steps 13–14).
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../../sqlite/open.js';
import type { HandlerMap } from '../handlers.js';
import { payload } from './events.js';

export const TURN_INPUTS_COMPLETED = 'TurnInputsCompleted';
export const TURN_INPUTS_DEFERRED = 'TurnInputsDeferred';
export const INPUT_COUNTER = 'pending_turn_input';

export interface TurnInputsCompletedData {
  sessionId: string;
  claimId: string;
  inputIds: string[];
}
export interface TurnInputsDeferredData {
  sessionId: string;
  turnId: string;
  inputIds: string[];
}

const CLEAR_CLAIM = 'claim_id = NULL, claim_owner = NULL, claim_token = NULL, claim_session_lease_generation = 0';

/** Handlers for completion and deferral. */
export function turnInputHandlers(db: Db): HandlerMap {
  const complete = db.prepare(
    `UPDATE pending_turn_inputs SET state = 'completed', ${CLEAR_CLAIM} WHERE input_id = ? AND session_id = ? AND claim_id = ?`,
  );
  const defer = db.prepare(
    `UPDATE pending_turn_inputs SET state = 'deferredNextTurn', ingress_kind = 'nextTurn', ingress_turn_id = NULL,
       ingress_min_boundary = NULL, ${CLEAR_CLAIM} WHERE input_id = ? AND session_id = ?`,
  );
  return {
    [TURN_INPUTS_COMPLETED]: (data) => {
      const d = payload<TurnInputsCompletedData>(data);
      for (const id of d.inputIds) complete.run(id, d.sessionId, d.claimId);
    },
    [TURN_INPUTS_DEFERRED]: (data) => {
      const d = payload<TurnInputsDeferredData>(data);
      for (const id of d.inputIds) defer.run(id, d.sessionId);
    },
  };
}

/** Reads that commit settlement needs. */
export class TurnInputSettlementReads {
  readonly #heldBy: Statement;
  readonly #interruptible: Statement;

  constructor(db: Db) {
    this.#heldBy = db
      .prepare('SELECT input_id FROM pending_turn_inputs WHERE session_id = ? AND claim_id = ? AND claim_token = ?')
      .pluck();
    this.#interruptible = db
      .prepare(
        `SELECT input_id FROM pending_turn_inputs WHERE session_id = ? AND state = 'pendingActive'
           AND ingress_kind = 'activeTurn' AND ingress_turn_id = ? ORDER BY enqueue_seq`,
      )
      .pluck();
  }

  /** Ids of the inputs of `sessionId` held by `(claimId, claimToken)`. */
  heldBy(sessionId: string, claimId: string, claimToken: string): string[] {
    return this.#heldBy.all(sessionId, claimId, claimToken) as string[];
  }

  /** Pending active inputs of `sessionId` addressed to `turnId`. */
  interruptible(sessionId: string, turnId: string): string[] {
    return this.#interruptible.all(sessionId, turnId) as string[];
  }
}
