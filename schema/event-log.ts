/**
 * Tables every database kind shares: the append-only event log and its bookkeeping.
 * The log is the source of truth; every other table of a database is a projection of it
 * (or, for `blobs`, a content-addressed side table that events name by ref).
 */
import { sql } from 'drizzle-orm';
import { blob, check, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Immutable event rows. `seq` is the rowid (max + 1). It is never reused: events are only deleted by
 * compaction, which first appends its own audit event above the deleted range, so the maximum row
 * always survives. No AUTOINCREMENT and no stream index: each would cost every commit another page
 * write; stream-filtered reads are audit queries and scan.
 */
export const events = sqliteTable('events', {
  seq: integer('seq').primaryKey(),
  stream: text('stream').notNull(),
  version: integer('version').notNull(),
  type: text('type').notNull(),
  /** 0 = msgpack, 1 = zlib-compressed msgpack. */
  codec: integer('codec').notNull(),
  payload: blob('payload', { mode: 'buffer' }).notNull(),
  recordedAtMs: integer('recorded_at_ms').notNull(),
});

/** Current version of each stream; kept apart from `events` so versions survive compaction. */
export const eventStreams = sqliteTable('event_streams', {
  stream: text('stream').primaryKey(),
  version: integer('version').notNull(),
});

/**
 * Single-row switch that the `events` DELETE trigger reads: only `compactEventLog` sets it, inside
 * its own transaction, so no other path can delete events.
 */
export const eventLogState = sqliteTable(
  'event_log_state',
  {
    id: integer('id').primaryKey(),
    compacting: integer('compacting').notNull().default(0),
  },
  (t) => [check('event_log_state_singleton', sql`${t.id} = 1`)],
);

/** Projection snapshots written by compaction; rebuild starts from the latest one. */
export const projectionSnapshots = sqliteTable('projection_snapshots', {
  snapshotSeq: integer('snapshot_seq').primaryKey(),
  recordedAtMs: integer('recorded_at_ms').notNull(),
  codec: integer('codec').notNull(),
  payload: blob('payload', { mode: 'buffer' }).notNull(),
});
