/**
 * `Store`: the session store facade (one SQLite database per session). Each method validates its
 * input, reads the clock and draws its random values, then runs one synchronous command or read on
 * the engine. Methods are `async` so that a PostgreSQL backend can implement the same interface.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { Observable } from 'rxjs';
import { BlobStore } from '../blobs/blob-store.js';
import { BlobArtifactDescriptor } from '../blobs/descriptors.js';
import { type Clock, systemClock } from '../clock.js';
import { DEFAULT_MAX_INFLATED_BLOB_BYTES, packCanonical } from '../codec.js';
import { recordBlobWrites } from '../commands/session/blobs/put.js';
import { writeCheckpoint } from '../commands/session/checkpoint.js';
import { commitRuntimeStateTx } from '../commands/session/commit-runtime-state.js';
import type { Nonces, SessionContext } from '../commands/session/context.js';
import { type CopiedBlob, copyHeadTx, saveSessionHeadMetaTx, saveSessionHeadTx } from '../commands/session/head-utilities.js';
import {
  checkpointInput,
  configInput,
  fenceInput,
  nodeInput,
  queuedDraftInput,
  runtimeCommitInput,
  sessionMetaInput,
  typedValueInput,
  v,
} from '../commands/session/inputs.js';
import { reclaimTx } from '../commands/session/lease/reclaim.js';
import { renewTx } from '../commands/session/lease/renew.js';
import { tryClaimTx } from '../commands/session/lease/try-claim.js';
import { gcUnreachableTx } from '../commands/session/maintenance/gc-unreachable.js';
import { tombstoneNodesTx } from '../commands/session/maintenance/tombstone-nodes.js';
import { vacuumTx } from '../commands/session/maintenance/vacuum.js';
import { enqueueQueuedWorkTx } from '../commands/session/queued-work/enqueue.js';
import { releaseIfHeld } from '../commands/session/release-lease.js';
import { saveSessionMetaTx } from '../commands/session/save-session-meta.js';
import { invalidArgument, StoreError } from '../errors.js';
import { EventSourcedDatabase } from '../events/database.js';
import type {
  CompactOptions,
  CompactReport,
  EventsObservableOptions,
  ReadEventsOptions,
  StoredEvent,
  VerifyReport,
} from '../events/types.js';
import type { JsonValue } from '../json.js';
import { defaultLivenessProbe } from '../leases/liveness.js';
import { NO_BOUND, normalizeCount } from '../numbers.js';
import { AttachmentAdoptionReads } from '../projections/session/attachments.js';
import { hydrateCheckpoint, readManifest } from '../projections/session/checkpoint-read.js';
import { loadPickerInfo, loadSession, mergeLedger } from '../projections/session/load-session.js';
import { QueuedWorkReads } from '../projections/session/queued-work.js';
import { SessionReads } from '../projections/session/reads.js';
import { sessionProjections } from '../projections/session/spec.js';
import { TurnInputSettlementReads } from '../projections/session/turn-input.js';
import { type KindInfo, SESSION_APPLICATION_ID, SESSION_SCHEMA_VERSION } from '../sqlite/kinds.js';
import { type Db, openDatabase } from '../sqlite/open.js';
import type { DurabilityTier, LeaseOwnerIdentity } from '../types/common.js';
import type {
  BlobProfile,
  BlobRef,
  BlobArtifactDescriptor as Descriptor,
  GcReport,
  HydratedSessionCheckpoint,
  PersistedSessionRead,
  QueuedWorkBatch,
  QueuedWorkBatchDraft,
  RuntimeCommit,
  RuntimeCommitResult,
  SessionExecutionLease,
  SessionExecutionLeaseClaimOutcome,
  SessionExecutionLeaseCompletion,
  SessionExecutionLeaseFence,
  SessionHead,
  SessionHeadMeta,
  SessionMeta,
  SessionNodeRecord,
  SessionPickerInfo,
  SessionReadScope,
  StoredSessionCheckpoint,
  StoreGcPolicy,
  StoreOptions,
  VacuumReport,
} from '../types/session.js';

/** The session database kind. */
export const SESSION_KIND: KindInfo = {
  kind: 'session',
  label: 'session',
  schemaVersion: SESSION_SCHEMA_VERSION,
  applicationId: SESSION_APPLICATION_ID,
  ddlFolder: 'session',
  errorClass: StoreError,
};

const BLOB_PROFILES: readonly BlobProfile[] = ['lowLatency', 'balanced', 'compact'];

interface ResolvedOptions {
  clock: Clock;
  blobProfile: BlobProfile;
  autoGcEvery: number | null;
  maxInflated: number;
}

function resolveOptions(options: StoreOptions | undefined, defaultProfile: BlobProfile): ResolvedOptions {
  const o = options ?? {};
  const blobProfile = o.blobProfile === undefined ? defaultProfile : v.oneOf(o.blobProfile, 'blobProfile', BLOB_PROFILES);
  const gc: StoreGcPolicy = o.gcPolicy ?? { autoRunEveryCommits: null };
  const every =
    gc.autoRunEveryCommits === null || gc.autoRunEveryCommits === undefined
      ? null
      : normalizeCount(StoreError, gc.autoRunEveryCommits, 'gcPolicy.autoRunEveryCommits');
  const maxInflated =
    o.maxInflatedBlobBytes === undefined
      ? DEFAULT_MAX_INFLATED_BLOB_BYTES
      : normalizeCount(StoreError, o.maxInflatedBlobBytes, 'maxInflatedBlobBytes');
  return {
    clock: o.clock ?? systemClock,
    blobProfile,
    autoGcEvery: every === null || every === 0 || every >= NO_BOUND ? null : every,
    maxInflated: maxInflated >= NO_BOUND ? Number.MAX_SAFE_INTEGER : Math.max(1, maxInflated),
  };
}

function ttlInput(ttlMs: unknown): number {
  return normalizeCount(StoreError, ttlMs, 'ttlMs');
}

function randomToken(): string {
  return randomBytes(8).toString('hex');
}

function descriptorInput(value: unknown): Descriptor {
  const o = v.object(value, 'descriptor');
  const known = Object.values(BlobArtifactDescriptor).map((make) => make());
  const kind = v.oneOf(
    o.kind,
    'descriptor.kind',
    known.map((d) => d.kind),
  );
  const hints = v
    .array(o.hints ?? [], 'descriptor.hints')
    .map((h, i) => v.oneOf(h, `descriptor.hints[${i}]`, ['compressible', 'inlinePreferred', 'largePayload'] as const));
  return { kind, hints };
}

/** The session store: head commits, reads, leases, blobs, maintenance and the event log. */
export class Store {
  readonly #engine: EventSourcedDatabase;
  readonly #ctx: SessionContext;
  readonly #tier: DurabilityTier;
  readonly #options: ResolvedOptions;
  #commitsSinceOpen = 0;

  private constructor(db: Db, options: ResolvedOptions, tier: DurabilityTier) {
    this.#options = options;
    this.#tier = tier;
    this.#engine = new EventSourcedDatabase(db, SESSION_KIND, sessionProjections, {
      clock: options.clock,
      maxInflatedBytes: options.maxInflated,
    });
    this.#ctx = {
      reads: new SessionReads(db),
      queue: new QueuedWorkReads(db),
      inputs: new TurnInputSettlementReads(db),
      attachments: new AttachmentAdoptionReads(db),
      blobs: new BlobStore(db, StoreError, options.blobProfile, options.maxInflated),
    };
  }

  /** Opens (creating if needed) the session database at `path`; its folder must exist. */
  static async open(path: string, options?: StoreOptions): Promise<Store> {
    if (typeof path !== 'string' || path === '') throw invalidArgument(StoreError, 'path', 'a file path');
    const resolved = resolveOptions(options, 'balanced');
    const db = await openDatabase(path, SESSION_KIND, { clock: resolved.clock });
    return new Store(db, resolved, 'durable');
  }

  /** An in-memory store whose data ends with the handle (tier `'inline'`). */
  static async memory(options?: StoreOptions): Promise<Store> {
    const resolved = resolveOptions(options, 'lowLatency');
    const db = await openDatabase(':memory:', SESSION_KIND, { clock: resolved.clock });
    return new Store(db, resolved, 'inline');
  }

  /** Opens an existing session database without writing to it; writes reject with `Backend`. */
  static async openReadonly(path: string, options?: StoreOptions): Promise<Store> {
    if (typeof path !== 'string' || path === '') throw invalidArgument(StoreError, 'path', 'a file path');
    const resolved = resolveOptions(options, 'balanced');
    const db = await openDatabase(path, SESSION_KIND, { clock: resolved.clock, readonly: true });
    return new Store(db, resolved, 'durable');
  }

  /** Closes the connection; later calls reject with `Closed` and `events$` completes. */
  async close(): Promise<void> {
    this.#engine.close();
  }

  /** `'durable'` for file stores, `'inline'` for `Store.memory()`. */
  durabilityTier(): DurabilityTier {
    return this.#tier;
  }

  // ---------------------------------------------------------------- SessionCommitStore

  /**
   * Atomically advances the session head: fence, CAS, checkpoint, graph, ledger, claim settlement,
   * outbox and release in one transaction. A stamped turn already committed with the same hash
   * returns the stored result; a different hash is `RuntimeTurnCommitConflict`.
   */
  async commitRuntimeState(commit: RuntimeCommit): Promise<RuntimeCommitResult> {
    const result = await this.#engine.op(() => {
      const input = runtimeCommitInput(commit);
      const nonces: Nonces = { token: randomToken(), ids: input.enqueuedQueueBatches.map(() => randomInt(2 ** 47)) };
      return this.#engine.command((tx) => commitRuntimeStateTx(this.#ctx, tx, input, nonces));
    });
    this.#afterCommit();
    return result.result;
  }

  /** Auto-GC cadence: counts successful commits on this handle; a GC failure never fails the commit. */
  #afterCommit(): void {
    const every = this.#options.autoGcEvery;
    if (every === null) return;
    this.#commitsSinceOpen++;
    if (this.#commitsSinceOpen % every !== 0) return;
    try {
      this.#engine.command((tx) => gcUnreachableTx(this.#engine.db, this.#ctx, tx));
    } catch (error) {
      process.emitWarning(error instanceof Error ? error : new Error(String(error)), { code: 'LASH_AUTO_GC_FAILED' });
    }
  }

  /** The session as of its head: graph per `scope`, hydrated checkpoint, merged ledger; null before the first commit. */
  async loadSession(scope: SessionReadScope): Promise<PersistedSessionRead | null> {
    return this.#engine.op(() => {
      const s = v.object(scope, 'scope');
      const kind = v.oneOf(s.kind, 'scope.kind', ['fullGraph', 'activePath'] as const);
      const checked: SessionReadScope =
        kind === 'fullGraph' ? { kind } : { kind, leafNodeId: v.nullableString(s.leafNodeId, 'scope.leafNodeId') };
      return this.#engine.read(() => loadSession(this.#ctx.reads, this.#ctx.blobs, checked));
    });
  }

  /** The node if present and not tombstoned. */
  async loadNode(nodeId: string): Promise<SessionNodeRecord | null> {
    return this.#engine.op(() => this.#ctx.reads.node(v.string(nodeId, 'nodeId')));
  }

  /** Replaces the session metadata (any session id; independent of the head binding). */
  async saveSessionMeta(meta: SessionMeta): Promise<void> {
    return this.#engine.op(() => {
      const input = sessionMetaInput(meta);
      this.#engine.command((tx) => saveSessionMetaTx(tx, input));
    });
  }

  /** The last saved metadata, or null. */
  async loadSessionMeta(): Promise<SessionMeta | null> {
    return this.#engine.op(() => this.#ctx.reads.meta());
  }

  /** Picker facts (first user message, user message count) over the full graph. */
  async loadPickerInfo(): Promise<SessionPickerInfo | null> {
    return this.#engine.op(() => this.#engine.read(() => loadPickerInfo(this.#ctx.reads)));
  }

  // ---------------------------------------------------------------- head utilities

  /** The head with its graph and merged ledger, or null. */
  async loadSessionHead(): Promise<SessionHead | null> {
    return this.#engine.op(() => this.#engine.read(() => this.#readHead()));
  }

  #readHead(): SessionHead | null {
    const head = this.#ctx.reads.head();
    if (!head) return null;
    return {
      sessionId: head.sessionId,
      headRevision: head.headRevision,
      config: head.config,
      agentFrames: head.agentFrames,
      currentAgentFrameId: head.currentAgentFrameId,
      checkpointRef: head.checkpointRef,
      graph: { nodes: this.#ctx.reads.nodes(), leafNodeId: head.leafNodeId },
      tokenLedger: mergeLedger(this.#ctx.reads.usageRows()),
    };
  }

  /** Replaces the graph and the head record with `head` (its own revision and checkpoint ref). */
  async saveSessionHead(head: SessionHead): Promise<void> {
    return this.#engine.op(() => {
      const input = sessionHeadInput(head);
      this.#engine.command((tx) => saveSessionHeadTx(tx, input));
    });
  }

  /** Replaces only the head record. */
  async saveSessionHeadMeta(meta: SessionHeadMeta): Promise<void> {
    return this.#engine.op(() => {
      const input = sessionHeadMetaInput(meta);
      this.#engine.command((tx) => saveSessionHeadMetaTx(tx, input));
    });
  }

  /** Copies `source`'s head, graph and checkpoint blobs into this store. */
  async headCopyFromStore(source: Store): Promise<void> {
    if (!(source instanceof Store)) throw invalidArgument(StoreError, 'source', 'a Store');
    const { head, blobs } = await source.#exportHead();
    if (!head) return;
    return this.#engine.op(() => {
      this.#engine.command((tx) => copyHeadTx(this.#ctx, tx, head, blobs));
    });
  }

  async #exportHead(): Promise<{ head: SessionHead | null; blobs: CopiedBlob[] }> {
    return this.#engine.op(() =>
      this.#engine.read(() => {
        const head = this.#readHead();
        const blobs: CopiedBlob[] = [];
        if (head?.checkpointRef) {
          const manifest = readManifest(this.#ctx.blobs, head.checkpointRef);
          const add = (ref: string | null, descriptor: Descriptor) => {
            const bytes = ref === null ? null : this.#ctx.blobs.get(ref);
            if (bytes) blobs.push({ descriptor, bytes });
          };
          if (manifest) {
            add(manifest.toolStateRef, BlobArtifactDescriptor.toolStateSnapshot());
            add(manifest.pluginSnapshotRef, BlobArtifactDescriptor.pluginSessionSnapshot());
            add(manifest.executionStateRef, BlobArtifactDescriptor.executionStateSnapshot());
          }
          add(head.checkpointRef, BlobArtifactDescriptor.checkpointManifest());
        }
        return { head, blobs };
      }),
    );
  }

  // ---------------------------------------------------------------- SessionExecutionLeaseStore

  /** Claims the session's execution lease: `acquired` (fresh or re-entry) or `busy` with the holder. */
  async tryClaimSessionExecutionLease(
    sessionId: string,
    owner: LeaseOwnerIdentity,
    ttlMs: number,
  ): Promise<SessionExecutionLeaseClaimOutcome> {
    return this.#engine.op(() => {
      const S = v.string(sessionId, 'sessionId');
      const o = v.owner(owner, 'owner');
      const ttl = ttlInput(ttlMs);
      const nonce = randomToken();
      return this.#engine.command((tx) => tryClaimTx(this.#ctx, tx, S, o, ttl, nonce));
    });
  }

  /** Takes over a live lease whose holder is provably dead (same host and boot), else `busy`. */
  async reclaimSessionExecutionLease(
    sessionId: string,
    claimant: LeaseOwnerIdentity,
    observedHolder: SessionExecutionLeaseFence,
    ttlMs: number,
  ): Promise<SessionExecutionLeaseClaimOutcome> {
    return this.#engine.op(() => {
      const S = v.string(sessionId, 'sessionId');
      const c = v.owner(claimant, 'claimant');
      const observed = fenceInput(observedHolder, 'observedHolder');
      const ttl = ttlInput(ttlMs);
      const nonce = randomToken();
      return this.#engine.command((tx) => reclaimTx(this.#ctx, tx, S, c, observed, ttl, nonce, defaultLivenessProbe));
    });
  }

  /** Extends a live lease held by `fence`; `SessionExecutionLeaseExpired` otherwise. */
  async renewSessionExecutionLease(fence: SessionExecutionLeaseFence, ttlMs: number): Promise<SessionExecutionLease> {
    return this.#engine.op(() => {
      const f = fenceInput(fence, 'fence');
      const ttl = ttlInput(ttlMs);
      return this.#engine.command((tx) => renewTx(this.#ctx, tx, f, ttl));
    });
  }

  /** Releases the lease if `completion` still names it; a stale completion is a no-op. */
  async releaseSessionExecutionLease(completion: SessionExecutionLeaseCompletion): Promise<void> {
    return this.#engine.op(() => {
      const c = fenceInput(completion, 'completion');
      this.#engine.command((tx) => {
        releaseIfHeld(this.#ctx, tx, c);
      });
    });
  }

  // ---------------------------------------------------------------- queued work (enqueue and list)

  /** Enqueues a batch of non-user work; a live batch with the same source key is returned as is. */
  async enqueueQueuedWork(draft: QueuedWorkBatchDraft): Promise<QueuedWorkBatch> {
    return this.#engine.op(() => {
      const input = queuedDraftInput(draft, 'draft');
      const nonce = randomInt(2 ** 47);
      return this.#engine.command((tx) => enqueueQueuedWorkTx(this.#ctx.queue, tx, input, nonce));
    });
  }

  /** Every batch of `sessionId`, claimed or not, by enqueue sequence. */
  async listQueuedWork(sessionId: string): Promise<QueuedWorkBatch[]> {
    return this.#engine.op(() => {
      const S = v.string(sessionId, 'sessionId');
      return this.#engine.read(() => this.#ctx.queue.listSession(S));
    });
  }

  // ---------------------------------------------------------------- StoreMaintenance

  /** Hides nodes from reads until `vacuum`; unknown ids are ignored. */
  async tombstoneNodes(ids: string[]): Promise<void> {
    return this.#engine.op(() => {
      const list = v.array(ids, 'ids').map((id, i) => v.string(id, `ids[${i}]`));
      if (list.length === 0) return;
      this.#engine.command((tx) => tombstoneNodesTx(this.#ctx, tx, list));
    });
  }

  /** Physically deletes tombstoned nodes and terminal turn inputs. */
  async vacuum(): Promise<VacuumReport> {
    return this.#engine.op(() => this.#engine.command((tx) => vacuumTx(this.#engine.db, tx)));
  }

  /** Deletes every blob not reachable from the head checkpoint or an artifact ref. */
  async gcUnreachable(): Promise<GcReport> {
    return this.#engine.op(() => this.#engine.command((tx) => gcUnreachableTx(this.#engine.db, this.#ctx, tx)));
  }

  // ---------------------------------------------------------------- blobs and checkpoints

  /** Stores raw bytes (generic descriptor, never compressed); returns their SHA-256 ref. */
  async putBlob(bytes: Uint8Array): Promise<BlobRef> {
    return this.#putBytes(BlobArtifactDescriptor.genericBlob(), v.bytes(bytes, 'bytes'), 'lowLatency');
  }

  /** Stores bytes with a descriptor under the store's compression profile. */
  async putArtifactBlob(descriptor: Descriptor, bytes: Uint8Array): Promise<BlobRef> {
    return this.#putBytes(descriptorInput(descriptor), v.bytes(bytes, 'bytes'));
  }

  /** Stores a JSON value as canonical msgpack (equal values, equal refs). */
  async putTypedBlob(value: JsonValue): Promise<BlobRef> {
    return this.#engine.op(() =>
      this.#putEncoded(BlobArtifactDescriptor.genericBlob(), packCanonical(typedValueInput(value, 'value')), 'lowLatency'),
    );
  }

  /** Stores a JSON value as canonical msgpack with a descriptor. */
  async putTypedArtifactBlob(descriptor: Descriptor, value: JsonValue): Promise<BlobRef> {
    return this.#engine.op(() => this.#putEncoded(descriptorInput(descriptor), packCanonical(typedValueInput(value, 'value'))));
  }

  async #putBytes(descriptor: Descriptor, bytes: Uint8Array, profile?: BlobProfile): Promise<BlobRef> {
    return this.#engine.op(() => this.#putEncoded(descriptor, bytes, profile));
  }

  #putEncoded(descriptor: Descriptor, bytes: Uint8Array, profile?: BlobProfile): BlobRef {
    return this.#engine.command((tx) => {
      const write = this.#ctx.blobs.put(descriptor, bytes, profile);
      recordBlobWrites(tx, [write]);
      return write.ref;
    });
  }

  /** The logical bytes of `ref`, or null; damaged content rejects with `CorruptData`. */
  async getBlob(ref: BlobRef): Promise<Uint8Array | null> {
    return this.#engine.op(() => this.#ctx.blobs.get(v.string(ref, 'ref')));
  }

  /** The decoded JSON value of `ref`, or null. */
  async getTypedBlob(ref: BlobRef): Promise<JsonValue | null> {
    return this.#engine.op(() => this.#ctx.blobs.getTyped(v.string(ref, 'ref')));
  }

  /** Stores a checkpoint's snapshots and manifest outside a commit. */
  async putCheckpoint(hydrated: HydratedSessionCheckpoint): Promise<StoredSessionCheckpoint> {
    return this.#engine.op(() => {
      const input = checkpointInput(hydrated, 'hydrated');
      return this.#engine.command((tx) => {
        const { writes, checkpointRef, manifest } = writeCheckpoint(this.#ctx.blobs, input);
        recordBlobWrites(tx, writes);
        return { checkpointRef, manifest };
      });
    });
  }

  /** The hydrated checkpoint at `ref`, or null when its manifest blob is missing. */
  async getCheckpoint(ref: BlobRef): Promise<HydratedSessionCheckpoint | null> {
    return this.#engine.op(() => this.#engine.read(() => hydrateCheckpoint(this.#ctx.blobs, v.string(ref, 'ref'))));
  }

  // ---------------------------------------------------------------- event log

  /** Committed events after `afterSeq` (default 0), optionally of one stream. */
  async readEvents(options?: ReadEventsOptions): Promise<StoredEvent[]> {
    return this.#engine.op(() => this.#engine.readEvents(options));
  }

  /** Every committed event after `afterSeq`, then live; completes when the store closes. */
  events$(options?: EventsObservableOptions): Observable<StoredEvent> {
    this.#engine.assertOpen();
    return this.#engine.events$(options);
  }

  /** Drops and re-derives every projection from the latest snapshot and the log. */
  async rebuildProjections(): Promise<{ eventCount: number }> {
    return this.#engine.op(() => this.#engine.rebuildProjections());
  }

  /** Re-derives the projections into a scratch database and reports every difference. */
  async verifyProjections(): Promise<VerifyReport> {
    return this.#engine.op(() => this.#engine.verifyProjections());
  }

  /** Snapshots projections as of `throughSeq`, optionally archives the events, then deletes them. */
  async compactEventLog(options: CompactOptions): Promise<CompactReport> {
    return this.#engine.op(() => this.#engine.compactEventLog(options));
  }
}

function sessionHeadInput(value: unknown): SessionHead {
  const o = v.object(value, 'head');
  const g = v.object(o.graph, 'head.graph');
  return {
    sessionId: v.string(o.sessionId, 'head.sessionId'),
    headRevision: v.count(o.headRevision, 'head.headRevision'),
    config: configInput(o.config, 'head.config'),
    agentFrames: v
      .list(o.agentFrames, 'head.agentFrames')
      .map((f, i) => v.jsonObject(f, `head.agentFrames[${i}]`)) as SessionHead['agentFrames'],
    currentAgentFrameId: v.string(o.currentAgentFrameId ?? '', 'head.currentAgentFrameId'),
    checkpointRef: v.nullableString(o.checkpointRef, 'head.checkpointRef'),
    graph: {
      nodes: v.array(g.nodes, 'head.graph.nodes').map((n, i) => nodeInput(n, `head.graph.nodes[${i}]`)),
      leafNodeId: v.nullableString(g.leafNodeId, 'head.graph.leafNodeId'),
    },
    tokenLedger: [],
  };
}

function sessionHeadMetaInput(value: unknown): SessionHeadMeta {
  const o = v.object(value, 'meta');
  return {
    schemaVersion: v.integer(o.schemaVersion, 'meta.schemaVersion'),
    sessionId: v.string(o.sessionId, 'meta.sessionId'),
    headRevision: v.count(o.headRevision, 'meta.headRevision'),
    config: configInput(o.config, 'meta.config'),
    agentFrames: v
      .list(o.agentFrames, 'meta.agentFrames')
      .map((f, i) => v.jsonObject(f, `meta.agentFrames[${i}]`)) as SessionHeadMeta['agentFrames'],
    currentAgentFrameId: v.string(o.currentAgentFrameId, 'meta.currentAgentFrameId'),
    checkpointRef: v.nullableString(o.checkpointRef, 'meta.checkpointRef'),
    leafNodeId: v.nullableString(o.leafNodeId, 'meta.leafNodeId'),
    graphNodeCount: v.count(o.graphNodeCount, 'meta.graphNodeCount'),
  };
}
