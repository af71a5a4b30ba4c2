/**
 * `Store`: the session store facade (one SQLite database per session). Each method validates its
 * input, reads the clock and draws its random values, then runs one synchronous command or read on
 * the engine. Methods are `async` so that a PostgreSQL backend can implement the same interface.
 */

import { randomBytes, randomInt } from 'node:crypto';
import { messageOf, registryUnavailable } from '../attachments/errors.js';
import { BlobStore } from '../blobs/blob-store.js';
import { BlobArtifactDescriptor } from '../blobs/descriptors.js';
import { type Clock, systemClock } from '../clock.js';
import { DEFAULT_MAX_INFLATED_BLOB_BYTES, packCanonical } from '../codec.js';
import {
  currentTriggerManifestOf,
  decodeModuleArtifact,
  encodeModuleArtifact,
  moduleArtifactInput,
} from '../commands/session/artifacts/module-artifact.js';
import { type ArtifactContext, putArtifactRefTx, readArtifactRef } from '../commands/session/artifacts/refs.js';
import { readCurrentTriggerManifest, replaceTriggerManifestTx } from '../commands/session/artifacts/replace-trigger-manifest.js';
import { commitRefsTx } from '../commands/session/attachments/commit-refs.js';
import { forgetTx } from '../commands/session/attachments/forget.js';
import { forgetAgedIntentsTx } from '../commands/session/attachments/forget-aged.js';
import { attachmentIdsInput, attachmentIntentInput } from '../commands/session/attachments/inputs.js';
import { recordIntentTx } from '../commands/session/attachments/record-intent.js';
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
import { abandonQueuedWorkClaimsTx } from '../commands/session/queued-work/abandon.js';
import { cancelQueuedWorkBatchTx } from '../commands/session/queued-work/cancel.js';
import { claimReadyQueuedWorkByBatchIdsTx } from '../commands/session/queued-work/claim-by-ids.js';
import { checkpointWorkPending, claimCheckpointWorkTx } from '../commands/session/queued-work/claim-checkpoint.js';
import { claimLeadingReadySessionCommandTx } from '../commands/session/queued-work/claim-leading-command.js';
import { claimReadyQueuedWorkTx } from '../commands/session/queued-work/claim-ready.js';
import { enqueueQueuedWorkTx } from '../commands/session/queued-work/enqueue.js';
import { batchIdsInput, boundaryInput, queuedWorkClaimInput } from '../commands/session/queued-work/inputs.js';
import { listPendingQueuedWork } from '../commands/session/queued-work/list-pending.js';
import { releaseIfHeld } from '../commands/session/release-lease.js';
import { saveSessionMetaTx } from '../commands/session/save-session-meta.js';
import { seedSessionMetaTx } from '../commands/session/seed-session-meta.js';
import { abandonTurnInputClaimsTx } from '../commands/session/turn-input/abandon.js';
import { cancelPendingTurnInputsTx } from '../commands/session/turn-input/cancel.js';
import { cancelPendingTurnInputSuffixTx } from '../commands/session/turn-input/cancel-suffix.js';
import { claimActiveTurnInputsTx } from '../commands/session/turn-input/claim-active.js';
import { claimNextTurnInputsTx } from '../commands/session/turn-input/claim-next.js';
import { enqueuePendingTurnInputTx } from '../commands/session/turn-input/enqueue.js';
import {
  cancelTargetInput,
  checkpointKindInput,
  turnInputClaimInput,
  turnInputDraftInput,
} from '../commands/session/turn-input/inputs.js';
import { listPendingTurnInputs } from '../commands/session/turn-input/list-pending.js';
import { invalidArgument, StoreError, toAreaError } from '../errors.js';
import { EventSourcedDatabase } from '../events/database.js';
import type { JsonValue } from '../json.js';
import { defaultLivenessProbe } from '../leases/liveness.js';
import { NO_BOUND, normalizeCount } from '../numbers.js';
import {
  ArtifactRefReads,
  MODULE_ARTIFACT_NAMESPACE,
  PROCESS_ENV_NAMESPACE,
  RAW_ARTIFACT_NAMESPACE,
} from '../projections/session/artifacts.js';
import { AttachmentAdoptionReads, AttachmentManifestReads } from '../projections/session/attachments.js';
import { hydrateCheckpoint, readManifest } from '../projections/session/checkpoint-read.js';
import { ClaimRaceLost } from '../projections/session/claims.js';
import { loadPickerInfo, loadSession, mergeLedger } from '../projections/session/load-session.js';
import { QueuedWorkReads } from '../projections/session/queued-work.js';
import { SessionReads } from '../projections/session/reads.js';
import { sessionProjections } from '../projections/session/spec.js';
import { TurnInputReads } from '../projections/session/turn-input.js';
import { type KindInfo, SESSION_APPLICATION_ID, SESSION_SCHEMA_VERSION } from '../sqlite/kinds.js';
import { type Db, openDatabase } from '../sqlite/open.js';
import type { CurrentTriggerManifest, ModuleArtifact, TriggerManifestReplacement } from '../types/artifacts.js';
import type {
  AttachmentIntent,
  AttachmentManifest,
  AttachmentManifestEntry,
  ProcessOwnerRegistry,
} from '../types/attachments.js';
import type { DurabilityTier, LeaseOwnerIdentity } from '../types/common.js';
import type {
  AttachmentId,
  BlobProfile,
  BlobRef,
  CheckpointClaimCounts,
  CheckpointKind,
  BlobArtifactDescriptor as Descriptor,
  GcReport,
  HydratedSessionCheckpoint,
  PendingTurnInput,
  PendingTurnInputCancelOutcome,
  PendingTurnInputCancelResult,
  PendingTurnInputCancelTarget,
  PendingTurnInputDraft,
  PendingTurnInputSuffixCancelOutcome,
  PersistedSessionRead,
  QueuedWorkBatch,
  QueuedWorkBatchDraft,
  QueuedWorkClaim,
  QueuedWorkClaimBoundary,
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
  TurnInputClaim,
  VacuumReport,
} from '../types/session.js';
import { EventLogFacade } from './event-log-facade.js';

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
  /** Issue 4: proof of death for process-owned attachment intents (20 §4.4). */
  processRegistry: ProcessOwnerRegistry | null;
  /** Issue 4: the host's module artifact verifier (20 §5.3). */
  verifyModuleArtifact: ((artifact: ModuleArtifact) => void) | null;
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
    clock: clockInput(o.clock),
    blobProfile,
    autoGcEvery: every === null || every === 0 || every >= NO_BOUND ? null : every,
    maxInflated: maxInflated >= NO_BOUND ? Number.MAX_SAFE_INTEGER : Math.max(1, maxInflated),
    processRegistry: processRegistryOption(o.processRegistry),
    verifyModuleArtifact: verifierOption(o.verifyModuleArtifact),
  };
}

/** Issue 4: `StoreOptions.processRegistry` must offer `tryGetProcess`. */
function processRegistryOption(value: unknown): ProcessOwnerRegistry | null {
  if (value === undefined || value === null) return null;
  if (typeof (value as { tryGetProcess?: unknown }).tryGetProcess !== 'function') {
    throw invalidArgument(StoreError, 'processRegistry', 'a process registry with tryGetProcess');
  }
  return value as ProcessOwnerRegistry;
}

/** Issue 4: `StoreOptions.verifyModuleArtifact` must be a function. */
function verifierOption(value: unknown): ((artifact: ModuleArtifact) => void) | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'function') throw invalidArgument(StoreError, 'verifyModuleArtifact', 'a function');
  return value as (artifact: ModuleArtifact) => void;
}

/** The clock option: absent → `systemClock`; otherwise it must have a `timestampMs()` method. */
function clockInput(clock: unknown): Clock {
  if (clock === undefined || clock === null) return systemClock;
  if (typeof clock !== 'object' || typeof (clock as Clock).timestampMs !== 'function') {
    throw invalidArgument(StoreError, 'clock', 'a Clock with timestampMs()');
  }
  return clock as Clock;
}

function ttlInput(ttlMs: unknown): number {
  return normalizeCount(StoreError, ttlMs, 'ttlMs');
}

function randomToken(): string {
  return randomBytes(8).toString('hex');
}

function limitInput(value: unknown, argument: string): number {
  return normalizeCount(StoreError, value, argument);
}

/** Runs a claim; a row lost to a race (R8) rolls the whole claim back and yields `lost`. */
function orLost<R, L>(claim: () => R, lost: L): R | L {
  try {
    return claim();
  } catch (error) {
    if (error instanceof ClaimRaceLost) return lost;
    throw error;
  }
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
export class Store extends EventLogFacade implements AttachmentManifest {
  readonly #engine: EventSourcedDatabase;

  /** The engine behind the inherited event-log API. */
  protected eventLogEngine(): EventSourcedDatabase {
    return this.#engine;
  }
  readonly #ctx: SessionContext;
  readonly #tier: DurabilityTier;
  readonly #options: ResolvedOptions;
  readonly #checkpointCounts: CheckpointClaimCounts = { probeCount: 0, writeTransactionCount: 0 };
  #commitsSinceOpen = 0;

  private constructor(db: Db, options: ResolvedOptions, tier: DurabilityTier) {
    super();
    this.#options = options;
    this.#tier = tier;
    this.#engine = new EventSourcedDatabase(db, SESSION_KIND, sessionProjections, {
      clock: options.clock,
      maxInflatedBytes: options.maxInflated,
    });
    this.#ctx = {
      reads: new SessionReads(db),
      queue: new QueuedWorkReads(db),
      inputs: new TurnInputReads(db),
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
      const nonces: Nonces = { ids: input.enqueuedQueueBatches.map(() => randomInt(2 ** 47)) };
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
      // The commit stands; the GC error (always a StoreError) is reported, and the failed run deleted nothing.
      process.emitWarning(toAreaError(StoreError, error), { code: 'LASH_AUTO_GC_FAILED' });
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

  /**
   * Counters of `claimCheckpointWork` on this handle: every probe, and every call whose probe found
   * work and therefore opened a write transaction. Both start at 0.
   */
  checkpointClaimCounts(): CheckpointClaimCounts {
    return { ...this.#checkpointCounts };
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

  // ---------------------------------------------------------------- QueuedWorkStore

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

  /** Batches of `sessionId` without a live claim (R5), including ones not yet available. */
  async listPendingQueuedWork(sessionId: string): Promise<QueuedWorkBatch[]> {
    return this.#engine.op(() => {
      const S = v.string(sessionId, 'sessionId');
      const now = this.#options.clock.timestampMs();
      return this.#engine.read(() => listPendingQueuedWork(this.#ctx, S, now));
    });
  }

  /**
   * Claims the first ready batch of `sessionId` if it is a session command (alone); `null` when the
   * queue is empty or starts with turn work. Requires a valid lease fence.
   */
  async claimLeadingReadySessionCommand(
    sessionId: string,
    fence: SessionExecutionLeaseFence,
    owner: LeaseOwnerIdentity,
  ): Promise<QueuedWorkClaim | null> {
    return this.#engine.op(() => {
      const S = v.string(sessionId, 'sessionId');
      const f = fenceInput(fence, 'fence');
      const o = v.owner(owner, 'owner');
      return orLost(() => this.#engine.command((tx) => claimLeadingReadySessionCommandTx(this.#ctx, tx, S, f, o)), null);
    });
  }

  /**
   * Claims the ready turn work at the head of the queue: one exclusive batch, or a join run with one
   * delivery policy and merge key (at most `maxBatches`). A leading session command blocks it; at an
   * `activeTurnCheckpoint` only `earliestSafeBoundary` work qualifies. Rows this lease generation
   * already holds are skipped. `maxBatches` 0 gives `null` before the fence is checked.
   */
  async claimReadyQueuedWork(
    sessionId: string,
    fence: SessionExecutionLeaseFence,
    owner: LeaseOwnerIdentity,
    boundary: QueuedWorkClaimBoundary,
    maxBatches: number,
  ): Promise<QueuedWorkClaim | null> {
    return this.#engine.op(() => {
      const S = v.string(sessionId, 'sessionId');
      const f = fenceInput(fence, 'fence');
      const o = v.owner(owner, 'owner');
      const b = boundaryInput(boundary, 'boundary');
      const max = limitInput(maxBatches, 'maxBatches');
      return orLost(() => this.#engine.command((tx) => claimReadyQueuedWorkTx(this.#ctx, tx, S, f, o, b, max)), null);
    });
  }

  /**
   * Claims exactly `batchIds`, in that order, all or nothing: each must be an available, claimable
   * turn-work batch of `sessionId`, and together a valid selection at `boundary`. May bypass earlier
   * work. An empty list gives `null` before the fence is checked.
   */
  async claimReadyQueuedWorkByBatchIds(
    sessionId: string,
    fence: SessionExecutionLeaseFence,
    owner: LeaseOwnerIdentity,
    boundary: QueuedWorkClaimBoundary,
    batchIds: string[],
  ): Promise<QueuedWorkClaim | null> {
    return this.#engine.op(() => {
      const S = v.string(sessionId, 'sessionId');
      const f = fenceInput(fence, 'fence');
      const o = v.owner(owner, 'owner');
      const b = boundaryInput(boundary, 'boundary');
      const ids = batchIdsInput(batchIds, 'batchIds');
      return orLost(() => this.#engine.command((tx) => claimReadyQueuedWorkByBatchIdsTx(this.#ctx, tx, S, f, o, b, ids)), null);
    });
  }

  /**
   * At a checkpoint of `turnId`: claims the admitted active turn input and the checkpoint-eligible
   * queued work in one transaction. A read-only probe runs first; when it finds nothing the call
   * returns `[null, null]` without checking the fence or opening a write transaction.
   */
  async claimCheckpointWork(
    sessionId: string,
    fence: SessionExecutionLeaseFence,
    owner: LeaseOwnerIdentity,
    turnId: string,
    checkpoint: CheckpointKind,
    maxInputs: number,
    maxBatches: number,
  ): Promise<[TurnInputClaim | null, QueuedWorkClaim | null]> {
    return this.#engine.op(() => {
      const S = v.string(sessionId, 'sessionId');
      const f = fenceInput(fence, 'fence');
      const o = v.owner(owner, 'owner');
      const T = v.string(turnId, 'turnId');
      const cp = checkpointKindInput(checkpoint, 'checkpoint');
      const inputs = limitInput(maxInputs, 'maxInputs');
      const batches = limitInput(maxBatches, 'maxBatches');
      const now = this.#options.clock.timestampMs();
      this.#checkpointCounts.probeCount++;
      const pending = this.#engine.read(() => checkpointWorkPending(this.#ctx, S, f.fencingToken, T, cp, inputs, batches, now));
      if (!pending) return [null, null];
      this.#checkpointCounts.writeTransactionCount++;
      const none: [null, null] = [null, null];
      return orLost(
        () => this.#engine.command((tx) => claimCheckpointWorkTx(this.#ctx, tx, S, f, o, T, cp, inputs, batches), now),
        none,
      );
    });
  }

  /** Releases the batches still held by `claim` (no fence; a no-op when nothing matches). */
  async abandonQueuedWorkClaim(claim: QueuedWorkClaim): Promise<void> {
    return this.abandonQueuedWorkClaims([claim]);
  }

  /** Releases several queued-work claims, in order, in one transaction. */
  async abandonQueuedWorkClaims(claims: QueuedWorkClaim[]): Promise<void> {
    return this.#engine.op(() => {
      const list = v.array(claims, 'claims').map((c, i) => queuedWorkClaimInput(c, `claims[${i}]`));
      if (list.length === 0) return;
      this.#engine.command((tx) => abandonQueuedWorkClaimsTx(this.#ctx.queue, tx, list));
    });
  }

  /** Deletes a batch that has no live claim and returns it; `null` if it is claimed or gone. */
  async cancelQueuedWorkBatch(sessionId: string, batchId: string): Promise<QueuedWorkBatch | null> {
    return this.#engine.op(() => {
      const S = v.string(sessionId, 'sessionId');
      const id = v.string(batchId, 'batchId');
      return this.#engine.command((tx) => cancelQueuedWorkBatchTx(this.#ctx, tx, S, id));
    });
  }

  // ---------------------------------------------------------------- TurnInputStore

  /**
   * Enqueues user turn input. A repeated source key returns the stored row (whatever its state) if
   * the ingress and input match — `null` and absent members count as equal — and rejects with
   * `PendingTurnInputSourceKeyConflict` otherwise.
   */
  async enqueuePendingTurnInput(draft: PendingTurnInputDraft): Promise<PendingTurnInput> {
    return this.#engine.op(() => {
      const input = turnInputDraftInput(draft, 'draft');
      const nonce = randomInt(2 ** 47);
      return this.#engine.command((tx) => enqueuePendingTurnInputTx(this.#ctx.inputs, tx, input, nonce));
    });
  }

  /** Pending (`pendingActive` / `deferredNextTurn`) inputs of `sessionId` without a live claim, in order. */
  async listPendingTurnInputs(sessionId: string): Promise<PendingTurnInput[]> {
    return this.#engine.op(() => {
      const S = v.string(sessionId, 'sessionId');
      const now = this.#options.clock.timestampMs();
      return this.#engine.read(() => listPendingTurnInputs(this.#ctx, S, now));
    });
  }

  /** Cancels inputs by id or source key, in order, in one transaction; one result per target. */
  async cancelPendingTurnInputs(
    sessionId: string,
    targets: PendingTurnInputCancelTarget[],
  ): Promise<PendingTurnInputCancelResult[]> {
    return this.#engine.op(() => {
      const S = v.string(sessionId, 'sessionId');
      const list = v.array(targets, 'targets').map((t, i) => cancelTargetInput(t, `targets[${i}]`));
      return this.#engine.command((tx) => cancelPendingTurnInputsTx(this.#ctx, tx, S, list));
    });
  }

  /** Cancels one input by id. */
  async cancelPendingTurnInput(sessionId: string, inputId: string): Promise<PendingTurnInputCancelOutcome> {
    return this.#engine.op(() => {
      const S = v.string(sessionId, 'sessionId');
      const target: PendingTurnInputCancelTarget = { kind: 'inputId', value: v.string(inputId, 'inputId') };
      const [result] = this.#engine.command((tx) => cancelPendingTurnInputsTx(this.#ctx, tx, S, [target]));
      return result?.outcome ?? { kind: 'notFound' };
    });
  }

  /** Cancels the anchor input and every later input of the session, atomically. */
  async cancelPendingTurnInputSuffix(
    sessionId: string,
    anchor: PendingTurnInputCancelTarget,
  ): Promise<PendingTurnInputSuffixCancelOutcome> {
    return this.#engine.op(() => {
      const S = v.string(sessionId, 'sessionId');
      const a = cancelTargetInput(anchor, 'anchor');
      return this.#engine.command((tx) => cancelPendingTurnInputSuffixTx(this.#ctx, tx, S, a));
    });
  }

  /**
   * At a checkpoint of `turnId`, claims up to `maxInputs` pending active inputs addressed to it
   * whose minimum boundary admits `checkpoint`; they become `accepted`. Requires a valid fence.
   */
  async claimActiveTurnInputs(
    sessionId: string,
    fence: SessionExecutionLeaseFence,
    owner: LeaseOwnerIdentity,
    turnId: string,
    checkpoint: CheckpointKind,
    maxInputs: number,
  ): Promise<TurnInputClaim | null> {
    return this.#engine.op(() => {
      const S = v.string(sessionId, 'sessionId');
      const f = fenceInput(fence, 'fence');
      const o = v.owner(owner, 'owner');
      const T = v.string(turnId, 'turnId');
      const cp = checkpointKindInput(checkpoint, 'checkpoint');
      const max = limitInput(maxInputs, 'maxInputs');
      return orLost(() => this.#engine.command((tx) => claimActiveTurnInputsTx(this.#ctx, tx, S, f, o, T, cp, max)), null);
    });
  }

  /** At idle, claims up to `maxInputs` next-turn inputs this generation does not hold yet. */
  async claimNextTurnInputs(
    sessionId: string,
    fence: SessionExecutionLeaseFence,
    owner: LeaseOwnerIdentity,
    maxInputs: number,
  ): Promise<TurnInputClaim | null> {
    return this.#engine.op(() => {
      const S = v.string(sessionId, 'sessionId');
      const f = fenceInput(fence, 'fence');
      const o = v.owner(owner, 'owner');
      const max = limitInput(maxInputs, 'maxInputs');
      return orLost(() => this.#engine.command((tx) => claimNextTurnInputsTx(this.#ctx, tx, S, f, o, max)), null);
    });
  }

  /** Releases the inputs still held by `claim`; `accepted` ones become pending again. */
  async abandonTurnInputClaim(claim: TurnInputClaim): Promise<void> {
    return this.abandonTurnInputClaims([claim]);
  }

  /** Releases several turn-input claims, in order, in one transaction. */
  async abandonTurnInputClaims(claims: TurnInputClaim[]): Promise<void> {
    return this.#engine.op(() => {
      const list = v.array(claims, 'claims').map((c, i) => turnInputClaimInput(c, `claims[${i}]`));
      if (list.length === 0) return;
      this.#engine.command((tx) => abandonTurnInputClaimsTx(this.#ctx.inputs, tx, list));
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

  // ================================================================ attachments, artifact refs, module artifacts
  // Issue 4 (20-blobs-attachments-lifecycle §4.3–§4.4, §5, §6.3). Everything below belongs to that
  // feature; its commands live in src/commands/session/{attachments,artifacts}/.

  #manifestReadsCache: AttachmentManifestReads | undefined;
  #artifactContextCache: ArtifactContext | undefined;
  /** Per-handle module artifact cache: module refs are content addresses, so it is never invalidated. */
  readonly #moduleCache = new Map<string, ModuleArtifact>();

  get #manifestReads(): AttachmentManifestReads {
    this.#manifestReadsCache ??= new AttachmentManifestReads(this.#engine.db);
    return this.#manifestReadsCache;
  }

  get #artifacts(): ArtifactContext {
    this.#artifactContextCache ??= { blobs: this.#ctx.blobs, refs: new ArtifactRefReads(this.#engine.db) };
    return this.#artifactContextCache;
  }

  /**
   * Records a write-ahead attachment intent (an upsert) before the bytes are written. A re-put takes
   * the new uri, time and owner but never clears the commit stamp. A half-set or unknown owner
   * rejects with `Backend` and changes nothing.
   */
  async recordIntent(intent: AttachmentIntent): Promise<void> {
    return this.#engine.op(() => {
      const input = attachmentIntentInput(intent);
      this.#engine.command((tx) => recordIntentTx(this.#manifestReads, tx, input));
    });
  }

  /** Stamps the listed rows of `sessionId` committed now (first stamp wins); never inserts. */
  async commitRefs(sessionId: string, attachmentIds: AttachmentId[]): Promise<void> {
    return this.#engine.op(() => {
      const S = v.string(sessionId, 'sessionId');
      const ids = attachmentIdsInput(attachmentIds, 'attachmentIds');
      if (ids.length === 0) return;
      this.#engine.command((tx) => commitRefsTx(this.#manifestReads, tx, S, ids));
    });
  }

  /** Uncommitted rows of every session with intent ≤ `olderThanEpochMs`, by (intent, session, id). */
  async listUncommitted(olderThanEpochMs: number): Promise<AttachmentManifestEntry[]> {
    return this.#engine.op(() => {
      const cutoff = normalizeCount(StoreError, olderThanEpochMs, 'olderThanEpochMs');
      return this.#engine.read(() => this.#manifestReads.uncommitted(cutoff));
    });
  }

  /** Deletes the row `(sessionId, attachmentId)`, committed or not; a missing row is a no-op. */
  async forget(sessionId: string, attachmentId: AttachmentId): Promise<void> {
    return this.#engine.op(() => {
      const S = v.string(sessionId, 'sessionId');
      const id = v.string(attachmentId, 'attachmentId');
      this.#engine.command((tx) => forgetTx(this.#manifestReads, tx, S, id));
    });
  }

  /** Whether this session holds a ref (intent or committed) to the attachment: the facade's read guard. */
  async holdsRef(sessionId: string, attachmentId: AttachmentId): Promise<boolean> {
    return this.#engine.op(() =>
      this.#manifestReads.exists(v.string(sessionId, 'sessionId'), v.string(attachmentId, 'attachmentId')),
    );
  }

  /** Distinct attachment ids over all rows of all sessions in this database, ascending. */
  async listAllRefs(): Promise<AttachmentId[]> {
    return this.#engine.op(() => this.#manifestReads.allRefs());
  }

  /**
   * Reconciliation: deletes every uncommitted intent aged at `cutoffEpochMs` (inclusive) whose owner
   * is dead — ownerless by age, a turn when a different turn of its session committed after the
   * intent, a process when the configured registry no longer has it. Process deaths are proven
   * before the write transaction; the predicate is re-evaluated and applied inside it, so a row
   * refreshed meanwhile survives. An unusable registry rejects with `Backend` and deletes nothing.
   */
  async forgetAgedUncommittedIntents(cutoffEpochMs: number): Promise<void> {
    const cutoff = await this.#engine.op(() => normalizeCount(StoreError, cutoffEpochMs, 'cutoffEpochMs'));
    const dead = await this.#provenDeadProcessOwners(cutoff, null);
    return this.#engine.op(() => {
      this.#engine.command((tx) => forgetAgedIntentsTx(this.#manifestReads, tx, cutoff, dead));
    });
  }

  /** Whether some row of `attachmentId` would survive `forgetAgedUncommittedIntents(cutoffEpochMs)`; read-only. */
  async hasLiveRefForId(attachmentId: AttachmentId, cutoffEpochMs: number): Promise<boolean> {
    const [id, cutoff] = await this.#engine.op(
      () => [v.string(attachmentId, 'attachmentId'), normalizeCount(StoreError, cutoffEpochMs, 'cutoffEpochMs')] as const,
    );
    const dead = await this.#provenDeadProcessOwners(cutoff, id);
    return this.#engine.op(() => this.#engine.read(() => this.#manifestReads.hasLiveRef(id, cutoff, dead)));
  }

  /** Process owners of aged uncommitted rows that the registry no longer has (empty without a registry). */
  async #provenDeadProcessOwners(cutoff: number, attachmentId: string | null): Promise<string[]> {
    const registry = this.#options.processRegistry;
    if (registry === null) return [];
    const owners = await this.#engine.op(() =>
      this.#engine.read(() => this.#manifestReads.agedProcessOwners(cutoff, attachmentId)),
    );
    const dead: string[] = [];
    for (const processId of owners) {
      let record: object | null;
      try {
        record = await registry.tryGetProcess(processId);
      } catch (error) {
        throw registryUnavailable(messageOf(error), error);
      }
      if (record === null || record === undefined) dead.push(processId);
    }
    return dead;
  }

  /** Writes `meta` only when this database has none (factory seeding); true when it wrote. */
  async saveSessionMetaIfAbsent(meta: SessionMeta): Promise<boolean> {
    return this.#engine.op(() => {
      const input = sessionMetaInput(meta);
      return this.#engine.command((tx) => seedSessionMetaTx(this.#engine.db, tx, input));
    });
  }

  /**
   * Stores a lashlang module artifact under its `moduleRef` (canonical JSON, `lashlangModule`
   * descriptor). An invalid artifact — or one `verifyModuleArtifact` rejects — is `ArtifactEncode`.
   */
  async putModuleArtifact(artifact: ModuleArtifact): Promise<void> {
    return this.#engine.op(() => {
      const input = moduleArtifactInput(artifact, this.#options.verifyModuleArtifact);
      const bytes = encodeModuleArtifact(input);
      const descriptor = BlobArtifactDescriptor.lashlangModule();
      this.#engine.command((tx) =>
        putArtifactRefTx(this.#artifacts, tx, MODULE_ARTIFACT_NAMESPACE, input.moduleRef, descriptor, bytes),
      );
      this.#moduleCache.set(input.moduleRef, structuredClone(input));
    });
  }

  /** The module artifact stored under `moduleRef` (a deep copy), or null; damage is `CorruptData`. */
  async getModuleArtifact(moduleRef: string): Promise<ModuleArtifact | null> {
    return this.#engine.op(() => {
      const key = v.string(moduleRef, 'moduleRef');
      const cached = this.#moduleCache.get(key);
      if (cached) return structuredClone(cached);
      const diagnostic = `lashlang module artifact \`${key}\``;
      const bytes = this.#engine.read(() => readArtifactRef(this.#artifacts, MODULE_ARTIFACT_NAMESPACE, key, diagnostic));
      if (bytes === null) return null;
      const artifact = decodeModuleArtifact(bytes, key, this.#options.verifyModuleArtifact);
      this.#moduleCache.set(key, artifact);
      return structuredClone(artifact);
    });
  }

  /** Stores raw artifact bytes under `artifactRef` (overwrites); `'processExecutionEnv'` selects that descriptor. */
  async putArtifactBytes(artifactRef: string, descriptor: string, bytes: Uint8Array): Promise<void> {
    return this.#engine.op(() => {
      const key = v.string(artifactRef, 'artifactRef');
      const kind = v.string(descriptor, 'descriptor');
      const data = v.bytes(bytes, 'bytes');
      const d =
        kind === 'processExecutionEnv' ? BlobArtifactDescriptor.processExecutionEnv() : BlobArtifactDescriptor.genericBlob();
      this.#engine.command((tx) => putArtifactRefTx(this.#artifacts, tx, RAW_ARTIFACT_NAMESPACE, key, d, data));
    });
  }

  /** The raw artifact bytes under `artifactRef`, or null. */
  async getArtifactBytes(artifactRef: string): Promise<Uint8Array | null> {
    return this.#engine.op(() => {
      const key = v.string(artifactRef, 'artifactRef');
      return this.#engine.read(() => readArtifactRef(this.#artifacts, RAW_ARTIFACT_NAMESPACE, key, `artifact \`${key}\``));
    });
  }

  /**
   * Installs `artifact`'s trigger keys as the current manifest of `ownerNamespace` and reports the
   * key diff against the previous one. A damaged previous manifest is `CorruptData` and changes nothing.
   */
  async replaceCurrentTriggerManifest(ownerNamespace: string, artifact: ModuleArtifact): Promise<TriggerManifestReplacement> {
    return this.#engine.op(() => {
      const owner = v.string(ownerNamespace, 'ownerNamespace');
      const current = currentTriggerManifestOf(artifact);
      return this.#engine.command((tx) => replaceTriggerManifestTx(this.#artifacts, tx, owner, current));
    });
  }

  /** The current trigger manifest of `ownerNamespace`, or null. */
  async getCurrentTriggerManifest(ownerNamespace: string): Promise<CurrentTriggerManifest | null> {
    return this.#engine.op(() => {
      const owner = v.string(ownerNamespace, 'ownerNamespace');
      return this.#engine.read(() => readCurrentTriggerManifest(this.#artifacts, owner));
    });
  }

  /** Stores a process execution environment under `envRef` (overwrites). */
  async putProcessExecutionEnv(envRef: string, bytes: Uint8Array): Promise<void> {
    return this.#engine.op(() => {
      const key = v.string(envRef, 'envRef');
      const data = v.bytes(bytes, 'bytes');
      const d = BlobArtifactDescriptor.processExecutionEnv();
      this.#engine.command((tx) => putArtifactRefTx(this.#artifacts, tx, PROCESS_ENV_NAMESPACE, key, d, data));
    });
  }

  /** The process execution environment under `envRef`, or null. */
  async getProcessExecutionEnv(envRef: string): Promise<Uint8Array | null> {
    return this.#engine.op(() => {
      const key = v.string(envRef, 'envRef');
      return this.#engine.read(() =>
        readArtifactRef(this.#artifacts, PROCESS_ENV_NAMESPACE, key, `process execution env \`${key}\``),
      );
    });
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
