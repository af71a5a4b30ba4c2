/**
 * Projection and reads of queued work: `queued_work_batches` (one row per batch, claim columns
 * inline) and `queued_work_items`. Enqueue sequences come from `sequence_counters`, which only
 * grows, so a deleted maximum is never reused. Claims, abandons and cancels are events too, and
 * every generated value (claim id, tokens, per-row fencing tokens) is in their payloads.
 */
import type { Statement } from 'better-sqlite3';
import { pack, unpack } from '../../codec.js';
import { corruptData, StoreError } from '../../errors.js';
import { canonicalJson } from '../../json.js';
import type { Db } from '../../sqlite/open.js';
import type { LeaseOwnerIdentity } from '../../types/common.js';
import type {
  ClaimCandidate,
  ClaimColumns,
  DeliveryPolicy,
  MergeKey,
  QueuedWorkBatch,
  QueuedWorkClass,
  QueuedWorkItem,
  QueuedWorkPayload,
  SlotPolicy,
} from '../../types/session.js';
import type { HandlerMap } from '../handlers.js';
import { CLEAR_CLAIM_SQL, ClaimRaceLost, decodeClaimOwner, firstAcrossGenerations } from './claims.js';
import { payload } from './events.js';

export const QUEUED_WORK_ENQUEUED = 'QueuedWorkEnqueued';
export const QUEUED_WORK_COMPLETED = 'QueuedWorkCompleted';
export const QUEUED_WORK_CLAIMED = 'QueuedWorkClaimed';
export const QUEUED_WORK_CLAIM_ABANDONED = 'QueuedWorkClaimAbandoned';
export const QUEUED_WORK_CANCELLED = 'QueuedWorkCancelled';
export const QUEUE_COUNTER = 'queued_work';

export interface QueuedWorkEnqueuedData {
  batch: QueuedWorkBatch;
  workClass: QueuedWorkClass;
}
export interface QueuedWorkCompletedData {
  sessionId: string;
  claimId: string;
  batchIds: string[];
}

/** One grant: the claim lease and, per claimed batch in order, its new row fencing token. */
export interface QueuedWorkClaimedData {
  sessionId: string;
  claimId: string;
  leaseToken: string;
  fencingToken: number;
  sessionLeaseGeneration: number;
  owner: LeaseOwnerIdentity;
  batchIds: string[];
  rowFencingTokens: number[];
}
/** The batches an abandon released (the rows that matched `(claimId, leaseToken)`). */
export interface QueuedWorkClaimAbandonedData {
  sessionId: string;
  claimId: string;
  leaseToken: string;
  batchIds: string[];
}
export interface QueuedWorkCancelledData {
  sessionId: string;
  batchId: string;
}

/** The class of a payload list: undefined when empty or mixed. */
export function classOf(payloads: readonly QueuedWorkPayload[]): QueuedWorkClass | undefined {
  let cls: QueuedWorkClass | undefined;
  for (const p of payloads) {
    const c: QueuedWorkClass = p.kind === 'sessionCommand' ? 'sessionCommand' : 'turnWork';
    if (cls !== undefined && cls !== c) return undefined;
    cls = c;
  }
  return cls;
}

/** Handlers for every queued-work event: enqueue, claim, abandon, cancel and commit completion. */
export function queuedWorkHandlers(db: Db): HandlerMap {
  const insertBatch = db.prepare(
    `INSERT INTO queued_work_batches (batch_id, session_id, enqueue_seq, source_key, work_class, delivery_policy,
       slot_policy, merge_key, available_at_ms, enqueued_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertItem = db.prepare('INSERT INTO queued_work_items (item_id, batch_id, ordinal, payload) VALUES (?, ?, ?, ?)');
  const bumpCounter = db.prepare(
    'INSERT INTO sequence_counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = max(value, excluded.value)',
  );
  const deleteBatch = db.prepare('DELETE FROM queued_work_batches WHERE batch_id = ? AND session_id = ? AND claim_id = ?');
  const deleteItems = db.prepare('DELETE FROM queued_work_items WHERE batch_id = ?');
  const claim = db.prepare(
    `UPDATE queued_work_batches SET claim_id = ?, claim_owner = ?, claim_token = ?, claim_fencing_token = ?,
       claim_session_lease_generation = ? WHERE batch_id = ? AND session_id = ? AND claim_session_lease_generation <> ?`,
  );
  const abandon = db.prepare(
    `UPDATE queued_work_batches SET ${CLEAR_CLAIM_SQL} WHERE batch_id = ? AND session_id = ? AND claim_id = ? AND claim_token = ?`,
  );
  const cancel = db.prepare('DELETE FROM queued_work_batches WHERE batch_id = ? AND session_id = ?');
  return {
    [QUEUED_WORK_ENQUEUED]: (data) => {
      const { batch: b, workClass } = payload<QueuedWorkEnqueuedData>(data);
      insertBatch.run(
        b.batchId,
        b.sessionId,
        b.enqueueSeq,
        b.sourceKey,
        workClass,
        b.deliveryPolicy,
        b.slotPolicy,
        canonicalJson(b.mergeKey),
        b.availableAtMs,
        b.enqueuedAtMs,
      );
      b.items.forEach((item, i) => {
        insertItem.run(item.itemId, b.batchId, i, pack(item.payload));
      });
      bumpCounter.run(QUEUE_COUNTER, b.enqueueSeq);
    },
    [QUEUED_WORK_COMPLETED]: (data) => {
      const d = payload<QueuedWorkCompletedData>(data);
      for (const id of d.batchIds) {
        if (deleteBatch.run(id, d.sessionId, d.claimId).changes > 0) deleteItems.run(id);
      }
    },
    [QUEUED_WORK_CLAIMED]: (data) => {
      const d = payload<QueuedWorkClaimedData>(data);
      const owner = pack(d.owner);
      d.batchIds.forEach((id, i) => {
        const fencing = d.rowFencingTokens[i] as number;
        const changed = claim.run(
          d.claimId,
          owner,
          d.leaseToken,
          fencing,
          d.sessionLeaseGeneration,
          id,
          d.sessionId,
          d.sessionLeaseGeneration,
        ).changes;
        // R8: a row that is gone or already held by this generation cannot be claimed.
        if (changed !== 1) throw new ClaimRaceLost('queued_work_batches', id);
      });
    },
    [QUEUED_WORK_CLAIM_ABANDONED]: (data) => {
      const d = payload<QueuedWorkClaimAbandonedData>(data);
      for (const id of d.batchIds) abandon.run(id, d.sessionId, d.claimId, d.leaseToken);
    },
    [QUEUED_WORK_CANCELLED]: (data) => {
      const d = payload<QueuedWorkCancelledData>(data);
      if (cancel.run(d.batchId, d.sessionId).changes > 0) deleteItems.run(d.batchId);
    },
  };
}

/** A stored batch row (claim columns inline). */
export interface BatchRow {
  batch_id: string;
  session_id: string;
  enqueue_seq: number;
  source_key: string | null;
  work_class: string;
  delivery_policy: string;
  slot_policy: string;
  merge_key: string;
  available_at_ms: number;
  enqueued_at_ms: number;
  claim_id: string | null;
  claim_owner: Uint8Array | null;
  claim_token: string | null;
  claim_fencing_token: number;
  claim_session_lease_generation: number;
}

const WORK_CLASSES = new Set(['sessionCommand', 'turnWork']);
const DELIVERY_POLICIES = new Set(['earliestSafeBoundary', 'afterCurrentTurnCommit']);
const SLOT_POLICIES = new Set(['join', 'exclusive']);

function decodeMergeKey(row: BatchRow): MergeKey {
  let value: unknown;
  try {
    value = JSON.parse(row.merge_key);
  } catch (error) {
    throw corruptData(StoreError, 'queued_work_batches', row.batch_id, 'undecodable merge key', error);
  }
  const m = value as { kind?: unknown; group?: unknown } | null;
  const ok =
    m !== null &&
    typeof m === 'object' &&
    (m.kind === 'never' || m.kind === 'payloadDefault' || (m.kind === 'group' && typeof m.group === 'string'));
  if (!ok) throw corruptData(StoreError, 'queued_work_batches', row.batch_id, 'merge key has the wrong shape');
  return value as MergeKey;
}

/** The selection view of a row; an unknown class or policy is `CorruptData` (R11). */
export function candidateOf(row: BatchRow): ClaimCandidate {
  const key = row.batch_id;
  if (!WORK_CLASSES.has(row.work_class)) {
    throw corruptData(StoreError, 'queued_work_batches', key, `undefined work class ${JSON.stringify(row.work_class)}`);
  }
  if (!DELIVERY_POLICIES.has(row.delivery_policy)) {
    throw corruptData(StoreError, 'queued_work_batches', key, `unknown delivery policy ${JSON.stringify(row.delivery_policy)}`);
  }
  if (!SLOT_POLICIES.has(row.slot_policy)) {
    throw corruptData(StoreError, 'queued_work_batches', key, `unknown slot policy ${JSON.stringify(row.slot_policy)}`);
  }
  return {
    enqueueSeq: row.enqueue_seq,
    claimFencingToken: row.claim_fencing_token,
    workClass: row.work_class as QueuedWorkClass,
    deliveryPolicy: row.delivery_policy as DeliveryPolicy,
    slotPolicy: row.slot_policy as SlotPolicy,
    mergeKey: decodeMergeKey(row),
  };
}

/** The claim columns of a row. */
export function claimColumnsOf(row: BatchRow): ClaimColumns {
  return {
    claimId: row.claim_id,
    claimOwner: decodeClaimOwner('queued_work_batches', row.batch_id, row.claim_owner),
    claimToken: row.claim_token,
    claimFencingToken: row.claim_fencing_token,
    claimSessionLeaseGeneration: row.claim_session_lease_generation,
  };
}

/** One index seek: the next distinct claim generation of a session after `?` (a loose index scan). */
export const QUEUED_NEXT_GENERATION_SQL = `SELECT claim_session_lease_generation FROM queued_work_batches
  INDEXED BY queued_work_batches_claimable
  WHERE session_id = ? AND claim_session_lease_generation > ? ORDER BY claim_session_lease_generation LIMIT 1`;

/** One ordered index range: the first available batches of one claim generation. */
export const QUEUED_READY_IN_GENERATION_SQL = `SELECT * FROM queued_work_batches INDEXED BY queued_work_batches_claimable
  WHERE session_id = ? AND claim_session_lease_generation = ? AND available_at_ms <= ?
  ORDER BY enqueue_seq LIMIT ?`;

/** Reads of queued work. */
export class QueuedWorkReads {
  readonly #bySourceKey: Statement;
  readonly #byId: Statement;
  readonly #items: Statement;
  readonly #counter: Statement;
  readonly #heldBy: Statement;
  readonly #session: Statement;
  readonly #sessionUnheldBy: Statement;
  readonly #rowInSession: Statement;
  readonly #nextGeneration: Statement;
  readonly #readyInGeneration: Statement;

  constructor(db: Db) {
    this.#session = db.prepare('SELECT * FROM queued_work_batches WHERE session_id = ? ORDER BY enqueue_seq');
    this.#sessionUnheldBy = db.prepare(
      `SELECT * FROM queued_work_batches WHERE session_id = ? AND (claim_token IS NULL OR claim_session_lease_generation <> ?)
         ORDER BY enqueue_seq`,
    );
    this.#rowInSession = db.prepare('SELECT * FROM queued_work_batches WHERE batch_id = ? AND session_id = ?');
    this.#nextGeneration = db.prepare(QUEUED_NEXT_GENERATION_SQL).pluck();
    this.#readyInGeneration = db.prepare(QUEUED_READY_IN_GENERATION_SQL);
    this.#bySourceKey = db.prepare('SELECT * FROM queued_work_batches WHERE session_id = ? AND source_key = ?');
    this.#byId = db.prepare('SELECT * FROM queued_work_batches WHERE batch_id = ?');
    this.#items = db.prepare('SELECT item_id, payload FROM queued_work_items WHERE batch_id = ? ORDER BY ordinal');
    this.#counter = db.prepare('SELECT value FROM sequence_counters WHERE name = ?').pluck();
    this.#heldBy = db
      .prepare('SELECT batch_id FROM queued_work_batches WHERE session_id = ? AND claim_id = ? AND claim_token = ?')
      .pluck();
  }

  /** The next enqueue sequence number (never reused). */
  nextEnqueueSeq(): number {
    return ((this.#counter.get(QUEUE_COUNTER) as number | undefined) ?? 0) + 1;
  }

  /** The batch `(sessionId, sourceKey)`, or null. */
  bySourceKey(sessionId: string, sourceKey: string): QueuedWorkBatch | null {
    const row = this.#bySourceKey.get(sessionId, sourceKey) as BatchRow | undefined;
    return row ? this.toBatch(row) : null;
  }

  /** The batch with `batchId`, or null. */
  byId(batchId: string): QueuedWorkBatch | null {
    const row = this.#byId.get(batchId) as BatchRow | undefined;
    return row ? this.toBatch(row) : null;
  }

  /** Every batch of `sessionId` by enqueue sequence. */
  listSession(sessionId: string): QueuedWorkBatch[] {
    return (this.#session.all(sessionId) as BatchRow[]).map((row) => this.toBatch(row));
  }

  /** The row of batch `batchId` in `sessionId`, or null. */
  row(sessionId: string, batchId: string): BatchRow | null {
    return (this.#rowInSession.get(batchId, sessionId) as BatchRow | undefined) ?? null;
  }

  /**
   * `candidates(S, g, now)` of §3.3.2, first `limit` rows: batches of `sessionId` that are available
   * (`availableAtMs <= now`) and claimable by generation `generation` (R4: unclaimed or held by
   * another generation), by `enqueue_seq`. Filtering happens before the limit, and rows held by
   * `generation` are never visited (they sit in their own index partition).
   */
  candidates(sessionId: string, generation: number, now: number, limit: number): BatchRow[] {
    return firstAcrossGenerations(
      (after) => this.#nextGeneration.get(sessionId, after) as number | undefined,
      (g, n) => this.#readyInGeneration.all(sessionId, g, now, n) as BatchRow[],
      generation,
      limit,
    );
  }

  /**
   * Batches of `sessionId` without a live claim (R5), by enqueue sequence. `liveGeneration` is the
   * fencing token of the session's live lease, or null when there is none (then no claim is live).
   */
  listWithoutLiveClaim(sessionId: string, liveGeneration: number | null): QueuedWorkBatch[] {
    const rows = (
      liveGeneration === null ? this.#session.all(sessionId) : this.#sessionUnheldBy.all(sessionId, liveGeneration)
    ) as BatchRow[];
    return rows.map((row) => this.toBatch(row));
  }

  /** Ids of the batches of `sessionId` held by `(claimId, claimToken)`. */
  heldBy(sessionId: string, claimId: string, claimToken: string): string[] {
    return this.#heldBy.all(sessionId, claimId, claimToken) as string[];
  }

  /** Decodes a batch row with its items; damage raises `CorruptData` keyed by the batch id. */
  toBatch(row: BatchRow): QueuedWorkBatch {
    const key = row.batch_id;
    const mergeKey = decodeMergeKey(row);
    const items = (this.#items.all(row.batch_id) as Array<{ item_id: string; payload: Uint8Array }>).map(
      (item): QueuedWorkItem => {
        let p: unknown;
        try {
          p = unpack(item.payload);
        } catch (error) {
          throw corruptData(StoreError, 'queued_work_items', key, 'undecodable item payload', error);
        }
        if (p === null || typeof p !== 'object' || typeof (p as { kind?: unknown }).kind !== 'string') {
          throw corruptData(StoreError, 'queued_work_items', key, 'item payload has no kind');
        }
        return { itemId: item.item_id, payload: p as QueuedWorkPayload };
      },
    );
    return {
      batchId: row.batch_id,
      sessionId: row.session_id,
      enqueueSeq: row.enqueue_seq,
      sourceKey: row.source_key,
      deliveryPolicy: row.delivery_policy as DeliveryPolicy,
      slotPolicy: row.slot_policy as SlotPolicy,
      mergeKey,
      availableAtMs: row.available_at_ms,
      enqueuedAtMs: row.enqueued_at_ms,
      items,
    };
  }
}
