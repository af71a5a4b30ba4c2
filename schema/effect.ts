/**
 * The effect database (one per host): the runtime effect replay journal and the await-event keyed
 * promises. Every table except `await_event_meta` is a projection of the event log; the signing
 * secret is deliberately outside the log (it must never appear in an event or an export).
 */
import { sql } from 'drizzle-orm';
import { blob, check, index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export { eventLogState, eventStreams, events, projectionSnapshots } from './event-log.js';

/** One row per (controller scope, replay key): the journal of a nondeterministic runtime step. */
export const runtimeEffectReplay = sqliteTable(
  'runtime_effect_replay',
  {
    /** `scopeKey(controller scope)`: canonical JSON of the complete execution scope. */
    scopeKey: text('scope_key').notNull(),
    /** `scopeId(controller scope)`, kept for diagnostics and messages. */
    scopeId: text('scope_id').notNull(),
    replayKey: text('replay_key').notNull(),
    /** Canonical envelope hash; immutable after insert. */
    envelopeHash: text('envelope_hash').notNull(),
    /** JSON of the `CanonicalRuntimeEffectEnvelope` `{ json, hash }`; immutable. */
    envelopeJson: text('envelope_json').notNull(),
    /** `in_progress` | `completed` | `failed`. */
    status: text('status').notNull(),
    outcomeJson: text('outcome_json'),
    errorJson: text('error_json'),
    leaseOwnerId: text('lease_owner_id'),
    leaseToken: text('lease_token'),
    leaseExpiresAtMs: integer('lease_expires_at_ms').notNull().default(0),
    /** Sleeps only: the due time fixed by the first claim. */
    dueAtMs: integer('due_at_ms'),
    createdAtMs: integer('created_at_ms').notNull(),
    updatedAtMs: integer('updated_at_ms').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.scopeKey, t.replayKey] }),
    index('runtime_effect_replay_status_lease').on(t.status, t.leaseExpiresAtMs),
  ],
);

/** The per-database HMAC signing secret of await-event keys. Not a projection. */
export const awaitEventMeta = sqliteTable(
  'await_event_meta',
  {
    singleton: integer('singleton').primaryKey(),
    signingSecret: blob('signing_secret', { mode: 'buffer' }).notNull(),
  },
  (t) => [check('await_event_meta_singleton', sql`${t.singleton} = 1`)],
);

/** Registered or resolved keyed promises; `terminal_json` NULL = pending. */
export const awaitEventWaits = sqliteTable(
  'await_event_waits',
  {
    keyId: text('key_id').primaryKey(),
    scopeJson: text('scope_json').notNull(),
    waitJson: text('wait_json').notNull(),
    sessionId: text('session_id'),
    /** 1 iff the wait is `turnCancelGate` or `turnTerminal`. */
    turnControl: integer('turn_control').notNull(),
    terminalJson: text('terminal_json'),
    createdAtMs: integer('created_at_ms').notNull(),
    resolvedAtMs: integer('resolved_at_ms'),
  },
  (t) => [index('await_event_waits_session').on(t.sessionId)],
);

/** Permanently revoked sessions: their promises can never be minted, resolved or awaited again. */
export const awaitEventRevokedSessions = sqliteTable('await_event_revoked_sessions', {
  sessionId: text('session_id').primaryKey(),
  revokedAtMs: integer('revoked_at_ms').notNull(),
});
