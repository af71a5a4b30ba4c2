/**
 * The process registry database (one per host profile, 30-process-registry §2.5): projections of
 * the registry's event log. Stored values are JSON text (the registry accepts only plain JSON); the
 * columns beside them are the ones queries filter, order or join on. `processes.process_id` is
 * normative: session stores check it to decide whether a process-owned intent is dead.
 */
import { sql } from 'drizzle-orm';
import { type AnySQLiteColumn, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export { eventLogState, eventStreams, events, projectionSnapshots } from './event-log.js';

/** One row per existing process; removed exactly when the process is pruned. */
export const processes = sqliteTable(
  'processes',
  {
    processId: text('process_id').primaryKey(),
    registrationHash: text('registration_hash').notNull(),
    /** The originator scope id (`host`, `host:<scope>`, `session:<sid>[/frame:<fid>]`). */
    ownerScopeId: text('owner_scope_id').notNull(),
    createdAtMs: integer('created_at_ms').notNull(),
    updatedAtMs: integer('updated_at_ms').notNull(),
    /** Position in the change feed: the `seq` of the database event that last changed the record. */
    changeSeq: integer('change_seq').notNull(),
    /** `running|completed|failed|cancelled|abandoned`. */
    status: text('status').notNull(),
    /** Canonical JSON of the `ProcessRecord`. */
    recordJson: text('record_json').notNull(),
  },
  (t) => [index('processes_status').on(t.status), index('processes_change_seq').on(t.changeSeq)],
);

const processRef = () => processes.processId as AnySQLiteColumn;

/** The per-process event log (`ProcessEvent`s), dense sequences per process. */
export const processEvents = sqliteTable(
  'process_events',
  {
    processId: text('process_id').notNull().references(processRef, { onDelete: 'cascade' }),
    sequence: integer('sequence').notNull(),
    eventType: text('event_type').notNull(),
    payloadHash: text('payload_hash').notNull(),
    idempotencyKey: text('idempotency_key'),
    occurredAtMs: integer('occurred_at_ms').notNull(),
    /** Canonical JSON of the `ProcessEvent`. */
    eventJson: text('event_json').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.processId, t.sequence] }),
    uniqueIndex('process_events_idempotency_key').on(t.processId, t.idempotencyKey).where(sql`${t.idempotencyKey} IS NOT NULL`),
  ],
);

/** Consumed wake markers, per process and sequence. */
export const processWakeAcks = sqliteTable(
  'process_wake_acks',
  {
    processId: text('process_id').notNull().references(processRef, { onDelete: 'cascade' }),
    sequence: integer('sequence').notNull(),
  },
  (t) => [primaryKey({ columns: [t.processId, t.sequence] })],
);

/** Handle grants keyed by scope id (session plus optional frame). */
export const processHandleGrants = sqliteTable(
  'process_handle_grants',
  {
    sessionId: text('session_id').notNull(),
    scopeId: text('scope_id').notNull(),
    processId: text('process_id').notNull().references(processRef, { onDelete: 'cascade' }),
    descriptorJson: text('descriptor_json').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.scopeId, t.processId] }),
    index('process_handle_grants_session').on(t.sessionId),
    index('process_handle_grants_process').on(t.processId),
  ],
);

/** One lease row per process; the fencing token survives release and resets only with prune. */
export const processLeases = sqliteTable('process_leases', {
  processId: text('process_id').primaryKey().references(processRef, { onDelete: 'cascade' }),
  leaseOwnerId: text('lease_owner_id'),
  leaseOwnerIncarnationId: text('lease_owner_incarnation_id'),
  leaseOwnerLivenessJson: text('lease_owner_liveness_json'),
  leaseToken: text('lease_token'),
  leaseFencingToken: integer('lease_fencing_token').notNull().default(0),
  leaseClaimedAtMs: integer('lease_claimed_at_ms').notNull().default(0),
  leaseExpiresAtMs: integer('lease_expires_at_ms').notNull().default(0),
});

/** Engine continuation state between bounded execution segments. */
export const processSegmentHandovers = sqliteTable(
  'process_segment_handovers',
  {
    processId: text('process_id').notNull().references(processRef, { onDelete: 'cascade' }),
    segmentOrdinal: integer('segment_ordinal').notNull(),
    handoverJson: text('handover_json').notNull(),
  },
  (t) => [primaryKey({ columns: [t.processId, t.segmentOrdinal] })],
);
