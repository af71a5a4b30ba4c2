/**
 * Projection and reads of queued work: `queued_work_batches` (one row per batch, claim columns
 * inline) and `queued_work_items`. Enqueue sequences come from `sequence_counters`, which only
 * grows, so a deleted maximum is never reused.
 */
import type { Statement } from 'better-sqlite3';
import { pack, unpack } from '../../codec.js';
import { corruptData, StoreError } from '../../errors.js';
import { canonicalJson } from '../../json.js';
import type { Db } from '../../sqlite/open.js';
import type {
  DeliveryPolicy,
  MergeKey,
  QueuedWorkBatch,
  QueuedWorkClass,
  QueuedWorkItem,
  QueuedWorkPayload,
  SlotPolicy,
} from '../../types/session.js';
import type { HandlerMap } from '../handlers.js';
import { payload } from './events.js';

export const QUEUED_WORK_ENQUEUED = 'QueuedWorkEnqueued';
export const QUEUED_WORK_COMPLETED = 'QueuedWorkCompleted';
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

/** Handlers for enqueue and completion. */
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
  };
}

interface BatchRow {
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
  claim_token: string | null;
  claim_fencing_token: number;
  claim_session_lease_generation: number;
}

/** Reads of queued work. */
export class QueuedWorkReads {
  readonly #bySourceKey: Statement;
  readonly #byId: Statement;
  readonly #items: Statement;
  readonly #counter: Statement;
  readonly #heldBy: Statement;
  readonly #session: Statement;

  constructor(db: Db) {
    this.#session = db.prepare('SELECT * FROM queued_work_batches WHERE session_id = ? ORDER BY enqueue_seq');
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

  /** Ids of the batches of `sessionId` held by `(claimId, claimToken)`. */
  heldBy(sessionId: string, claimId: string, claimToken: string): string[] {
    return this.#heldBy.all(sessionId, claimId, claimToken) as string[];
  }

  /** Decodes a batch row with its items; damage raises `CorruptData` keyed by the batch id. */
  toBatch(row: BatchRow): QueuedWorkBatch {
    const key = row.batch_id;
    let mergeKey: MergeKey;
    try {
      mergeKey = JSON.parse(row.merge_key) as MergeKey;
    } catch (error) {
      throw corruptData(StoreError, 'queued_work_batches', key, 'undecodable merge key', error);
    }
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
