/**
 * Projection and reads of pending user turn input (`pending_turn_inputs`, 10-session-store §2.7,
 * §3.2): enqueue, claims (active mode → `accepted`, next mode stays `deferredNextTurn`), abandon,
 * cancel, and what commits settle (completion and interrupt deferral, §3.1.2 steps 13–14). Every
 * generated value (input id, enqueue sequence, claim id, tokens, per-row fencing tokens, `now`) is
 * in the event payloads, so replay rebuilds identical rows.
 */
import type { Statement } from 'better-sqlite3';
import { pack, unpack } from '../../codec.js';
import { corruptData, StoreError } from '../../errors.js';
import type { Db } from '../../sqlite/open.js';
import type { LeaseOwnerIdentity } from '../../types/common.js';
import type {
  CheckpointKind,
  ClaimColumns,
  PendingTurnInput,
  TurnInput,
  TurnInputClaimMode,
  TurnInputIngress,
  TurnInputState,
} from '../../types/session.js';
import type { HandlerMap } from '../handlers.js';
import { CLEAR_CLAIM_SQL, ClaimRaceLost, decodeClaimOwner, firstAcrossGenerations } from './claims.js';
import { payload } from './events.js';

export const TURN_INPUT_ENQUEUED = 'TurnInputEnqueued';
export const TURN_INPUTS_CLAIMED = 'TurnInputsClaimed';
export const TURN_INPUT_CLAIM_ABANDONED = 'TurnInputClaimAbandoned';
export const TURN_INPUTS_CANCELLED = 'TurnInputsCancelled';
export const TURN_INPUTS_COMPLETED = 'TurnInputsCompleted';
export const TURN_INPUTS_DEFERRED = 'TurnInputsDeferred';
export const INPUT_COUNTER = 'pending_turn_input';

export interface TurnInputEnqueuedData {
  /** The stored row, exactly as inserted (claim columns empty). */
  input: PendingTurnInput;
}
/** One grant: the claim lease, its mode, and per claimed input in order its new row fencing token. */
export interface TurnInputsClaimedData {
  sessionId: string;
  claimId: string;
  leaseToken: string;
  fencingToken: number;
  sessionLeaseGeneration: number;
  owner: LeaseOwnerIdentity;
  mode: TurnInputClaimMode;
  /** `accepted` for active mode, `deferredNextTurn` for next mode. */
  state: TurnInputState;
  inputIds: string[];
  rowFencingTokens: number[];
}
/** The inputs an abandon released; `accepted` rows go back to `restoreState`. */
export interface TurnInputClaimAbandonedData {
  sessionId: string;
  claimId: string;
  leaseToken: string;
  restoreState: 'pendingActive' | 'deferredNextTurn';
  inputIds: string[];
}
export interface TurnInputsCancelledData {
  sessionId: string;
  inputIds: string[];
}
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

/** Handlers for every turn-input event. */
export function turnInputHandlers(db: Db): HandlerMap {
  const insert = db.prepare(
    `INSERT INTO pending_turn_inputs (input_id, session_id, enqueue_seq, source_key, ingress_kind, ingress_turn_id,
       ingress_min_boundary, state, enqueued_at_ms, input) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const bumpCounter = db.prepare(
    'INSERT INTO sequence_counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = max(value, excluded.value)',
  );
  const claim = db.prepare(
    `UPDATE pending_turn_inputs SET state = ?, claim_id = ?, claim_owner = ?, claim_token = ?, claim_fencing_token = ?,
       claim_session_lease_generation = ? WHERE input_id = ? AND session_id = ? AND claim_session_lease_generation <> ?
       AND state IN ('pendingActive', 'deferredNextTurn')`,
  );
  const abandon = db.prepare(
    `UPDATE pending_turn_inputs SET state = CASE WHEN state = 'accepted' THEN ? ELSE state END, ${CLEAR_CLAIM_SQL}
       WHERE input_id = ? AND session_id = ? AND claim_id = ? AND claim_token = ?`,
  );
  const cancel = db.prepare(
    `UPDATE pending_turn_inputs SET state = 'cancelled', ${CLEAR_CLAIM_SQL} WHERE input_id = ? AND session_id = ?`,
  );
  const complete = db.prepare(
    `UPDATE pending_turn_inputs SET state = 'completed', ${CLEAR_CLAIM_SQL} WHERE input_id = ? AND session_id = ? AND claim_id = ?`,
  );
  const defer = db.prepare(
    `UPDATE pending_turn_inputs SET state = 'deferredNextTurn', ingress_kind = 'nextTurn', ingress_turn_id = NULL,
       ingress_min_boundary = NULL, ${CLEAR_CLAIM_SQL} WHERE input_id = ? AND session_id = ?`,
  );
  return {
    [TURN_INPUT_ENQUEUED]: (data) => {
      const r = payload<TurnInputEnqueuedData>(data).input;
      const active = r.ingress.kind === 'activeTurn' ? r.ingress : null;
      insert.run(
        r.inputId,
        r.sessionId,
        r.enqueueSeq,
        r.sourceKey,
        r.ingress.kind,
        active?.turnId ?? null,
        active?.minBoundary ?? null,
        r.state,
        r.enqueuedAtMs,
        pack(r.input),
      );
      bumpCounter.run(INPUT_COUNTER, r.enqueueSeq);
    },
    [TURN_INPUTS_CLAIMED]: (data) => {
      const d = payload<TurnInputsClaimedData>(data);
      const owner = pack(d.owner);
      d.inputIds.forEach((id, i) => {
        const fencing = d.rowFencingTokens[i] as number;
        const args = [d.state, d.claimId, owner, d.leaseToken, fencing, d.sessionLeaseGeneration, id, d.sessionId];
        // R8: a row that is gone, terminal or already held by this generation cannot be claimed.
        if (claim.run(...args, d.sessionLeaseGeneration).changes !== 1) throw new ClaimRaceLost('pending_turn_inputs', id);
      });
    },
    [TURN_INPUT_CLAIM_ABANDONED]: (data) => {
      const d = payload<TurnInputClaimAbandonedData>(data);
      for (const id of d.inputIds) abandon.run(d.restoreState, id, d.sessionId, d.claimId, d.leaseToken);
    },
    [TURN_INPUTS_CANCELLED]: (data) => {
      const d = payload<TurnInputsCancelledData>(data);
      for (const id of d.inputIds) cancel.run(id, d.sessionId);
    },
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

/** A stored input row. */
export interface InputRow {
  input_id: string;
  session_id: string;
  enqueue_seq: number;
  source_key: string | null;
  ingress_kind: string;
  ingress_turn_id: string | null;
  ingress_min_boundary: string | null;
  state: string;
  enqueued_at_ms: number;
  input: Uint8Array;
  claim_id: string | null;
  claim_owner: Uint8Array | null;
  claim_token: string | null;
  claim_fencing_token: number;
  claim_session_lease_generation: number;
}

/** A decoded input row: the public shape plus its claim columns. */
export interface StoredTurnInput {
  input: PendingTurnInput;
  claim: ClaimColumns;
}

const STATES = new Set<string>(['pendingActive', 'deferredNextTurn', 'accepted', 'cancelled', 'completed']);
const BOUNDARIES = new Set<string>(['afterWork', 'beforeCompletion']);

function decodeIngress(row: InputRow): TurnInputIngress {
  if (row.ingress_kind === 'nextTurn') return { kind: 'nextTurn' };
  if (
    row.ingress_kind === 'activeTurn' &&
    row.ingress_turn_id !== null &&
    row.ingress_min_boundary !== null &&
    BOUNDARIES.has(row.ingress_min_boundary)
  ) {
    return {
      kind: 'activeTurn',
      turnId: row.ingress_turn_id,
      minBoundary: row.ingress_min_boundary as 'afterWork' | 'beforeCompletion',
    };
  }
  throw corruptData(StoreError, 'pending_turn_inputs', row.input_id, 'undecodable ingress');
}

function decodeInput(row: InputRow): TurnInput {
  let value: unknown;
  try {
    value = unpack(row.input);
  } catch (error) {
    throw corruptData(StoreError, 'pending_turn_inputs', row.input_id, 'undecodable turn input', error);
  }
  const v = value as { items?: unknown } | null;
  if (v === null || typeof v !== 'object' || !Array.isArray(v.items)) {
    throw corruptData(StoreError, 'pending_turn_inputs', row.input_id, 'turn input has the wrong shape');
  }
  return value as TurnInput;
}

/** Decodes a row; damage raises `CorruptData` keyed by the input id (R11). */
export function decodeInputRow(row: InputRow): StoredTurnInput {
  if (!STATES.has(row.state)) {
    throw corruptData(StoreError, 'pending_turn_inputs', row.input_id, `unknown state ${JSON.stringify(row.state)}`);
  }
  return {
    input: {
      inputId: row.input_id,
      sessionId: row.session_id,
      enqueueSeq: row.enqueue_seq,
      sourceKey: row.source_key,
      ingress: decodeIngress(row),
      state: row.state as TurnInputState,
      enqueuedAtMs: row.enqueued_at_ms,
      input: decodeInput(row),
    },
    claim: {
      claimId: row.claim_id,
      claimOwner: decodeClaimOwner('pending_turn_inputs', row.input_id, row.claim_owner),
      claimToken: row.claim_token,
      claimFencingToken: row.claim_fencing_token,
      claimSessionLeaseGeneration: row.claim_session_lease_generation,
    },
  };
}

/** Active-mode candidates: one ordered index range over the pending inputs of one turn. */
export const INPUT_ACTIVE_CANDIDATES_SQL = `SELECT * FROM pending_turn_inputs INDEXED BY pending_turn_inputs_active_turn
  WHERE session_id = ? AND state = 'pendingActive' AND ingress_turn_id = ? AND ingress_kind = 'activeTurn'
    AND ingress_min_boundary IN (?, ?) AND claim_session_lease_generation <> ?
  ORDER BY enqueue_seq LIMIT ?`;

/** One index seek: the next distinct claim generation among a session's next-turn inputs. */
export const INPUT_NEXT_GENERATION_SQL = `SELECT claim_session_lease_generation FROM pending_turn_inputs
  INDEXED BY pending_turn_inputs_claimable
  WHERE session_id = ? AND state = 'deferredNextTurn' AND claim_session_lease_generation > ?
  ORDER BY claim_session_lease_generation LIMIT 1`;

/** One ordered index range: the first next-turn inputs of one claim generation. */
export const INPUT_DEFERRED_IN_GENERATION_SQL = `SELECT * FROM pending_turn_inputs INDEXED BY pending_turn_inputs_claimable
  WHERE session_id = ? AND state = 'deferredNextTurn' AND claim_session_lease_generation = ?
  ORDER BY enqueue_seq LIMIT ?`;

/** Reads of pending turn input for its commands and for commit settlement. */
export class TurnInputReads {
  readonly #heldBy: Statement;
  readonly #interruptible: Statement;
  readonly #counter: Statement;
  readonly #bySourceKey: Statement;
  readonly #byId: Statement;
  readonly #exists: Statement;
  readonly #fromSeq: Statement;
  readonly #pending: Statement;
  readonly #pendingUnheldBy: Statement;
  readonly #activeCandidates: Statement;
  readonly #nextGeneration: Statement;
  readonly #deferredInGeneration: Statement;

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
    this.#counter = db.prepare('SELECT value FROM sequence_counters WHERE name = ?').pluck();
    this.#bySourceKey = db.prepare('SELECT * FROM pending_turn_inputs WHERE session_id = ? AND source_key = ?');
    this.#byId = db.prepare('SELECT * FROM pending_turn_inputs WHERE input_id = ? AND session_id = ?');
    this.#exists = db.prepare('SELECT 1 FROM pending_turn_inputs WHERE input_id = ?').pluck();
    this.#fromSeq = db.prepare(
      'SELECT * FROM pending_turn_inputs WHERE session_id = ? AND enqueue_seq >= ? ORDER BY enqueue_seq',
    );
    const pendingStates = "state IN ('pendingActive', 'deferredNextTurn')";
    this.#pending = db.prepare(
      `SELECT * FROM pending_turn_inputs WHERE session_id = ? AND ${pendingStates} ORDER BY enqueue_seq`,
    );
    this.#pendingUnheldBy = db.prepare(
      `SELECT * FROM pending_turn_inputs WHERE session_id = ? AND ${pendingStates}
         AND (claim_token IS NULL OR claim_session_lease_generation <> ?) ORDER BY enqueue_seq`,
    );
    this.#activeCandidates = db.prepare(INPUT_ACTIVE_CANDIDATES_SQL);
    this.#nextGeneration = db.prepare(INPUT_NEXT_GENERATION_SQL).pluck();
    this.#deferredInGeneration = db.prepare(INPUT_DEFERRED_IN_GENERATION_SQL);
  }

  /** The next enqueue sequence number (never reused, even after vacuum). */
  nextEnqueueSeq(): number {
    return ((this.#counter.get(INPUT_COUNTER) as number | undefined) ?? 0) + 1;
  }

  /** The input `(sessionId, sourceKey)` in any state, or null. */
  bySourceKey(sessionId: string, sourceKey: string): StoredTurnInput | null {
    const row = this.#bySourceKey.get(sessionId, sourceKey) as InputRow | undefined;
    return row ? decodeInputRow(row) : null;
  }

  /** The input `inputId` of `sessionId` in any state, or null (another session's id → null). */
  byId(sessionId: string, inputId: string): StoredTurnInput | null {
    const row = this.#byId.get(inputId, sessionId) as InputRow | undefined;
    return row ? decodeInputRow(row) : null;
  }

  /** Whether any session holds an input with this id. */
  exists(inputId: string): boolean {
    return this.#exists.get(inputId) !== undefined;
  }

  /** Every input of `sessionId` with `enqueueSeq >= fromSeq`, any state, ascending. */
  fromSeq(sessionId: string, fromSeq: number): StoredTurnInput[] {
    return (this.#fromSeq.all(sessionId, fromSeq) as InputRow[]).map(decodeInputRow);
  }

  /**
   * Non-terminal, unaccepted inputs of `sessionId` without a live claim (R5), by enqueue sequence.
   * `liveGeneration` is the fencing token of the session's live lease, or null when none is live.
   */
  listWithoutLiveClaim(sessionId: string, liveGeneration: number | null): PendingTurnInput[] {
    const rows = (
      liveGeneration === null ? this.#pending.all(sessionId) : this.#pendingUnheldBy.all(sessionId, liveGeneration)
    ) as InputRow[];
    return rows.map((row) => decodeInputRow(row).input);
  }

  /**
   * Active-mode candidates (§3.2.7 step 3), first `limit`: pending active inputs of `turnId` whose
   * boundary admits `checkpoint` and that generation `generation` may claim (R4), in order.
   */
  activeCandidates(
    sessionId: string,
    generation: number,
    turnId: string,
    checkpoint: CheckpointKind,
    limit: number,
  ): StoredTurnInput[] {
    // An 'afterWork' boundary admits both checkpoints; 'beforeCompletion' only its own.
    const admitted = checkpoint === 'afterWork' ? ['afterWork', 'afterWork'] : ['afterWork', 'beforeCompletion'];
    const rows = this.#activeCandidates.all(sessionId, turnId, ...admitted, generation, limit) as InputRow[];
    return rows.map(decodeInputRow);
  }

  /**
   * Next-mode candidates (§3.2.8 step 3), first `limit`: `deferredNextTurn` inputs claimable by
   * `generation` (R4), in order. Rows that generation holds are never visited.
   */
  nextCandidates(sessionId: string, generation: number, limit: number): StoredTurnInput[] {
    return firstAcrossGenerations(
      (after) => this.#nextGeneration.get(sessionId, after) as number | undefined,
      (g, n) => this.#deferredInGeneration.all(sessionId, g, n) as InputRow[],
      generation,
      limit,
    ).map(decodeInputRow);
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
