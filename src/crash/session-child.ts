/**
 * The session store's crash workload, child side: leases under a `localProcessIdentity` owner
 * (claim, and dead-holder reclaim of a killed sibling's lease), stamped and unstamped commits with
 * checkpoint snapshots, graph appends and resets, usage and outbox batches, queued-work enqueues
 * (and claims settled by commits where the store offers `claimReadyQueuedWork`), pending turn input
 * (enqueues with and without a source key, identical and conflicting source-key replays, active,
 * next-turn and checkpoint claims, completion inside commits, interrupt deferral, abandons),
 * attachments (write-ahead intents through `SessionAttachmentStore` over a `FileAttachmentStore`,
 * ownerless and turn-owned, adopted by commits or left as orphans, and reclamation), blob and
 * checkpoint puts, metadata saves, renewals, releases, GC and archived compactions, and maintenance:
 * cancels of pending turn input (by id and by source key in one call, or the suffix from an anchor),
 * cancels of queued-work batches (by id, or by the source key of a listed batch), node tombstones and
 * vacuums. Every write is reported to the parent through `ChildContext.run`.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FileAttachmentStore } from '../attachments/file-store.js';
import { reclaimUnreferencedAttachments } from '../attachments/reclaim.js';
import { SessionAttachmentStore } from '../attachments/session-store.js';
import { isLashStoreError } from '../errors.js';
import { defaultLivenessProbe } from '../leases/liveness.js';
import { queuedWorkCompletionOf, turnCommitHash, turnInputCompletionOf } from '../leases/pure.js';
import { completionOf, fenceOf } from '../leases/session-lease.js';
import { SqliteSessionStoreFactory } from '../stores/session-store-factory.js';
import { Store } from '../stores/store.js';
import { ZERO_TOKEN_USAGE } from '../testing.js';
import type { AttachmentReclamationReport, AttachmentRef } from '../types/attachments.js';
import type { LeaseOwnerIdentity } from '../types/common.js';
import type {
  BlobArtifactDescriptor,
  CheckpointKind,
  HydratedSessionCheckpoint,
  PendingTurnInput,
  PendingTurnInputCancelOutcome,
  PendingTurnInputCancelTarget,
  PendingTurnInputDraft,
  PendingTurnInputSuffixCancelOutcome,
  QueuedWorkBatchDraft,
  QueuedWorkClaim,
  QueuedWorkClaimBoundary,
  RuntimeCommit,
  SessionExecutionLease,
  SessionExecutionLeaseClaimOutcome,
  SessionExecutionLeaseFence,
  SessionNodeRecord,
  TurnInput,
  TurnInputClaim,
  TurnInputIngress,
} from '../types/session.js';
import type { ChildContext, ChildWorkload, OperationOutcome, OperationSpec } from './module.js';
import type { Prng } from './prng.js';
import {
  attachmentRoot,
  CRASH_ACTIVE_TURNS,
  CRASH_ATTACHMENT_GRACE_MS,
  CRASH_LEASE_TTL_MS,
  CRASH_SESSIONS,
  SESSION_MODULE,
  sessionArchiveDir,
  sessionDbPath,
  sessionsDir,
} from './session-shared.js';

/** `claimReadyQueuedWork` as 10-session-store §3.3.4 specifies it, for stores that offer it. */
interface QueuedWorkClaims {
  claimReadyQueuedWork(
    sessionId: string,
    fence: SessionExecutionLeaseFence,
    owner: LeaseOwnerIdentity,
    boundary: QueuedWorkClaimBoundary,
    maxBatches: number,
  ): Promise<QueuedWorkClaim | null>;
}

/** The store's queued-work claim method, when this build has one. */
export function queuedWorkClaimsOf(store: Store): QueuedWorkClaims | null {
  const candidate = store as unknown as Partial<QueuedWorkClaims>;
  return typeof candidate.claimReadyQueuedWork === 'function' ? (candidate as QueuedWorkClaims) : null;
}

/** Arguments of a blob put, as reported (and retried). */
export interface BlobPutArgs {
  descriptor: BlobArtifactDescriptor | null;
  bytes: Uint8Array;
}

/** Arguments of a compaction, as reported. */
export interface CompactArgs {
  throughSeq: number;
  archivePath: string;
}

/** Arguments of an attachment put through the session facade, as reported (and retried). */
export interface AttachmentPutArgs {
  sessionId: string;
  bytes: Uint8Array;
  /** The turn the intent is bound to (`bindTurnScoped`), or null for an ownerless put. */
  turnId: string | null;
  /** Whether the child means to adopt it explicitly (`committedAttachmentIds`); false = an orphan. */
  adopt: boolean;
}

/** Arguments of a reclamation, as reported. */
export interface ReclaimArgs {
  gracePeriodMs: number;
}

/** A turn-input claim as reported: everything the parent needs to tell it apart and to abandon it. */
export interface TurnInputClaimSummary {
  claimId: string;
  leaseToken: string;
  fencingToken: number;
  sessionLeaseGeneration: number;
  mode: TurnInputClaim['mode'];
  inputIds: string[];
}

/** What a turn-input claim reports. */
export function summarizeInputClaim(c: TurnInputClaim | null): TurnInputClaimSummary | null {
  if (c === null) return null;
  return {
    claimId: c.claimId,
    leaseToken: c.leaseToken,
    fencingToken: c.fencingToken,
    sessionLeaseGeneration: c.sessionLeaseGeneration,
    mode: c.mode,
    inputIds: c.inputs.map((i) => i.inputId),
  };
}

/** The claim kinds a session child reports, by operation name. */
export const INPUT_CLAIM_OPS = ['claimActiveInputs', 'claimNextInputs', 'claimCheckpointWork'] as const;

/** Arguments of a turn-input cancel (`cancelPendingTurnInputs`), as reported and retried. */
export interface CancelInputsArgs {
  sessionId: string;
  targets: PendingTurnInputCancelTarget[];
}

/** Arguments of a suffix cancel (`cancelPendingTurnInputSuffix`), as reported and retried. */
export interface CancelSuffixArgs {
  sessionId: string;
  anchor: PendingTurnInputCancelTarget;
}

/** Arguments of a queued-work cancel: the batch id, and the source key it was looked up by (or null). */
export interface CancelWorkArgs {
  sessionId: string;
  batchId: string;
  sourceKey: string | null;
}

/** One cancel outcome as reported: its kind and, unless `notFound`, the row it names. */
export interface CancelOutcomeSummary {
  kind: PendingTurnInputCancelOutcome['kind'];
  inputId: string | null;
  sourceKey: string | null;
  enqueueSeq: number | null;
  state: string | null;
}

/** What a cancel outcome reports. */
export function summarizeCancelOutcome(o: PendingTurnInputCancelOutcome): CancelOutcomeSummary {
  if (o.kind === 'notFound') return { kind: o.kind, inputId: null, sourceKey: null, enqueueSeq: null, state: null };
  const i = o.input;
  return { kind: o.kind, inputId: i.inputId, sourceKey: i.sourceKey, enqueueSeq: i.enqueueSeq, state: i.state };
}

/** What a suffix cancel reports: `null` outcomes when the anchor was not found. */
export function summarizeSuffixOutcome(o: PendingTurnInputSuffixCancelOutcome): { outcomes: CancelOutcomeSummary[] | null } {
  return { outcomes: o.kind === 'anchorNotFound' ? null : o.outcomes.map(summarizeCancelOutcome) };
}

/** A keyed turn input this child enqueued and saw acknowledged, for replays. */
interface KeyedInput {
  draft: PendingTurnInputDraft;
  inputId: string;
}

interface Slot {
  sessionId: string;
  store: Store;
  archiveDir: string;
  lease: SessionExecutionLease | null;
  /** Head revision as this child last saw it; trustworthy only while `verified`. */
  revision: number;
  verified: boolean;
  leaf: string | null;
  appended: number;
  cursor: number;
  sourceKeys: string[];
  contents: Uint8Array[];
  claim: QueuedWorkClaim | null;
  /** Acknowledged keyed turn inputs (identical replays must return the stored input). */
  inputKeys: KeyedInput[];
  /** Turn-input claims held under the current lease; the next commit completes them. */
  inputClaims: TurnInputClaim[];
  /** Claims left over from a lease this child no longer holds; an abandon gives their inputs back. */
  orphanClaims: TurnInputClaim[];
  /** Acknowledged ownerless attachments the next commit adopts (`committedAttachmentIds`). */
  toAdopt: string[];
  /** The turn id of the next stamped commit, once a turn-owned attachment was put for it. */
  turnId: string | null;
  /** Acknowledged input ids (cancel targets), batch ids (cancel targets) and committed node ids (tombstone targets). */
  inputIds: string[];
  batchIds: string[];
  nodeIds: string[];
}

type SessionOp =
  | 'commit'
  | 'enqueue'
  | 'putBlob'
  | 'putCheckpoint'
  | 'saveMeta'
  | 'renew'
  | 'release'
  | 'compact'
  | 'gc'
  | 'claimWork'
  | 'enqueueInput'
  | 'claimInputs'
  | 'abandonInputs'
  | 'putAttachment'
  | 'reclaimAttachments'
  | 'cancelInputs'
  | 'cancelWork'
  | 'tombstoneNodes'
  | 'vacuum';

/** Random bytes or compressible text, mostly small, sometimes up to 64 KiB. */
export function blobContent(rng: Prng): Uint8Array {
  const r = rng.float();
  const size = r < 0.7 ? rng.int(512) : r < 0.95 ? rng.between(512, 8192) : rng.between(8192, 65_536);
  if (rng.chance(0.5)) return rng.bytes(size);
  const word = `lorem-${rng.int(1000)} `;
  return new TextEncoder().encode(word.repeat(Math.ceil(size / word.length)).slice(0, size));
}

function messageNode(
  id: string,
  parent: string | null,
  role: 'user' | 'assistant',
  content: string,
  timestamp: string,
): SessionNodeRecord {
  return {
    nodeId: id,
    parentNodeId: parent,
    causedBy: null,
    agentFrameId: 'main',
    timestamp,
    payload: {
      kind: 'event',
      event: {
        kind: 'conversation',
        message: { id: `${id}:m`, role, parts: [{ id: `${id}:p0`, kind: 'text', content, pruneState: 'intact' }], origin: null },
      },
    },
  };
}

class SessionChild implements ChildWorkload {
  readonly weight = 1;
  readonly #weights: Record<SessionOp, number>;
  readonly #attachments: FileAttachmentStore;
  #rootSet: SqliteSessionStoreFactory | null = null;

  constructor(
    private readonly ctx: ChildContext,
    private readonly slots: Slot[],
  ) {
    this.#attachments = new FileAttachmentStore(attachmentRoot(ctx.dir));
    const claims = slots[0] ? queuedWorkClaimsOf(slots[0].store) !== null : false;
    this.#weights = {
      commit: 30,
      enqueue: 8,
      putBlob: 8,
      putCheckpoint: 4,
      saveMeta: 4,
      renew: 4,
      release: 3,
      compact: ctx.focus.has('compaction') ? 40 : 2,
      gc: 1,
      claimWork: claims ? 6 : 0,
      enqueueInput: 8,
      claimInputs: 6,
      abandonInputs: 3,
      putAttachment: 5,
      reclaimAttachments: 1,
      cancelInputs: 3,
      cancelWork: 2,
      tombstoneNodes: 2,
      vacuum: 1,
    };
  }

  async step(): Promise<void> {
    const slot = this.ctx.rng.pick(this.slots);
    const op = this.ctx.rng.weighted(this.#weights);
    switch (op) {
      case 'commit':
        if (await this.#ensureLease(slot)) await this.#commit(slot);
        return;
      case 'claimWork':
        if (await this.#ensureLease(slot)) await this.#claimWork(slot);
        return;
      case 'claimInputs':
        if (await this.#ensureLease(slot)) await this.#claimInputs(slot);
        return;
      case 'enqueueInput':
        return this.#enqueueInput(slot);
      case 'abandonInputs':
        return this.#abandonInputs(slot);
      case 'putAttachment':
        return this.#putAttachment(slot);
      case 'reclaimAttachments':
        return this.#reclaimAttachments(slot);
      case 'cancelInputs':
        return this.#cancelInputs(slot);
      case 'cancelWork':
        return this.#cancelWork(slot);
      case 'tombstoneNodes':
        return this.#tombstoneNodes(slot);
      case 'vacuum':
        return this.#vacuum(slot);
      case 'renew':
        if (slot.lease) await this.#renew(slot, slot.lease);
        else await this.#ensureLease(slot);
        return;
      case 'release':
        if (slot.lease) await this.#release(slot, slot.lease);
        return;
      case 'enqueue':
        return this.#enqueue(slot);
      case 'putBlob':
        return this.#putBlob(slot);
      case 'putCheckpoint':
        return this.#putCheckpoint(slot);
      case 'saveMeta':
        return this.#saveMeta(slot);
      case 'compact':
        return this.#compact(slot);
      case 'gc':
        return this.#gc(slot);
    }
  }

  #forgetLease(slot: Slot): void {
    slot.lease = null;
    slot.verified = false;
    slot.claim = null;
    slot.orphanClaims.push(...slot.inputClaims);
    slot.inputClaims = [];
  }

  /** Runs one session operation through the parent's protocol, on session database `db`. */
  #run<T>(db: string, spec: Omit<OperationSpec<T>, 'module' | 'db'>): Promise<OperationOutcome<T>> {
    return this.ctx.run({ ...spec, module: SESSION_MODULE, db });
  }

  /** Holds the slot's lease: claim, or reclaim a provably dead holder's lease at once. */
  async #ensureLease(slot: Slot): Promise<boolean> {
    if (slot.lease) return true;
    const { ctx } = this;
    const args = { sessionId: slot.sessionId, owner: ctx.identity, ttlMs: CRASH_LEASE_TTL_MS };
    const claimed = await this.#run<SessionExecutionLeaseClaimOutcome>(slot.sessionId, {
      id: ctx.nextOpId(),
      op: 'claimLease',
      args,
      exec: () => slot.store.tryClaimSessionExecutionLease(args.sessionId, args.owner, args.ttlMs),
      summarize: summarizeClaim,
    });
    if (!claimed.ok) return false;
    if (claimed.value.kind === 'acquired') {
      slot.lease = claimed.value.lease;
      return true;
    }
    const holder = claimed.value.holder;
    const liveness = holder.owner.liveness;
    const mine = ctx.identity.liveness;
    if (liveness.kind !== 'localProcess' || mine.kind !== 'localProcess') return false;
    if (liveness.hostId !== mine.hostId || liveness.bootId !== mine.bootId) return false;
    if (defaultLivenessProbe.isAlive(liveness.pid, liveness.processStart) !== false) return false;
    const observed = fenceOf(holder);
    const reclaimArgs = {
      sessionId: slot.sessionId,
      claimant: ctx.identity,
      observedHolder: observed,
      ttlMs: CRASH_LEASE_TTL_MS,
    };
    const reclaimed = await this.#run<SessionExecutionLeaseClaimOutcome>(slot.sessionId, {
      id: ctx.nextOpId(),
      op: 'reclaimLease',
      args: reclaimArgs,
      exec: () =>
        slot.store.reclaimSessionExecutionLease(
          reclaimArgs.sessionId,
          reclaimArgs.claimant,
          reclaimArgs.observedHolder,
          reclaimArgs.ttlMs,
        ),
      summarize: summarizeClaim,
    });
    if (!reclaimed.ok) return false;
    if (reclaimed.value.kind === 'acquired') {
      if (reclaimed.value.lease.fencingToken !== holder.fencingToken + 1) {
        ctx.violation(`reclaim of ${slot.sessionId} from dead pid ${liveness.pid} did not advance the fencing token by one`);
      }
      slot.lease = reclaimed.value.lease;
      return true;
    }
    // Busy again: only legitimate when somebody else took the lease over in between.
    if (reclaimed.value.holder.leaseToken === holder.leaseToken) {
      ctx.violation(`reclaim of ${slot.sessionId} refused although holder pid ${liveness.pid} is provably dead`);
    }
    return false;
  }

  #checkpoint(opId: string, turnIndex: number): HydratedSessionCheckpoint {
    const { rng } = this.ctx;
    const plugin = rng.chance(0.3);
    return {
      turnState: { turnIndex, tokenUsage: { ...ZERO_TOKEN_USAGE }, lastPromptUsage: null, protocolTurnOptions: { op: opId } },
      toolStateRef: null,
      toolState: rng.chance(0.7) ? { files: Array.from({ length: rng.int(6) }, (_, i) => `file-${i}.md`), op: opId } : null,
      pluginSnapshotRef: null,
      pluginSnapshot: plugin ? { plugin: 'crash', counter: rng.int(1000) } : null,
      pluginSnapshotRevision: plugin ? rng.int(100) : null,
      executionStateRef: null,
      executionState: rng.chance(0.6) ? blobContent(rng) : null,
    };
  }

  async #commit(slot: Slot): Promise<void> {
    const { ctx } = this;
    const { rng } = ctx;
    const lease = slot.lease as SessionExecutionLease;
    const opId = ctx.nextOpId();
    const S = slot.sessionId;
    const count = rng.between(1, 3);
    const replace = slot.appended > 40 || rng.chance(0.03);
    const timestamp = new Date(Date.UTC(2026, 0, 1) + rng.int(1e9)).toISOString();
    const nodes: SessionNodeRecord[] = [];
    let parent = replace ? null : slot.leaf;
    for (let i = 0; i < count; i++) {
      const big = rng.chance(0.03);
      const content = big ? 'x'.repeat(rng.between(4096, 9000)) : `message ${opId}/${i}`;
      const node = messageNode(`${opId}:n${i}`, parent, i % 2 === 0 ? 'user' : 'assistant', content, timestamp);
      nodes.push(node);
      parent = node.nodeId;
    }
    const leafNodeId = parent;
    const outbox: QueuedWorkBatchDraft[] = rng.chance(0.2) ? [this.#draft(S, `crash:${opId}:outbox`, opId)] : [];
    const body: RuntimeCommit = {
      sessionId: S,
      expectedHeadRevision: slot.revision,
      sessionExecutionLease: null,
      releaseSessionExecutionLease: null,
      config: { providerId: 'crash', model: { id: 'crash-model' } },
      agentFrames: [{ frameId: 'main', op: opId }],
      currentAgentFrameId: 'main',
      graph: replace ? { kind: 'replaceFull', graph: { nodes, leafNodeId } } : { kind: 'append', nodes, leafNodeId },
      checkpoint: this.#checkpoint(opId, slot.revision + 1),
      usageDeltas: rng.chance(0.7)
        ? [
            {
              source: 'turn',
              model: 'crash-model',
              usage: { ...ZERO_TOKEN_USAGE, inputTokens: rng.int(5000), outputTokens: rng.int(900) },
            },
          ]
        : [],
      turnCommit: null,
      completedQueueClaims: slot.claim ? [queuedWorkCompletionOf(slot.claim)] : [],
      completedTurnInputClaims: slot.inputClaims.map(turnInputCompletionOf),
      enqueuedQueueBatches: outbox,
      interruptedTurnInputTurnId: rng.chance(0.15) ? rng.pick(CRASH_ACTIVE_TURNS) : null,
      committedAttachmentIds: [...slot.toAdopt],
    };
    const stamped = rng.chance(0.8);
    // A stamped commit is the turn its turn-owned attachments were put for; the turn commit adopts them.
    const turnId = slot.turnId ?? opId;
    const commit: RuntimeCommit = {
      ...body,
      turnCommit: stamped ? { sessionId: S, turnId, turnCommitHash: turnCommitHash(body) } : null,
      sessionExecutionLease: fenceOf(lease),
      releaseSessionExecutionLease: rng.chance(0.25) ? completionOf(lease) : null,
    };
    const verified = slot.verified;
    const outcome = await this.#run(S, {
      id: opId,
      op: 'commit',
      args: commit,
      exec: () => slot.store.commitRuntimeState(commit),
      summarize: (r) => r,
      // A stale cached revision is the one conflict a correct workload meets (first commit after a claim).
      expectedError: (e) => !verified && isLashStoreError(e, 'HeadRevisionConflict'),
    });
    if (outcome.ok) {
      slot.revision = outcome.value.headRevision;
      slot.verified = true;
      slot.leaf = leafNodeId;
      slot.appended = replace ? nodes.length : slot.appended + nodes.length;
      if (replace) slot.nodeIds = [];
      slot.nodeIds.push(...nodes.map((n) => n.nodeId));
      if (slot.nodeIds.length > 40) slot.nodeIds.splice(0, slot.nodeIds.length - 40);
      slot.claim = null;
      slot.inputClaims = [];
      slot.toAdopt = [];
      if (stamped) slot.turnId = null;
      if (commit.releaseSessionExecutionLease) this.#forgetLease(slot);
    } else if (isLashStoreError(outcome.error, 'HeadRevisionConflict')) {
      slot.revision = Number(outcome.error.actual);
      slot.verified = true;
      slot.leaf = null;
      slot.appended = 41; // unknown graph size: reset it on the next commit
    } else {
      this.#forgetLease(slot);
    }
  }

  #draft(sessionId: string, sourceKey: string | null, opId: string): QueuedWorkBatchDraft {
    const { rng } = this.ctx;
    const command = rng.chance(0.2);
    return {
      sessionId,
      sourceKey,
      deliveryPolicy: rng.pick(['earliestSafeBoundary', 'afterCurrentTurnCommit'] as const),
      slotPolicy: rng.pick(['join', 'exclusive'] as const),
      mergeKey: { kind: 'never' },
      availableAtMs: 0,
      payloads: command
        ? [{ kind: 'sessionCommand', command: { kind: 'refreshToolCatalog', reason: opId } }]
        : [{ kind: 'agentFrameTask', frameId: 'main', task: `task ${opId}`, protocolTurnOptions: null }],
    };
  }

  async #enqueue(slot: Slot): Promise<void> {
    const { ctx } = this;
    const opId = ctx.nextOpId();
    const reuse = slot.sourceKeys.length > 0 && ctx.rng.chance(0.15);
    const key = reuse ? ctx.rng.pick(slot.sourceKeys) : `crash:${opId}`;
    const draft = this.#draft(slot.sessionId, key, opId);
    const outcome = await this.#run(slot.sessionId, {
      id: opId,
      op: 'enqueue',
      args: draft,
      exec: () => slot.store.enqueueQueuedWork(draft),
      summarize: (b) => ({ batchId: b.batchId, sourceKey: b.sourceKey, enqueueSeq: b.enqueueSeq }),
    });
    if (outcome.ok && !reuse) slot.sourceKeys.push(key);
    if (outcome.ok && !reuse && slot.batchIds.length < 40) slot.batchIds.push(outcome.value.batchId);
  }

  async #claimWork(slot: Slot): Promise<void> {
    const claims = queuedWorkClaimsOf(slot.store);
    if (!claims || slot.claim || !slot.lease) return;
    const { ctx } = this;
    const lease = slot.lease;
    const args = {
      sessionId: slot.sessionId,
      fence: fenceOf(lease),
      owner: ctx.identity,
      boundary: 'idle' as const,
      maxBatches: 2,
    };
    const outcome = await this.#run(slot.sessionId, {
      id: ctx.nextOpId(),
      op: 'claimWork',
      args,
      exec: () => claims.claimReadyQueuedWork(args.sessionId, args.fence, args.owner, args.boundary, args.maxBatches),
      summarize: (c) => (c === null ? null : { claimId: c.claimId, batchIds: c.batches.map((b) => b.batchId) }),
    });
    if (outcome.ok) slot.claim = outcome.value;
  }

  /** Fresh turn input: active (for one of the campaign's turns) or next-turn, text and sometimes inline bytes. */
  #turnInput(opId: string): { ingress: TurnInputIngress; input: TurnInput } {
    const { rng } = this.ctx;
    const ingress: TurnInputIngress = rng.chance(0.55)
      ? {
          kind: 'activeTurn',
          turnId: rng.pick(CRASH_ACTIVE_TURNS),
          minBoundary: rng.pick(['afterWork', 'beforeCompletion'] as const),
        }
      : { kind: 'nextTurn' };
    const items: TurnInput['items'] = [{ kind: 'text', text: `input ${opId}` }];
    if (rng.chance(0.2)) items.push({ kind: 'attachment', source: { inline: rng.bytes(rng.between(1, 64)), label: opId } });
    const input: TurnInput = {
      items,
      protocolTurnOptions: rng.chance(0.3) ? { op: opId } : null,
      traceTurnId: rng.chance(0.3) ? `trace-${opId}` : null,
    };
    return { ingress, input };
  }

  /**
   * Enqueues pending turn input: fresh (with a source key and a generated id, or without a source key
   * with an explicit or a generated id), or a replay of a source key this child saw acknowledged —
   * identical (must return the stored input) or with other content (must conflict).
   */
  async #enqueueInput(slot: Slot): Promise<void> {
    const { ctx } = this;
    const { rng } = ctx;
    const opId = ctx.nextOpId();
    const summarize = (i: PendingTurnInput) => ({
      inputId: i.inputId,
      sourceKey: i.sourceKey,
      enqueueSeq: i.enqueueSeq,
      state: i.state,
    });
    if (slot.inputKeys.length > 0 && rng.chance(0.2)) {
      const prior = rng.pick(slot.inputKeys);
      const conflicting = rng.chance(0.3);
      const draft: PendingTurnInputDraft = conflicting
        ? { ...prior.draft, input: { ...prior.draft.input, items: [{ kind: 'text', text: `other ${opId}` }] } }
        : prior.draft;
      // Interrupt deferral rewrites an active input's ingress to next-turn, so even an identical replay may conflict then.
      const mayConflict = conflicting || prior.draft.ingress.kind === 'activeTurn';
      const outcome = await this.#run(slot.sessionId, {
        id: opId,
        op: 'enqueueInput',
        args: draft,
        exec: () => slot.store.enqueuePendingTurnInput(draft),
        summarize,
        expectedError: (e) => mayConflict && isLashStoreError(e, 'PendingTurnInputSourceKeyConflict'),
      });
      if (!outcome.ok) return;
      // A vacuum frees the key of a terminal input: the replay then enqueues a new input. Whether the
      // old one really was vacuumed (and the new one holds exactly this content) the verifier checks
      // against the log; here the child only follows the key to its new input.
      if (conflicting || outcome.value.inputId !== prior.inputId) {
        prior.draft = draft;
        prior.inputId = outcome.value.inputId;
      }
      return;
    }
    const keyed = rng.chance(0.6);
    const { ingress, input } = this.#turnInput(opId);
    const draft: PendingTurnInputDraft = {
      sessionId: slot.sessionId,
      inputId: !keyed && rng.chance(0.6) ? `${opId}:input` : null,
      sourceKey: keyed ? `crash:${opId}:input` : null,
      ingress,
      input,
    };
    const outcome = await this.#run(slot.sessionId, {
      id: opId,
      op: 'enqueueInput',
      args: draft,
      exec: () => slot.store.enqueuePendingTurnInput(draft),
      summarize,
    });
    if (outcome.ok && keyed && slot.inputKeys.length < 40) slot.inputKeys.push({ draft, inputId: outcome.value.inputId });
    if (outcome.ok && slot.inputIds.length < 40) slot.inputIds.push(outcome.value.inputId);
  }

  /**
   * Cancels pending turn input this child enqueued: one or two targets by id or by source key (and
   * sometimes a key nobody holds) in one call, or now and then the suffix from a recent input.
   * Claimed, completed and already cancelled inputs report so; the verifier checks each outcome.
   */
  async #cancelInputs(slot: Slot): Promise<void> {
    const { ctx } = this;
    const { rng } = ctx;
    if (slot.inputIds.length === 0) return;
    const opId = ctx.nextOpId();
    const S = slot.sessionId;
    const target = (): PendingTurnInputCancelTarget => {
      if (slot.inputKeys.length > 0 && rng.chance(0.45))
        return { kind: 'sourceKey', value: rng.pick(slot.inputKeys).draft.sourceKey as string };
      return { kind: 'inputId', value: rng.pick(slot.inputIds) };
    };
    if (rng.chance(0.3)) {
      // The suffix from one of the last few inputs, so it cancels a handful rather than the queue.
      const recent = slot.inputIds.slice(-3);
      const args: CancelSuffixArgs = { sessionId: S, anchor: { kind: 'inputId', value: rng.pick(recent) } };
      if (slot.inputKeys.length > 0 && rng.chance(0.3)) {
        args.anchor = { kind: 'sourceKey', value: (slot.inputKeys.at(-1) as KeyedInput).draft.sourceKey as string };
      }
      await this.#run(S, {
        id: opId,
        op: 'cancelInputSuffix',
        args,
        exec: () => slot.store.cancelPendingTurnInputSuffix(S, args.anchor),
        summarize: summarizeSuffixOutcome,
      });
      return;
    }
    const targets = Array.from({ length: rng.between(1, 2) }, target);
    if (rng.chance(0.15)) targets.push({ kind: 'sourceKey', value: `crash:${opId}:missing` });
    const args: CancelInputsArgs = { sessionId: S, targets };
    await this.#run(S, {
      id: opId,
      op: 'cancelInputs',
      args,
      exec: () => slot.store.cancelPendingTurnInputs(S, targets),
      summarize: (results) => results.map((r) => summarizeCancelOutcome(r.outcome)),
    });
  }

  /**
   * Cancels a queued-work batch this child enqueued: by its id, or by the source key of a batch the
   * store lists. A live claim or a batch already completed or cancelled gives `null`.
   */
  async #cancelWork(slot: Slot): Promise<void> {
    const { ctx } = this;
    const { rng } = ctx;
    const S = slot.sessionId;
    let args: CancelWorkArgs | null = null;
    if (slot.sourceKeys.length > 0 && rng.chance(0.4)) {
      const key = rng.pick(slot.sourceKeys);
      const batch = (await slot.store.listQueuedWork(S)).find((b) => b.sourceKey === key);
      if (batch) args = { sessionId: S, batchId: batch.batchId, sourceKey: key };
    }
    if (args === null && slot.batchIds.length > 0) args = { sessionId: S, batchId: rng.pick(slot.batchIds), sourceKey: null };
    if (args === null) return;
    const { batchId } = args;
    await this.#run(S, {
      id: ctx.nextOpId(),
      op: 'cancelWork',
      args,
      exec: () => slot.store.cancelQueuedWorkBatch(S, batchId),
      summarize: (b) => (b === null ? null : { batchId: b.batchId, sourceKey: b.sourceKey }),
    });
  }

  /** Tombstones one or two nodes this child committed (sometimes with an id no node has). */
  async #tombstoneNodes(slot: Slot): Promise<void> {
    const { ctx } = this;
    const { rng } = ctx;
    if (slot.nodeIds.length === 0) return;
    const opId = ctx.nextOpId();
    const ids = [...new Set(Array.from({ length: rng.between(1, 2) }, () => rng.pick(slot.nodeIds)))];
    if (rng.chance(0.15)) ids.push(`${opId}:unknown`);
    slot.nodeIds = slot.nodeIds.filter((id) => !ids.includes(id));
    await this.#run(slot.sessionId, {
      id: opId,
      op: 'tombstoneNodes',
      args: { ids },
      exec: () => slot.store.tombstoneNodes(ids),
      summarize: () => null,
    });
  }

  /** Physically deletes tombstoned nodes and terminal turn input of the session. */
  async #vacuum(slot: Slot): Promise<void> {
    const { ctx } = this;
    await this.#run(slot.sessionId, {
      id: ctx.nextOpId(),
      op: 'vacuum',
      args: null,
      exec: () => slot.store.vacuum(),
      summarize: (r) => r,
    });
  }

  /**
   * Claims turn input under the slot's lease: the active input of a turn at a checkpoint, next-turn
   * input at idle, or both input and queued work at a checkpoint (`claimCheckpointWork`).
   */
  async #claimInputs(slot: Slot): Promise<void> {
    if (!slot.lease || slot.inputClaims.length >= 2) return;
    const { ctx } = this;
    const { rng } = ctx;
    const fence = fenceOf(slot.lease);
    const S = slot.sessionId;
    const kind = rng.weighted({ active: 3, next: 2, checkpoint: 2 });
    const maxInputs = rng.between(1, 3);
    const turnId = rng.pick(CRASH_ACTIVE_TURNS);
    const checkpoint: CheckpointKind = rng.pick(['afterWork', 'beforeCompletion'] as const);
    const base = { sessionId: S, fence, owner: ctx.identity, maxInputs };
    const keep = (claim: TurnInputClaim | null) => {
      if (claim) slot.inputClaims.push(claim);
    };
    if (kind === 'active') {
      const args = { ...base, turnId, checkpoint };
      const outcome = await this.#run(S, {
        id: ctx.nextOpId(),
        op: 'claimActiveInputs',
        args,
        exec: () => slot.store.claimActiveTurnInputs(S, fence, args.owner, turnId, checkpoint, maxInputs),
        summarize: summarizeInputClaim,
      });
      if (outcome.ok) keep(outcome.value);
      else this.#forgetLease(slot);
    } else if (kind === 'next') {
      const outcome = await this.#run(S, {
        id: ctx.nextOpId(),
        op: 'claimNextInputs',
        args: base,
        exec: () => slot.store.claimNextTurnInputs(S, fence, base.owner, maxInputs),
        summarize: summarizeInputClaim,
      });
      if (outcome.ok) keep(outcome.value);
      else this.#forgetLease(slot);
    } else {
      const maxBatches = slot.claim ? 0 : rng.int(3);
      const args = { ...base, turnId, checkpoint, maxBatches };
      const outcome = await this.#run(S, {
        id: ctx.nextOpId(),
        op: 'claimCheckpointWork',
        args,
        exec: () => slot.store.claimCheckpointWork(S, fence, args.owner, turnId, checkpoint, maxInputs, maxBatches),
        summarize: ([inputs, work]) => ({
          inputs: summarizeInputClaim(inputs),
          work: work === null ? null : { claimId: work.claimId, batchIds: work.batches.map((b) => b.batchId) },
        }),
      });
      if (!outcome.ok) {
        this.#forgetLease(slot);
        return;
      }
      keep(outcome.value[0]);
      if (outcome.value[1]) slot.claim = outcome.value[1];
    }
  }

  /** Gives back claimed input: every claim of a lease the child lost, and the oldest one it still holds. */
  async #abandonInputs(slot: Slot): Promise<void> {
    const { ctx } = this;
    const claims = [...slot.orphanClaims.splice(0), ...slot.inputClaims.splice(0, 1)];
    if (claims.length === 0) return;
    await this.#run(slot.sessionId, {
      id: ctx.nextOpId(),
      op: 'abandonInputs',
      args: { claims },
      exec: () => slot.store.abandonTurnInputClaims(claims),
      summarize: () => null,
    });
  }

  /**
   * Puts attachment bytes through the session facade: the intent is recorded in the manifest before
   * the bytes are written. Ownerless puts are mostly adopted explicitly by the next commit and
   * sometimes left as orphans; turn-owned puts are adopted by the stamped commit of their turn.
   */
  async #putAttachment(slot: Slot): Promise<void> {
    const { ctx } = this;
    const { rng } = ctx;
    const opId = ctx.nextOpId();
    const turnOwned = rng.chance(0.35);
    if (turnOwned) slot.turnId ??= `${opId}:turn`;
    const args: AttachmentPutArgs = {
      sessionId: slot.sessionId,
      bytes: rng.bytes(rng.between(16, 4096)),
      turnId: turnOwned ? slot.turnId : null,
      adopt: !turnOwned && rng.chance(0.75),
    };
    const outcome = await this.#run(slot.sessionId, {
      id: opId,
      op: 'putAttachment',
      args,
      exec: () => putAttachment(this.#attachments, slot.store, args, opId),
      summarize: (r) => ({ id: r.id, byteLen: r.byteLen }),
    });
    if (outcome.ok && args.adopt && slot.toAdopt.length < 8) slot.toAdopt.push(outcome.value.id);
  }

  /** The host's reclamation lever over every session database of the campaign and the shared attachment store. */
  async #reclaimAttachments(slot: Slot): Promise<void> {
    const { ctx } = this;
    this.#rootSet ??= new SqliteSessionStoreFactory(sessionsDir(ctx.dir));
    const rootSet = this.#rootSet;
    const args: ReclaimArgs = { gracePeriodMs: CRASH_ATTACHMENT_GRACE_MS };
    const outcome = await this.#run<AttachmentReclamationReport>(slot.sessionId, {
      id: ctx.nextOpId(),
      op: 'reclaimAttachments',
      args,
      exec: () => reclaimUnreferencedAttachments(rootSet, this.#attachments, args.gracePeriodMs),
      summarize: (r) => r,
    });
    if (!outcome.ok) return;
    const r = outcome.value;
    if (r.deletedWhileReferenced.length > 0) {
      ctx.violation(`reclamation deleted referenced attachments ${r.deletedWhileReferenced.join(', ')}`);
    }
    if (r.failedIds.length > 0) ctx.violation(`reclamation failed on attachments ${r.failedIds.join(', ')}`);
  }

  async #putBlob(slot: Slot): Promise<void> {
    const { ctx } = this;
    const { rng } = ctx;
    const bytes = slot.contents.length > 0 && rng.chance(0.2) ? rng.pick(slot.contents) : blobContent(rng);
    if (slot.contents.length < 20) slot.contents.push(bytes);
    const descriptor: BlobArtifactDescriptor | null = rng.chance(0.5)
      ? { kind: rng.pick(['toolState', 'executionStateSnapshot', 'genericBlob'] as const), hints: ['compressible'] }
      : null;
    const args: BlobPutArgs = { descriptor, bytes };
    await this.#run(slot.sessionId, {
      id: ctx.nextOpId(),
      op: 'putBlob',
      args,
      exec: () => (descriptor ? slot.store.putArtifactBlob(descriptor, bytes) : slot.store.putBlob(bytes)),
      summarize: (ref) => ({ ref }),
    });
  }

  async #putCheckpoint(slot: Slot): Promise<void> {
    const { ctx } = this;
    const opId = ctx.nextOpId();
    const checkpoint = this.#checkpoint(opId, ctx.rng.int(100));
    await this.#run(slot.sessionId, {
      id: opId,
      op: 'putCheckpoint',
      args: checkpoint,
      exec: () => slot.store.putCheckpoint(checkpoint),
      summarize: (r) => ({ checkpointRef: r.checkpointRef }),
    });
  }

  async #saveMeta(slot: Slot): Promise<void> {
    const { ctx } = this;
    const opId = ctx.nextOpId();
    const meta = {
      sessionId: slot.sessionId,
      sessionName: `meta ${opId}`,
      createdAt: '2026-01-01T00:00:00.000Z',
      model: 'crash-model',
      cwd: ctx.rng.chance(0.5) ? '/work' : null,
      relation: ctx.rng.chance(0.8)
        ? ({ kind: 'root' } as const)
        : ({ kind: 'child', parentSessionId: 'alpha', causedBy: { op: opId } } as const),
    };
    await this.#run(slot.sessionId, {
      id: opId,
      op: 'saveMeta',
      args: meta,
      exec: () => slot.store.saveSessionMeta(meta),
      summarize: () => null,
    });
  }

  async #renew(slot: Slot, lease: SessionExecutionLease): Promise<void> {
    const { ctx } = this;
    const args = { fence: fenceOf(lease), ttlMs: CRASH_LEASE_TTL_MS };
    const outcome = await this.#run(slot.sessionId, {
      id: ctx.nextOpId(),
      op: 'renew',
      args,
      exec: () => slot.store.renewSessionExecutionLease(args.fence, args.ttlMs),
      summarize: (l) => ({ expiresAtEpochMs: l.expiresAtEpochMs, fencingToken: l.fencingToken }),
    });
    if (outcome.ok) slot.lease = outcome.value;
    else this.#forgetLease(slot);
  }

  async #release(slot: Slot, lease: SessionExecutionLease): Promise<void> {
    const { ctx } = this;
    const completion = completionOf(lease);
    this.#forgetLease(slot);
    await this.#run(slot.sessionId, {
      id: ctx.nextOpId(),
      op: 'release',
      args: completion,
      exec: () => slot.store.releaseSessionExecutionLease(completion),
      summarize: () => null,
    });
  }

  async #compact(slot: Slot): Promise<void> {
    const { ctx } = this;
    const recent = await slot.store.readEvents({ afterSeq: slot.cursor });
    const last = recent.at(-1);
    if (last) slot.cursor = last.seq;
    if (slot.cursor === 0) return;
    const opId = ctx.nextOpId();
    const args: CompactArgs = {
      throughSeq: Math.max(1, slot.cursor - ctx.rng.int(20)),
      archivePath: join(slot.archiveDir, `${opId}.ndjson`),
    };
    await this.#run(slot.sessionId, {
      id: opId,
      op: 'compact',
      args,
      exec: () => slot.store.compactEventLog(args),
      summarize: (r) => r,
      // Two children compacting the same database at once: the later one is refused.
      expectedError: (e) => isLashStoreError(e, 'Backend') && String(e.detail).startsWith('concurrent compaction'),
    });
  }

  async #gc(slot: Slot): Promise<void> {
    await this.#run(slot.sessionId, {
      id: this.ctx.nextOpId(),
      op: 'gc',
      args: null,
      exec: () => slot.store.gcUnreachable(),
      summarize: (r) => r,
    });
  }

  async close(): Promise<void> {
    for (const slot of this.slots) await slot.store.close();
  }
}

/** A put through the session facade, owned by `args.turnId` when set (the parent retries with the same call). */
export async function putAttachment(
  backend: FileAttachmentStore,
  store: Store,
  args: AttachmentPutArgs,
  label: string,
): Promise<AttachmentRef> {
  const facade = new SessionAttachmentStore(backend, store, args.sessionId);
  const binding = args.turnId === null ? null : facade.bindTurnScoped(args.turnId);
  try {
    return await facade.put(args.bytes, { mediaType: 'application/octet-stream', label });
  } finally {
    binding?.release();
  }
}

function summarizeClaim(o: SessionExecutionLeaseClaimOutcome): unknown {
  return o.kind === 'acquired'
    ? { kind: 'acquired', leaseToken: o.lease.leaseToken, fencingToken: o.lease.fencingToken }
    : { kind: 'busy', leaseToken: o.holder.leaseToken, fencingToken: o.holder.fencingToken };
}

/** Opens every session database of the campaign inside a child. */
export async function openSessionChild(ctx: ChildContext): Promise<ChildWorkload> {
  const slots: Slot[] = [];
  for (const sessionId of CRASH_SESSIONS) {
    const path = sessionDbPath(ctx.dir, sessionId);
    mkdirSync(dirname(path), { recursive: true });
    const archiveDir = sessionArchiveDir(ctx.dir, sessionId);
    mkdirSync(archiveDir, { recursive: true });
    slots.push({
      sessionId,
      store: await Store.open(path),
      archiveDir,
      lease: null,
      revision: 0,
      verified: false,
      leaf: null,
      appended: 41,
      cursor: 0,
      sourceKeys: [],
      contents: [],
      claim: null,
      inputKeys: [],
      inputClaims: [],
      orphanClaims: [],
      toAdopt: [],
      turnId: null,
      inputIds: [],
      batchIds: [],
      nodeIds: [],
    });
  }
  return new SessionChild(ctx, slots);
}
