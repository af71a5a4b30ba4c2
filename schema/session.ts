/**
 * The session database (one per session): projections of the session event log and the
 * content-addressed `blobs` side table. Opaque payloads are msgpack `record` blobs; the columns
 * beside them are the ones queries filter, order or join on.
 */
import { sql } from 'drizzle-orm';
import { blob, check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export { eventLogState, eventStreams, events, projectionSnapshots } from './event-log.js';

/** Content-addressed blobs: `hash` = sha256 of the logical bytes, `content` = a stored envelope. */
export const blobs = sqliteTable('blobs', {
  hash: text('hash').primaryKey(),
  content: blob('content', { mode: 'buffer' }).notNull(),
});

/** The singleton head record (`SessionHeadMeta`). */
export const sessionHead = sqliteTable('session_head', {
  id: integer('id').primaryKey(),
  sessionId: text('session_id').notNull(),
  headRevision: integer('head_revision').notNull(),
  record: blob('record', { mode: 'buffer' }).notNull(),
  /** Non-tombstoned graph nodes, kept here so a commit neither counts the graph nor writes another page. */
  liveNodeCount: integer('live_node_count').notNull().default(0),
});

/** Graph nodes in insertion order; tombstoned rows stay until vacuum. */
export const graphNodes = sqliteTable('graph_nodes', {
  seq: integer('seq').primaryKey(),
  nodeId: text('node_id').notNull().unique(),
  record: blob('record', { mode: 'buffer' }).notNull(),
  tombstoned: integer('tombstoned').notNull().default(0),
});

/** Raw usage ledger rows, merged at read time. */
export const usageDeltas = sqliteTable('usage_deltas', {
  seq: integer('seq').primaryKey(),
  record: blob('record', { mode: 'buffer' }).notNull(),
});

/** The singleton session metadata record. */
export const sessionMeta = sqliteTable('session_meta', {
  id: integer('id').primaryKey(),
  record: blob('record', { mode: 'buffer' }).notNull(),
});

/** Turn-commit stamps with the stored result that an idempotent replay returns. */
export const runtimeTurnCommits = sqliteTable(
  'runtime_turn_commits',
  {
    sessionId: text('session_id').notNull(),
    turnId: text('turn_id').notNull(),
    turnCommitHash: text('turn_commit_hash').notNull(),
    result: blob('result', { mode: 'buffer' }).notNull(),
    committedAtMs: integer('committed_at_ms').notNull(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.turnId] })],
);

/** One session execution lease row per session id; `fencing_token` survives release. */
export const sessionExecutionLeases = sqliteTable('session_execution_leases', {
  sessionId: text('session_id').primaryKey(),
  /** msgpack `LeaseOwnerIdentity`, null after a release. */
  owner: blob('owner', { mode: 'buffer' }),
  leaseToken: text('lease_token'),
  fencingToken: integer('fencing_token').notNull(),
  claimedAtMs: integer('claimed_at_ms').notNull(),
  expiresAtMs: integer('expires_at_ms').notNull(),
});

/** Store-wide counters that must never go backwards (enqueue sequences). */
export const sequenceCounters = sqliteTable('sequence_counters', {
  name: text('name').primaryKey(),
  value: integer('value').notNull(),
});

/** Queued non-user work batches with their claim columns (claims pin a lease generation). */
export const queuedWorkBatches = sqliteTable(
  'queued_work_batches',
  {
    /**
     * The rowid: batches are stored in enqueue order, and no separate unique index on the sequence
     * is written per enqueue (every B-tree an insert touches is one more WAL frame per commit).
     */
    enqueueSeq: integer('enqueue_seq').primaryKey(),
    batchId: text('batch_id').notNull().unique(),
    sessionId: text('session_id').notNull(),
    sourceKey: text('source_key'),
    /** 'sessionCommand' | 'turnWork', derived once at enqueue. */
    workClass: text('work_class').notNull(),
    deliveryPolicy: text('delivery_policy').notNull(),
    slotPolicy: text('slot_policy').notNull(),
    /** Canonical JSON of the merge key, so equality is a string comparison. */
    mergeKey: text('merge_key').notNull(),
    availableAtMs: integer('available_at_ms').notNull(),
    enqueuedAtMs: integer('enqueued_at_ms').notNull(),
    claimId: text('claim_id'),
    claimOwner: blob('claim_owner', { mode: 'buffer' }),
    claimToken: text('claim_token'),
    claimFencingToken: integer('claim_fencing_token').notNull().default(0),
    claimSessionLeaseGeneration: integer('claim_session_lease_generation').notNull().default(0),
  },
  (t) => [
    index('queued_work_batches_session_seq').on(t.sessionId, t.enqueueSeq),
    // Partial: most batches have no source key and most rows are unclaimed, so enqueue, cancel and
    // completion of those rows skip these two indexes (lookups by `= ?` imply IS NOT NULL).
    uniqueIndex('queued_work_batches_source_key').on(t.sessionId, t.sourceKey).where(sql`${t.sourceKey} IS NOT NULL`),
    index('queued_work_batches_claim').on(t.sessionId, t.claimId).where(sql`${t.claimId} IS NOT NULL`),
    /**
     * Claim candidates per held generation: a claim under generation g reads the partitions
     * `generation != g` (0 = unclaimed) in `enqueue_seq` order, so rows g itself holds are never
     * scanned; `available_at_ms` rides along so not-yet-available rows are skipped inside the index.
     */
    index('queued_work_batches_claimable').on(t.sessionId, t.claimSessionLeaseGeneration, t.enqueueSeq, t.availableAtMs),
  ],
);

/** Items of queued batches, in draft order. */
export const queuedWorkItems = sqliteTable(
  'queued_work_items',
  {
    /** `{batchId}:item:{ordinal}`, chosen at enqueue; items are only ever read through their batch. */
    itemId: text('item_id').notNull(),
    batchId: text('batch_id').notNull(),
    ordinal: integer('ordinal').notNull(),
    payload: blob('payload', { mode: 'buffer' }).notNull(),
  },
  (t) => [primaryKey({ name: 'queued_work_items_batch_ordinal', columns: [t.batchId, t.ordinal] })],
);

/** Pending user turn input with its state machine and claim columns. */
export const pendingTurnInputs = sqliteTable(
  'pending_turn_inputs',
  {
    inputId: text('input_id').primaryKey(),
    sessionId: text('session_id').notNull(),
    enqueueSeq: integer('enqueue_seq').notNull().unique(),
    sourceKey: text('source_key'),
    /** 'activeTurn' | 'nextTurn'; interrupt deferral rewrites it to 'nextTurn'. */
    ingressKind: text('ingress_kind').notNull(),
    ingressTurnId: text('ingress_turn_id'),
    ingressMinBoundary: text('ingress_min_boundary'),
    state: text('state').notNull(),
    enqueuedAtMs: integer('enqueued_at_ms').notNull(),
    /** msgpack `TurnInput`. */
    input: blob('input', { mode: 'buffer' }).notNull(),
    claimId: text('claim_id'),
    claimOwner: blob('claim_owner', { mode: 'buffer' }),
    claimToken: text('claim_token'),
    claimFencingToken: integer('claim_fencing_token').notNull().default(0),
    claimSessionLeaseGeneration: integer('claim_session_lease_generation').notNull().default(0),
  },
  (t) => [
    index('pending_turn_inputs_session_seq').on(t.sessionId, t.enqueueSeq),
    // Partial, as for queued batches: unkeyed and unclaimed rows are not written to these indexes.
    uniqueIndex('pending_turn_inputs_source_key').on(t.sessionId, t.sourceKey).where(sql`${t.sourceKey} IS NOT NULL`),
    index('pending_turn_inputs_claim').on(t.sessionId, t.claimId).where(sql`${t.claimId} IS NOT NULL`),
    /** Next-turn claim candidates per state and held generation (rows of the caller's generation are never scanned). */
    index('pending_turn_inputs_claimable').on(t.sessionId, t.state, t.claimSessionLeaseGeneration, t.enqueueSeq),
    /** Active-turn claim candidates: the pending inputs addressed to one turn, in order. */
    index('pending_turn_inputs_active_turn').on(t.sessionId, t.state, t.ingressTurnId, t.enqueueSeq, t.ingressMinBoundary),
  ],
);

/**
 * Attachment write-ahead manifest (20-blobs-attachments-lifecycle §4.2). The owner is a turn, a
 * process or nobody, never half set; indexes serve per-session stamps, turn-owner adoption at commit,
 * the uncommitted listing in intent order, and per-id probes.
 */
export const attachmentManifest = sqliteTable(
  'attachment_manifest',
  {
    sessionId: text('session_id').notNull(),
    attachmentId: text('attachment_id').notNull(),
    canonicalUri: text('canonical_uri').notNull(),
    intentAtMs: integer('intent_at_ms').notNull(),
    ownerKind: text('owner_kind'),
    ownerId: text('owner_id'),
    committedAtMs: integer('committed_at_ms'),
  },
  (t) => [
    primaryKey({ columns: [t.sessionId, t.attachmentId] }),
    check('attachment_manifest_owner_kind', sql`${t.ownerKind} IS NULL OR ${t.ownerKind} IN ('turn', 'process')`),
    check('attachment_manifest_owner_pair', sql`(${t.ownerKind} IS NULL) = (${t.ownerId} IS NULL)`),
    index('attachment_manifest_session_committed').on(t.sessionId, t.committedAtMs),
    index('attachment_manifest_uncommitted').on(t.intentAtMs).where(sql`${t.committedAtMs} IS NULL`),
    index('attachment_manifest_owner').on(t.sessionId, t.ownerKind, t.ownerId, t.committedAtMs),
    index('attachment_manifest_attachment').on(t.attachmentId),
  ],
);

/** Named pointers to blobs (module artifacts, raw artifacts, process envs, trigger manifests). */
export const artifactRefs = sqliteTable(
  'artifact_refs',
  {
    namespace: text('namespace').notNull(),
    artifactRef: text('artifact_ref').notNull(),
    blobRef: text('blob_ref').notNull(),
  },
  (t) => [primaryKey({ columns: [t.namespace, t.artifactRef] })],
);
