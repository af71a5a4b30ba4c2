/**
 * Projection and reads of the trigger database: subscriptions, occurrences, deliveries and mutation
 * receipts. Handlers write exactly what the event carries (records as canonical JSON).
 */
import type { Statement } from 'better-sqlite3';
import { TriggerStoreError } from '../../errors.js';
import { canonicalJson } from '../../json.js';
import type { Db } from '../../sqlite/open.js';
import { triggerOwnerNamespace } from '../../triggers/identity.js';
import type { TriggerSubscriptionRecord } from '../../types/trigger.js';
import { composeProjector, type HandlerMap } from '../handlers.js';
import type { ProjectionSpec } from '../types.js';
import {
  payload,
  TRIGGER_DELIVERY_RESERVED,
  TRIGGER_MUTATION_RECEIPT_RECORDED,
  TRIGGER_MUTATION_RECEIPTS_PRUNED,
  TRIGGER_OCCURRENCE_RECORDED,
  TRIGGER_SESSION_SUBSCRIPTIONS_TOMBSTONED,
  TRIGGER_SUBSCRIPTION_WRITTEN,
  type TriggerDeliveryReservedData,
  type TriggerMutationReceiptRecordedData,
  type TriggerMutationReceiptsPrunedData,
  type TriggerOccurrenceRecordedData,
  type TriggerSessionSubscriptionsTombstonedData,
  type TriggerSubscriptionWrittenData,
} from './events.js';

/** Handlers of every trigger event. */
export function triggerHandlers(db: Db): HandlerMap {
  const upsert = db.prepare(
    `INSERT INTO trigger_subscriptions (subscription_id, owner_scope, subscription_key, incarnation, revision, definition_hash,
       source_type, source_key, enabled, tombstoned, created_at_ms, updated_at_ms, record_json)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(subscription_id) DO UPDATE SET owner_scope = excluded.owner_scope, subscription_key = excluded.subscription_key,
       incarnation = excluded.incarnation, revision = excluded.revision, definition_hash = excluded.definition_hash,
       source_type = excluded.source_type, source_key = excluded.source_key, enabled = excluded.enabled,
       tombstoned = excluded.tombstoned, updated_at_ms = excluded.updated_at_ms, record_json = excluded.record_json`,
  );
  const insertReceipt = db.prepare(
    'INSERT INTO trigger_mutation_receipts (operation_id, request_hash, result_json, created_at_ms) VALUES (?, ?, ?, ?)',
  );
  const deleteReceipt = db.prepare('DELETE FROM trigger_mutation_receipts WHERE operation_id = ?');
  const insertOccurrence = db.prepare(
    `INSERT INTO trigger_occurrences (occurrence_id, idempotency_key, request_hash, source_type, source_key, occurred_at_ms, record_json)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertDelivery = db.prepare(
    `INSERT INTO trigger_deliveries (occurrence_id, subscription_id, process_id, subscription_incarnation, subscription_revision,
       subscription_snapshot_json, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const write = (r: TriggerSubscriptionRecord): void => {
    upsert.run(
      r.subscriptionId,
      triggerOwnerNamespace(r.ownerScope),
      r.subscriptionKey,
      r.incarnation,
      r.revision,
      r.definitionHash,
      r.sourceType,
      r.sourceKey,
      r.enabled ? 1 : 0,
      r.tombstoned ? 1 : 0,
      r.createdAtMs,
      r.updatedAtMs,
      canonicalJson(r),
    );
  };
  return {
    [TRIGGER_SUBSCRIPTION_WRITTEN]: (data) => write(payload<TriggerSubscriptionWrittenData>(data).record),
    [TRIGGER_SESSION_SUBSCRIPTIONS_TOMBSTONED]: (data) => {
      for (const record of payload<TriggerSessionSubscriptionsTombstonedData>(data).records) write(record);
    },
    [TRIGGER_MUTATION_RECEIPT_RECORDED]: (data) => {
      const d = payload<TriggerMutationReceiptRecordedData>(data);
      insertReceipt.run(d.receiptId, d.requestHash, d.resultJson, d.createdAtMs);
    },
    [TRIGGER_MUTATION_RECEIPTS_PRUNED]: (data) => {
      for (const id of payload<TriggerMutationReceiptsPrunedData>(data).receiptIds) deleteReceipt.run(id);
    },
    [TRIGGER_OCCURRENCE_RECORDED]: (data) => {
      const { record: r, requestHash } = payload<TriggerOccurrenceRecordedData>(data);
      insertOccurrence.run(
        r.occurrenceId,
        r.idempotencyKey,
        requestHash,
        r.sourceType,
        r.sourceKey,
        r.occurredAtMs,
        canonicalJson(r),
      );
    },
    [TRIGGER_DELIVERY_RESERVED]: (data) => {
      const d = payload<TriggerDeliveryReservedData>(data);
      insertDelivery.run(
        d.occurrenceId,
        d.subscriptionId,
        d.processId,
        d.incarnation,
        d.revision,
        canonicalJson(d.snapshot),
        d.createdAtMs,
      );
    },
  };
}

/** Projection tables of the trigger database. */
export const triggerProjections: ProjectionSpec = {
  tables: [
    { name: 'trigger_subscriptions', key: ['subscription_id'] },
    { name: 'trigger_occurrences', key: ['occurrence_id'] },
    { name: 'trigger_deliveries', key: ['occurrence_id', 'subscription_id'] },
    { name: 'trigger_mutation_receipts', key: ['operation_id'] },
  ],
  createProjector: (db) => composeProjector(db, TriggerStoreError, [triggerHandlers]),
};

/** A subscription row's scan columns. */
export interface SubscriptionRow {
  subscription_id: string;
  owner_scope: string;
  subscription_key: string;
  record_json: string;
}

/** An occurrence row. */
export interface OccurrenceRow {
  occurrence_id: string;
  request_hash: string;
  record_json: string;
}

/** A delivery joined with its occurrence. */
export interface DeliveryRow {
  occurrence_id: string;
  subscription_id: string;
  process_id: string;
  subscription_snapshot_json: string;
  created_at_ms: number;
  occurrence_json: string;
}

/** A receipt row. */
export interface ReceiptRow {
  operation_id: string;
  request_hash: string;
  result_json: string;
  created_at_ms: number;
}

const DELIVERY_SELECT = `SELECT d.occurrence_id, d.subscription_id, d.process_id, d.subscription_snapshot_json, d.created_at_ms,
  o.record_json AS occurrence_json FROM trigger_deliveries d JOIN trigger_occurrences o ON o.occurrence_id = d.occurrence_id`;
const DELIVERY_ORDER = 'ORDER BY d.created_at_ms, d.occurrence_id, d.subscription_id';

/** Reads of the trigger projections. */
export class TriggerReads {
  readonly #subscription: Statement;
  readonly #listSubscriptions: Statement;
  readonly #ownerLive: Statement;
  readonly #matching: Statement;
  readonly #matchingInOwner: Statement;
  readonly #receipt: Statement;
  readonly #receiptsBefore: Statement;
  readonly #occurrenceByIdempotency: Statement;
  readonly #listOccurrences: Statement;
  readonly #deliveriesByOccurrence: Statement;
  readonly #deliveriesBySubscription: Statement;
  readonly #deliveriesByProcess: Statement;
  readonly #deliveries: Statement;

  constructor(db: Db) {
    const cols = 'subscription_id, owner_scope, subscription_key, record_json';
    this.#subscription = db.prepare(`SELECT ${cols} FROM trigger_subscriptions WHERE subscription_id = ?`);
    this.#listSubscriptions = db.prepare(
      `SELECT ${cols} FROM trigger_subscriptions WHERE tombstoned = 0
         AND (@owner IS NULL OR owner_scope = @owner) AND (@key IS NULL OR subscription_key = @key)
         AND (@sourceType IS NULL OR source_type = @sourceType) AND (@sourceKey IS NULL OR source_key = @sourceKey)
         AND (@enabled IS NULL OR enabled = @enabled)
       ORDER BY owner_scope, subscription_key`,
    );
    this.#ownerLive = db.prepare(
      `SELECT ${cols} FROM trigger_subscriptions WHERE owner_scope = ? AND tombstoned = 0 ORDER BY subscription_key`,
    );
    this.#matching = db.prepare(
      `SELECT ${cols} FROM trigger_subscriptions WHERE source_type = ? AND source_key = ? AND enabled = 1 AND tombstoned = 0
       ORDER BY owner_scope, subscription_key`,
    );
    this.#matchingInOwner = db.prepare(
      `SELECT ${cols} FROM trigger_subscriptions WHERE source_type = ? AND source_key = ? AND enabled = 1 AND tombstoned = 0
         AND owner_scope = ? ORDER BY owner_scope, subscription_key`,
    );
    this.#receipt = db.prepare('SELECT * FROM trigger_mutation_receipts WHERE operation_id = ?');
    this.#receiptsBefore = db
      .prepare('SELECT operation_id FROM trigger_mutation_receipts WHERE created_at_ms < ? ORDER BY operation_id')
      .pluck();
    this.#occurrenceByIdempotency = db.prepare(
      'SELECT occurrence_id, request_hash, record_json FROM trigger_occurrences WHERE idempotency_key = ?',
    );
    this.#listOccurrences = db.prepare(
      `SELECT occurrence_id, request_hash, record_json FROM trigger_occurrences
       WHERE (@sourceType IS NULL OR source_type = @sourceType) AND (@sourceKey IS NULL OR source_key = @sourceKey)
         AND (@start IS NULL OR occurred_at_ms >= @start) AND (@end IS NULL OR occurred_at_ms < @end)
       ORDER BY occurred_at_ms, occurrence_id`,
    );
    this.#deliveriesByOccurrence = db.prepare(`${DELIVERY_SELECT} WHERE d.occurrence_id = ? ${DELIVERY_ORDER}`);
    this.#deliveriesBySubscription = db.prepare(`${DELIVERY_SELECT} WHERE d.subscription_id = ? ${DELIVERY_ORDER}`);
    this.#deliveriesByProcess = db.prepare(`${DELIVERY_SELECT} WHERE d.process_id = ? ${DELIVERY_ORDER}`);
    this.#deliveries = db.prepare(`${DELIVERY_SELECT} ${DELIVERY_ORDER}`);
  }

  subscription(subscriptionId: string): SubscriptionRow | null {
    return (this.#subscription.get(subscriptionId) as SubscriptionRow | undefined) ?? null;
  }

  /** The SQL pre-filter of `listSubscriptions` (never tombstoned), by owner namespace then key. */
  listSubscriptions(pre: {
    owner: string | null;
    key: string | null;
    sourceType: string | null;
    sourceKey: string | null;
    enabled: boolean | null;
  }): SubscriptionRow[] {
    return this.#listSubscriptions.all({
      ...pre,
      enabled: pre.enabled === null ? null : pre.enabled ? 1 : 0,
    }) as SubscriptionRow[];
  }

  /** Live (not tombstoned) subscriptions of one owner namespace, by key. */
  ownerLive(ownerNamespace: string): SubscriptionRow[] {
    return this.#ownerLive.all(ownerNamespace) as SubscriptionRow[];
  }

  /** Enabled live subscriptions matching a source, optionally of one owner namespace. */
  matching(sourceType: string, sourceKey: string, ownerNamespace: string | null): SubscriptionRow[] {
    return (
      ownerNamespace === null
        ? this.#matching.all(sourceType, sourceKey)
        : this.#matchingInOwner.all(sourceType, sourceKey, ownerNamespace)
    ) as SubscriptionRow[];
  }

  receipt(receiptId: string): ReceiptRow | null {
    return (this.#receipt.get(receiptId) as ReceiptRow | undefined) ?? null;
  }

  receiptsBefore(cutoff: number): string[] {
    return this.#receiptsBefore.all(cutoff) as string[];
  }

  occurrenceByIdempotencyKey(idempotencyKey: string): OccurrenceRow | null {
    return (this.#occurrenceByIdempotency.get(idempotencyKey) as OccurrenceRow | undefined) ?? null;
  }

  listOccurrences(f: {
    sourceType: string | null;
    sourceKey: string | null;
    start: number | null;
    end: number | null;
  }): OccurrenceRow[] {
    return this.#listOccurrences.all(f) as OccurrenceRow[];
  }

  deliveriesByOccurrence(occurrenceId: string): DeliveryRow[] {
    return this.#deliveriesByOccurrence.all(occurrenceId) as DeliveryRow[];
  }

  deliveriesBySubscription(subscriptionId: string): DeliveryRow[] {
    return this.#deliveriesBySubscription.all(subscriptionId) as DeliveryRow[];
  }

  deliveriesByProcess(processId: string): DeliveryRow[] {
    return this.#deliveriesByProcess.all(processId) as DeliveryRow[];
  }

  deliveries(): DeliveryRow[] {
    return this.#deliveries.all() as DeliveryRow[];
  }
}
