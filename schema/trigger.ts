/**
 * The trigger database (one per host): keyed, revisioned trigger subscriptions, idempotent trigger
 * occurrences, the delivery reservations binding them, and per-operation mutation receipts. Every
 * table is a projection of the event log; `record_json` columns hold canonical JSON.
 */
import { foreignKey, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export { eventLogState, eventStreams, events, projectionSnapshots } from './event-log.js';

/** Subscriptions; tombstoned rows stay (revive needs their revision). */
export const triggerSubscriptions = sqliteTable(
  'trigger_subscriptions',
  {
    subscriptionId: text('subscription_id').primaryKey(),
    /** The owner namespace (`session:{id}`, `host:{binding}`, `host`). */
    ownerScope: text('owner_scope').notNull(),
    subscriptionKey: text('subscription_key').notNull(),
    incarnation: text('incarnation').notNull(),
    revision: integer('revision').notNull(),
    definitionHash: text('definition_hash').notNull(),
    sourceType: text('source_type').notNull(),
    sourceKey: text('source_key').notNull(),
    enabled: integer('enabled').notNull(),
    tombstoned: integer('tombstoned').notNull(),
    createdAtMs: integer('created_at_ms').notNull(),
    updatedAtMs: integer('updated_at_ms').notNull(),
    /** The whole `TriggerSubscriptionRecord`. */
    recordJson: text('record_json').notNull(),
  },
  (t) => [
    // The unique index is also the (owner_scope, subscription_key) lookup index of the spec.
    uniqueIndex('trigger_subscriptions_owner_key').on(t.ownerScope, t.subscriptionKey),
    index('trigger_subscriptions_source').on(t.sourceType, t.sourceKey, t.enabled),
  ],
);

/** Inbound host events, idempotent by a global idempotency key. */
export const triggerOccurrences = sqliteTable(
  'trigger_occurrences',
  {
    occurrenceId: text('occurrence_id').primaryKey(),
    idempotencyKey: text('idempotency_key').notNull().unique(),
    requestHash: text('request_hash').notNull(),
    sourceType: text('source_type').notNull(),
    sourceKey: text('source_key').notNull(),
    occurredAtMs: integer('occurred_at_ms').notNull(),
    /** The whole `TriggerOccurrenceRecord`. */
    recordJson: text('record_json').notNull(),
  },
  (t) => [index('trigger_occurrences_source').on(t.sourceType, t.sourceKey, t.occurredAtMs)],
);

/** Delivery reservations with the subscription snapshot the started process must execute. */
export const triggerDeliveries = sqliteTable(
  'trigger_deliveries',
  {
    occurrenceId: text('occurrence_id').notNull(),
    subscriptionId: text('subscription_id').notNull(),
    processId: text('process_id').notNull(),
    subscriptionIncarnation: text('subscription_incarnation').notNull(),
    subscriptionRevision: integer('subscription_revision').notNull(),
    subscriptionSnapshotJson: text('subscription_snapshot_json').notNull(),
    createdAtMs: integer('created_at_ms').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.occurrenceId, t.subscriptionId] }),
    foreignKey({ columns: [t.occurrenceId], foreignColumns: [triggerOccurrences.occurrenceId] }).onDelete('cascade'),
    index('trigger_deliveries_process').on(t.processId),
    index('trigger_deliveries_subscription').on(t.subscriptionId),
  ],
);

/** Durable per-operation results, so a replayed operation id returns its historical result. */
export const triggerMutationReceipts = sqliteTable('trigger_mutation_receipts', {
  /** The derived receipt id (`triggerOperationReceiptId(owner, operationId)`). */
  operationId: text('operation_id').primaryKey(),
  requestHash: text('request_hash').notNull(),
  resultJson: text('result_json').notNull(),
  createdAtMs: integer('created_at_ms').notNull(),
});
