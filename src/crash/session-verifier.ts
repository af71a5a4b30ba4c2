/**
 * The session store's crash workload, parent side. After every round it reopens each session
 * database and proves: the database and its projections are sound; every acknowledged operation is
 * there (a stamped turn replays to exactly its acknowledged result); every commit's events are
 * all there, in one block, or none is, and settle exactly the claims, deferrals and attachment
 * adoptions the state before it implies; pending turn input and the attachment manifest, as the
 * store lists them, equal a model folded from the complete log (no input completed twice, no two
 * inputs per source key, no committed ref forgotten); a leased session whose holder was killed is
 * reclaimed at once; and retrying each killed child's in-flight operation is idempotent or
 * conflicts exactly as 10-session-store specifies. Maintenance too: every cancel outcome a child saw
 * is the one §3.2.3 gives for the row as the log has it, an acknowledged cancel is durable (its rows
 * cancelled in one event, never claimed, deferred or completed after), a suffix cancel covers exactly
 * the rows from its anchor on, and a vacuum deletes all and only the tombstoned nodes and terminal
 * inputs the log holds (a vacuumed terminal input still counts as present for every other check).
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FileAttachmentStore } from '../attachments/file-store.js';
import { SessionAttachmentStore } from '../attachments/session-store.js';
import { isLashStoreError } from '../errors.js';
import { EVENT_LOG_COMPACTED } from '../events/database.js';
import { sha256Hex } from '../json.js';
import { completionOf, fenceOf } from '../leases/session-lease.js';
import {
  AGED_INTENTS_FORGOTTEN,
  ATTACHMENT_FORGOTTEN,
  ATTACHMENT_INTENT_RECORDED,
  ATTACHMENT_REFS_COMMITTED,
  ATTACHMENTS_ADOPTED,
} from '../projections/session/attachments.js';
import {
  BLOBS_COLLECTED,
  LEASE_ACQUIRED,
  LEASE_EXTENDED,
  LEASE_RELEASED,
  NODES_TOMBSTONED,
  RUNTIME_STATE_COMMITTED,
  SESSION_META_SAVED,
  TURN_COMMIT_RECORDED,
  VACUUMED,
} from '../projections/session/events.js';
import {
  QUEUED_WORK_CANCELLED,
  QUEUED_WORK_CLAIM_ABANDONED,
  QUEUED_WORK_CLAIMED,
  QUEUED_WORK_COMPLETED,
  QUEUED_WORK_ENQUEUED,
} from '../projections/session/queued-work.js';
import {
  TURN_INPUT_CLAIM_ABANDONED,
  TURN_INPUT_ENQUEUED,
  TURN_INPUTS_CANCELLED,
  TURN_INPUTS_CLAIMED,
  TURN_INPUTS_COMPLETED,
  TURN_INPUTS_DEFERRED,
} from '../projections/session/turn-input.js';
import { Store } from '../stores/store.js';
import { emptyRuntimeCommit } from '../testing.js';
import type { AttachmentIntent } from '../types/attachments.js';
import type {
  HydratedSessionCheckpoint,
  PendingTurnInputCancelTarget,
  PendingTurnInputDraft,
  QueuedWorkBatchDraft,
  RuntimeCommit,
  RuntimeCommitResult,
  RuntimeTurnCommitStamp,
  SessionExecutionLease,
  SessionExecutionLeaseCompletion,
  SessionMeta,
  TurnInputClaim,
  TurnInputState,
} from '../types/session.js';
import { DatabaseWatch, type HistoryEvent } from './history.js';
import type { Findings, ModuleVerifier, OpRecord, RecoveryContext, RetryOutcome, VerifierSetup } from './module.js';
import { digestOf, sameJson, toWire, type WireJson } from './protocol.js';
import {
  type AttachmentPutArgs,
  type BlobPutArgs,
  type CancelInputsArgs,
  type CancelOutcomeSummary,
  type CancelSuffixArgs,
  type CancelWorkArgs,
  type CompactArgs,
  INPUT_CLAIM_OPS,
  putAttachment,
  summarizeCancelOutcome,
  summarizeSuffixOutcome,
  type TurnInputClaimSummary,
} from './session-child.js';
import {
  attachmentRoot,
  CRASH_LEASE_TTL_MS,
  CRASH_SESSIONS,
  commitOpOf,
  SESSION_MODULE,
  sessionArchiveDir,
  sessionDbPath,
} from './session-shared.js';

interface LeaseState {
  leaseToken: string | null;
  fencingToken: number;
  pid: number | null;
  expiresAtMs: number;
}

/** Finds a reported operation by id. */
type OpLookup = (id: string) => OpRecord | undefined;

/** Event types a commit may append after its `RuntimeStateCommitted`, in the order it appends them. */
const COMMIT_TAIL = new Set([
  QUEUED_WORK_COMPLETED,
  TURN_INPUTS_COMPLETED,
  TURN_INPUTS_DEFERRED,
  ATTACHMENTS_ADOPTED,
  QUEUED_WORK_ENQUEUED,
  TURN_COMMIT_RECORDED,
  LEASE_RELEASED,
]);

/** Event types only a commit appends: one outside a commit's block is a partial operation. */
const COMMIT_ONLY = new Set([
  TURN_COMMIT_RECORDED,
  QUEUED_WORK_COMPLETED,
  TURN_INPUTS_COMPLETED,
  TURN_INPUTS_DEFERRED,
  ATTACHMENTS_ADOPTED,
]);

/** Canonical digest of submitted turn input: `null` members dropped at any depth (absent ≡ null, 10 §3.2.1). */
export function inputDigest(input: unknown): string {
  const strip = (v: WireJson): WireJson => {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(strip);
    const out: { [key: string]: WireJson } = {};
    for (const [k, m] of Object.entries(v)) if (m !== null) out[k] = strip(m);
    return out;
  };
  return digestOf(strip(toWire(input)));
}

/** Ingress as the model keeps it. */
interface IngressModel {
  kind: 'activeTurn' | 'nextTurn';
  turnId: string | null;
  minBoundary: string | null;
}

function ingressOf(value: unknown): IngressModel {
  const i = value as { kind: 'activeTurn' | 'nextTurn'; turnId?: string; minBoundary?: string };
  return { kind: i.kind, turnId: i.turnId ?? null, minBoundary: i.minBoundary ?? null };
}

/** One pending-turn-input row as the log says it is. */
interface InputModel {
  sourceKey: string | null;
  state: TurnInputState;
  ingress: IngressModel;
  digest: string;
  /** `claimId leaseToken` of the claim holding it, or null. */
  holder: string | null;
  claimId: string | null;
  generation: number;
}

/** Every input the log ever enqueued, kept after a vacuum deletes its row. */
interface InputTrace {
  sourceKey: string | null;
  digest: string;
  enqueueSeq: number;
  /** Log positions of its `TurnInputEnqueued` and of the `Vacuumed` that deleted it (or null). */
  enqueuedAt: number;
  vacuumedAt: number | null;
  /** Its state and ingress when the vacuum deleted it. */
  vacuumedState: TurnInputState | null;
  vacuumedIngress: IngressModel | null;
}

/** One attachment-manifest row as the log says it is. */
interface ManifestModel {
  committed: boolean;
  ownerKind: string | null;
  ownerId: string | null;
}

/** Everything the parent folded out of one session database's complete history. */
export class SessionIndex {
  readonly turns = new Map<string, { hash: string; result: unknown }>();
  readonly commitsByOp = new Map<string, { headRevision: number; checkpointRef: string | null }>();
  readonly batches = new Map<string, string | null>();
  readonly finished = new Set<string>();
  readonly liveByKey = new Map<string, string>();
  readonly metaNames = new Set<string>();
  readonly leaseTokens = new Map<string, number>();
  readonly releasedFencings = new Set<number>();
  readonly extendedExpiries = new Set<number>();
  readonly collected = new Set<string>();
  readonly compactionArchives = new Set<string>();
  /** Batch → the claim holding it (`claimId leaseToken`), and every claim id ever granted. */
  readonly holders = new Map<string, string>();
  readonly claimIds = new Set<string>();
  /** Pending turn input of this session, by input id; source key → input id; content digest → input id. */
  readonly inputs = new Map<string, InputModel>();
  readonly inputByKey = new Map<string, string>();
  readonly inputByDigest = new Map<string, string>();
  /** Turn-input claim ids ever granted, and the owner incarnation of every claim (queued and input). */
  readonly inputClaimIds = new Set<string>();
  readonly claimOwners = new Map<string, string>();
  readonly abandonedInputClaims = new Set<string>();
  /** Every input a `TurnInputsCompleted` ever named: a second completion is a double delivery. */
  readonly #completed = new Set<string>();
  /** The attachment manifest rows of this session, by attachment id, and what the log did to them. */
  readonly manifest = new Map<string, ManifestModel>();
  readonly intents = new Set<string>();
  readonly reconciled = new Set<string>();
  /** Commit operation → the attachment ids its `AttachmentsAdopted` stamped. */
  readonly adoptedByOp = new Map<string, string[]>();
  /** Every input ever enqueued (vacuumed ones too), and each source key's inputs in binding order. */
  readonly inputTrace = new Map<string, InputTrace>();
  readonly keyBindings = new Map<string, string[]>();
  /** Inputs ever claimed, ever cancelled, ever completed; each `TurnInputsCancelled` (its ids in order) → its seq. */
  readonly claimedInputs = new Set<string>();
  readonly cancelledInputs = new Set<string>();
  readonly cancelEvents = new Map<string, number>();
  /** Batches ever claimed, completed by a commit, cancelled; the generation of each batch's current claim. */
  readonly claimedBatches = new Set<string>();
  readonly completedBatches = new Set<string>();
  readonly cancelledBatches = new Set<string>();
  readonly #batchGeneration = new Map<string, number>();
  /** Graph nodes present in the store (true = tombstoned), nodes ever tombstoned, and every vacuum's removal counts. */
  readonly nodes = new Map<string, boolean>();
  readonly tombstonedNodes = new Set<string>();
  readonly vacuumedNodes = new Set<string>();
  readonly vacuums: { nodes: number; inputs: number }[] = [];
  lease: LeaseState = { leaseToken: null, fencingToken: 0, pid: null, expiresAtMs: 0 };
  headRevision = 0;
  headCheckpointRef: string | null = null;

  constructor(
    readonly name: string,
    readonly sessionId: string,
    readonly findings: Findings,
  ) {}

  /** The input ids `listPendingTurnInputs` must return now (R5: claims of the live generation hide their rows). */
  pendingInputs(nowMs: number): Map<string, TurnInputState> {
    const live = this.lease.leaseToken !== null && this.lease.expiresAtMs > nowMs ? this.lease.fencingToken : null;
    const out = new Map<string, TurnInputState>();
    for (const [id, row] of this.inputs) {
      if (row.state !== 'pendingActive' && row.state !== 'deferredNextTurn') continue;
      if (row.holder !== null && row.generation === live) continue;
      out.set(id, row.state);
    }
    return out;
  }

  /** R6 for turn input: the claim holds exactly the listed inputs. */
  ownsInputs(claimId: string, leaseToken: string, inputIds: readonly string[]): boolean {
    const holder = `${claimId} ${leaseToken}`;
    const held = [...this.inputs].filter(([, r]) => r.holder === holder).map(([id]) => id);
    const listed = new Set(inputIds);
    return held.length === listed.size && held.every((id) => listed.has(id));
  }

  /** Every input the log ever completed (vacuumed ones too). */
  completedEver(inputId: string): boolean {
    return this.#completed.has(inputId);
  }

  /** The state of an input as the log says it is now; a vacuumed one keeps the terminal state it was deleted in. */
  stateOf(inputId: string): TurnInputState | 'missing' {
    return this.inputs.get(inputId)?.state ?? this.inputTrace.get(inputId)?.vacuumedState ?? 'missing';
  }

  /** Whether the live lease generation (R5, at `atMs`) holds `row`'s claim. */
  #liveClaim(row: InputModel | { holder: string | null; generation: number }, atMs: number): boolean {
    const lease = this.lease;
    return row.holder !== null && lease.leaseToken !== null && lease.expiresAtMs > atMs && row.generation === lease.fencingToken;
  }

  /** The outcome §3.2.3 gives a cancel of `inputId` now (`cancelRow` over the modelled row), or `notFound`. */
  expectedCancel(inputId: string | undefined, nowMs: number, leaseReleased = false): CancelOutcomeSummary['kind'] {
    const row = inputId === undefined ? undefined : this.inputs.get(inputId);
    if (!row) return 'notFound';
    if (row.state === 'cancelled') return 'alreadyCancelled';
    if (row.state === 'completed') return 'alreadyCompleted';
    if (row.state === 'accepted' || (!leaseReleased && this.#liveClaim(row, nowMs))) return 'alreadyClaimed';
    return 'cancelled';
  }

  /** The input a cancel target names now, if any. */
  resolveTarget(target: PendingTurnInputCancelTarget): string | undefined {
    if (target.kind === 'sourceKey') return this.inputByKey.get(target.value);
    return this.inputs.has(target.value) ? target.value : undefined;
  }

  /** Whether a batch's claim is live (R5) at `atMs`. */
  batchClaimLive(batchId: string, atMs: number): boolean {
    const generation = this.#batchGeneration.get(batchId);
    return generation !== undefined && this.#liveClaim({ holder: this.holders.get(batchId) ?? null, generation }, atMs);
  }

  /** Inputs an interrupt of `turnId` defers now (10 §3.1.2 step 14), in enqueue order. */
  #interruptible(turnId: string): string[] {
    return [...this.inputs]
      .filter(([, r]) => r.state === 'pendingActive' && r.ingress.kind === 'activeTurn' && r.ingress.turnId === turnId)
      .map(([id]) => id);
  }

  /** Attachments a commit adopts now (10 §3.1.2 step 15): listed uncommitted rows, then the stamped turn's own. */
  #adoptable(commit: RuntimeCommit): Set<string> {
    const out = new Set<string>();
    for (const id of commit.committedAttachmentIds) if (this.manifest.get(id)?.committed === false) out.add(id);
    const turn = commit.turnCommit?.turnId;
    if (turn !== undefined) {
      for (const [id, row] of this.manifest) if (!row.committed && row.ownerKind === 'turn' && row.ownerId === turn) out.add(id);
    }
    return out;
  }

  /** Folds new events in order; checks that every commit's events form one complete block. */
  ingest(events: readonly HistoryEvent[], ops: OpLookup): void {
    const consumed = new Set<number>();
    events.forEach((event, i) => {
      if (event.type === RUNTIME_STATE_COMMITTED) this.#checkCommitBlock(events, i, ops, consumed);
      else if (COMMIT_ONLY.has(event.type) && !consumed.has(event.seq)) {
        this.findings.divergence(`${this.name}: ${event.type} at seq ${event.seq} is not part of a commit`);
      }
      this.#fold(event);
    });
  }

  #checkCommitBlock(events: readonly HistoryEvent[], i: number, ops: OpLookup, consumed: Set<number>): void {
    const event = events[i] as HistoryEvent;
    const data = event.data as { head: { headRevision: number; checkpointRef: string | null; agentFrames: unknown } };
    const opId = commitOpOf(data.head.agentFrames);
    const op = opId === null ? undefined : ops(opId);
    if (!op) {
      this.findings.divergence(`${this.name}: commit at seq ${event.seq} belongs to no reported operation (${opId})`);
      return;
    }
    const commit = op.args as RuntimeCommit;
    // What the state before the commit implies it settles, defers and adopts.
    const deferred = commit.interruptedTurnInputTurnId === null ? [] : this.#interruptible(commit.interruptedTurnInputTurnId);
    const adopted = this.#adoptable(commit);
    const expected: string[] = [];
    for (const _ of commit.completedQueueClaims) expected.push(QUEUED_WORK_COMPLETED);
    for (const _ of commit.completedTurnInputClaims) expected.push(TURN_INPUTS_COMPLETED);
    if (deferred.length > 0) expected.push(TURN_INPUTS_DEFERRED);
    if (adopted.size > 0) expected.push(ATTACHMENTS_ADOPTED);
    for (const draft of commit.enqueuedQueueBatches) {
      if (draft.sourceKey === null || !this.liveByKey.has(draft.sourceKey)) expected.push(QUEUED_WORK_ENQUEUED);
    }
    if (commit.turnCommit) expected.push(TURN_COMMIT_RECORDED);
    if (commit.releaseSessionExecutionLease) expected.push(LEASE_RELEASED);
    const tail: HistoryEvent[] = [];
    for (let j = i + 1; j < events.length && tail.length < expected.length; j++) {
      const next = events[j] as HistoryEvent;
      if (!COMMIT_TAIL.has(next.type) || next.recordedAtMs !== event.recordedAtMs) break;
      tail.push(next);
    }
    const types = tail.map((e) => e.type);
    if (types.join() !== expected.join()) {
      this.findings.divergence(
        `${this.name}: commit ${opId} at seq ${event.seq} is partial: expected [${expected.join(', ')}] after it, found [${types.join(', ')}]`,
      );
      return;
    }
    for (const e of tail) consumed.add(e.seq);
    this.#checkSettlement(opId as string, event.seq, commit, tail, deferred, adopted);
    const record = tail.find((e) => e.type === TURN_COMMIT_RECORDED);
    if (record && commit.turnCommit) {
      const r = record.data as unknown as { stamp: { turnId: string; turnCommitHash: string }; result: RuntimeCommitResult };
      if (
        r.stamp.turnId !== commit.turnCommit.turnId ||
        r.stamp.turnCommitHash !== commit.turnCommit.turnCommitHash ||
        r.result.headRevision !== data.head.headRevision ||
        r.result.checkpointRef !== data.head.checkpointRef
      ) {
        this.findings.divergence(`${this.name}: turn record at seq ${record.seq} does not describe commit ${opId}`);
      }
    }
  }

  /** The settlement events of a commit name exactly the inputs and attachments it had to settle. */
  #checkSettlement(
    opId: string,
    seq: number,
    commit: RuntimeCommit,
    tail: readonly HistoryEvent[],
    deferred: readonly string[],
    adopted: ReadonlySet<string>,
  ): void {
    const bad = (what: string) => this.findings.divergence(`${this.name}: commit ${opId} at seq ${seq}: ${what}`);
    const completions = tail.filter((e) => e.type === TURN_INPUTS_COMPLETED);
    commit.completedTurnInputClaims.forEach((c, k) => {
      const d = completions[k]?.data as { claimId: string; inputIds: string[] } | undefined;
      if (!d || d.claimId !== c.claimId || !sameJson(d.inputIds, c.inputIds)) {
        bad(`completion of turn-input claim ${c.claimId} does not name its inputs`);
      }
    });
    const deferral = tail.find((e) => e.type === TURN_INPUTS_DEFERRED)?.data as { inputIds: string[] } | undefined;
    if (deferral && !sameJson(deferral.inputIds, deferred)) {
      bad(`deferred [${deferral.inputIds.join(', ')}], the pending input of the interrupted turn is [${deferred.join(', ')}]`);
    }
    const adoption = tail.find((e) => e.type === ATTACHMENTS_ADOPTED)?.data as { attachmentIds: string[] } | undefined;
    const stamped = adoption ? adoption.attachmentIds : [];
    if (stamped.length !== adopted.size || stamped.some((id) => !adopted.has(id))) {
      bad(`adopted [${stamped.join(', ')}], the uncommitted rows it names or owns are [${[...adopted].join(', ')}]`);
    }
    this.adoptedByOp.set(opId, stamped);
    const listed = new Set(commit.committedAttachmentIds);
    this.findings.count('attachments.adoptedByTurn', stamped.filter((id) => !listed.has(id)).length);
  }

  #addNodes(replaceAll: boolean, nodes: readonly { nodeId: string }[]): void {
    if (replaceAll) this.nodes.clear();
    for (const node of nodes) this.nodes.set(node.nodeId, false);
  }

  /** Folds `NodesTombstoned` and `Vacuumed`: only present nodes are tombstoned; a vacuum deletes all and only the terminal rows. */
  #foldMaintenance(type: string, d: Record<string, unknown>, seq: number): boolean {
    const bad = (what: string) => this.findings.divergence(`${this.name}: ${type} at seq ${seq}: ${what}`);
    if (type === NODES_TOMBSTONED) {
      for (const id of d.nodeIds as string[]) {
        const tombstoned = this.nodes.get(id);
        if (tombstoned !== false)
          bad(`tombstoned node ${id}, which is ${tombstoned ? 'already tombstoned' : 'not in the graph'}`);
        this.nodes.set(id, true);
        this.tombstonedNodes.add(id);
        this.findings.count('nodes.tombstoned');
      }
      return true;
    }
    if (type !== VACUUMED) return false;
    const nodeIds = (d.nodeIds as string[] | undefined) ?? [];
    const inputIds = (d.inputIds as string[] | undefined) ?? [];
    for (const id of nodeIds) {
      const tombstoned = this.nodes.get(id);
      if (tombstoned !== true) bad(`deleted node ${id}, which is ${tombstoned === false ? 'live' : 'not in the graph'}`);
      this.nodes.delete(id);
      this.vacuumedNodes.add(id);
    }
    for (const id of inputIds) {
      const row = this.inputs.get(id);
      if (row?.state !== 'cancelled' && row?.state !== 'completed')
        bad(`deleted input ${id}, which is ${row?.state ?? 'not in the log'}`);
      const key = row?.sourceKey;
      if (key !== undefined && key !== null && this.inputByKey.get(key) === id) this.inputByKey.delete(key);
      const trace = this.inputTrace.get(id);
      if (trace && row) Object.assign(trace, { vacuumedAt: seq, vacuumedState: row.state, vacuumedIngress: row.ingress });
      this.inputs.delete(id);
    }
    const leftNodes = [...this.nodes].filter(([, t]) => t).map(([id]) => id);
    const leftInputs = [...this.inputs].filter(([, r]) => r.state === 'cancelled' || r.state === 'completed').map(([id]) => id);
    if (leftNodes.length > 0) bad(`left tombstoned nodes ${leftNodes.slice(0, 5).join(', ')}`);
    if (leftInputs.length > 0) bad(`left terminal inputs ${leftInputs.slice(0, 5).join(', ')}`);
    this.vacuums.push({ nodes: nodeIds.length, inputs: inputIds.length });
    this.findings.count('vacuum.nodes', nodeIds.length);
    this.findings.count('vacuum.inputs', inputIds.length);
    return true;
  }

  #fold(event: HistoryEvent): void {
    const at = event.recordedAtMs;
    const d = event.data as Record<string, unknown>;
    if (this.#foldInputOrAttachment(event.type, d, event.seq, event.recordedAtMs)) return;
    if (this.#foldMaintenance(event.type, d, event.seq)) return;
    switch (event.type) {
      case RUNTIME_STATE_COMMITTED: {
        const head = d.head as { headRevision: number; checkpointRef: string | null; agentFrames: unknown };
        const op = commitOpOf(head.agentFrames);
        if (op !== null) {
          if (this.commitsByOp.has(op)) this.findings.divergence(`${this.name}: operation ${op} committed twice`);
          this.commitsByOp.set(op, { headRevision: head.headRevision, checkpointRef: head.checkpointRef });
        }
        if (head.headRevision !== this.headRevision + 1) {
          this.findings.divergence(`${this.name}: head revision jumped from ${this.headRevision} to ${head.headRevision}`);
        }
        this.headRevision = head.headRevision;
        this.headCheckpointRef = head.checkpointRef;
        const graph = d.graph as { replaceAll: boolean; nodes: { nodeId: string }[] };
        this.#addNodes(graph.replaceAll, graph.nodes);
        return;
      }
      case 'HeadSaved': {
        const head = d.head as { headRevision: number; checkpointRef: string | null };
        this.headRevision = head.headRevision;
        this.headCheckpointRef = head.checkpointRef;
        const graph = d.graph as { nodeId: string }[] | null;
        if (graph) this.#addNodes(true, graph);
        return;
      }
      case TURN_COMMIT_RECORDED: {
        const stamp = d.stamp as { turnId: string; turnCommitHash: string };
        if (this.turns.has(stamp.turnId)) this.findings.divergence(`${this.name}: turn ${stamp.turnId} recorded twice`);
        this.turns.set(stamp.turnId, { hash: stamp.turnCommitHash, result: d.result });
        return;
      }
      case QUEUED_WORK_ENQUEUED: {
        const batch = d.batch as { batchId: string; sourceKey: string | null };
        this.batches.set(batch.batchId, batch.sourceKey);
        if (batch.sourceKey !== null) {
          if (this.liveByKey.has(batch.sourceKey)) {
            this.findings.divergence(`${this.name}: two live batches with source key ${batch.sourceKey}`);
          }
          this.liveByKey.set(batch.sourceKey, batch.batchId);
        }
        return;
      }
      case QUEUED_WORK_COMPLETED:
        for (const id of d.batchIds as string[]) {
          if (this.cancelledBatches.has(id))
            this.findings.divergence(`${this.name}: batch ${id} completed after it was cancelled`);
          this.completedBatches.add(id);
          this.#finish(id);
        }
        return;
      case QUEUED_WORK_CANCELLED: {
        const id = d.batchId as string;
        if (!this.batches.has(id) || this.finished.has(id)) {
          this.findings.divergence(
            `${this.name}: batch ${id} cancelled, which is ${this.batches.has(id) ? 'already gone' : 'not in the log'}`,
          );
        } else if (this.batchClaimLive(id, at)) {
          this.findings.divergence(`${this.name}: batch ${id} cancelled while a claim of the live lease held it (R5)`);
        }
        this.cancelledBatches.add(id);
        this.#finish(id);
        this.findings.count('queuedWork.cancelled');
        return;
      }
      case QUEUED_WORK_CLAIMED:
        this.claimIds.add(d.claimId as string);
        this.claimOwners.set(d.claimId as string, (d.owner as { incarnationId: string }).incarnationId);
        for (const id of d.batchIds as string[]) {
          if (this.finished.has(id)) this.findings.divergence(`${this.name}: claim ${d.claimId} took batch ${id}, which is gone`);
          this.holders.set(id, `${d.claimId} ${d.leaseToken}`);
          this.#batchGeneration.set(id, d.sessionLeaseGeneration as number);
          this.claimedBatches.add(id);
        }
        return;
      case QUEUED_WORK_CLAIM_ABANDONED:
        for (const id of d.batchIds as string[]) {
          if (this.holders.get(id) === `${d.claimId} ${d.leaseToken}`) this.holders.delete(id);
        }
        return;
      case SESSION_META_SAVED:
        this.metaNames.add((d.meta as SessionMeta).sessionName);
        return;
      case LEASE_ACQUIRED: {
        const fencing = d.fencingToken as number;
        if (fencing !== this.lease.fencingToken + 1) {
          this.findings.divergence(`${this.name}: fencing token went from ${this.lease.fencingToken} to ${fencing}`);
        }
        const owner = d.owner as { liveness: { kind: string; pid?: number } };
        this.leaseTokens.set(d.leaseToken as string, fencing);
        this.lease = {
          leaseToken: d.leaseToken as string,
          fencingToken: fencing,
          pid: owner.liveness.kind === 'localProcess' ? (owner.liveness.pid as number) : null,
          expiresAtMs: d.expiresAtMs as number,
        };
        return;
      }
      case LEASE_EXTENDED:
        this.extendedExpiries.add(d.expiresAtMs as number);
        this.lease = { ...this.lease, expiresAtMs: d.expiresAtMs as number };
        return;
      case LEASE_RELEASED:
        this.releasedFencings.add(d.fencingToken as number);
        if (this.lease.fencingToken === d.fencingToken)
          this.lease = { ...this.lease, leaseToken: null, pid: null, expiresAtMs: 0 };
        return;
      case BLOBS_COLLECTED:
        for (const ref of d.refs as string[]) this.collected.add(ref);
        return;
      case EVENT_LOG_COMPACTED:
        if (typeof d.archivePath === 'string') this.compactionArchives.add(d.archivePath);
        return;
      default:
        return;
    }
  }

  /** Folds a turn-input or attachment-manifest event; false for any other type. */
  #foldInputOrAttachment(type: string, d: Record<string, unknown>, seq: number, at: number): boolean {
    const bad = (what: string) => this.findings.divergence(`${this.name}: ${type}: ${what}`);
    switch (type) {
      case TURN_INPUT_ENQUEUED: {
        const i = d.input as {
          inputId: string;
          sessionId: string;
          sourceKey: string | null;
          state: TurnInputState;
          ingress: unknown;
          input: unknown;
        };
        if (this.inputs.has(i.inputId)) bad(`input ${i.inputId} enqueued twice`);
        if (i.sourceKey !== null) {
          const other = this.inputByKey.get(i.sourceKey);
          if (other !== undefined) bad(`inputs ${other} and ${i.inputId} share source key ${i.sourceKey}`);
          this.inputByKey.set(i.sourceKey, i.inputId);
          this.keyBindings.set(i.sourceKey, [...(this.keyBindings.get(i.sourceKey) ?? []), i.inputId]);
        }
        const digest = inputDigest(i.input);
        const enqueueSeq = (d.input as { enqueueSeq: number }).enqueueSeq;
        this.inputTrace.set(i.inputId, {
          sourceKey: i.sourceKey,
          digest,
          enqueueSeq,
          enqueuedAt: seq,
          vacuumedAt: null,
          vacuumedState: null,
          vacuumedIngress: null,
        });
        this.inputByDigest.set(digest, i.inputId);
        this.inputs.set(i.inputId, {
          sourceKey: i.sourceKey,
          state: i.state,
          ingress: ingressOf(i.ingress),
          digest,
          holder: null,
          claimId: null,
          generation: 0,
        });
        this.findings.count('turnInputs.enqueued');
        return true;
      }
      case TURN_INPUTS_CLAIMED: {
        const mode = d.mode as { kind: string; turnId?: string; checkpoint?: string };
        const generation = d.sessionLeaseGeneration as number;
        for (const id of d.inputIds as string[]) {
          const row = this.inputs.get(id);
          if (!row) {
            bad(`claim ${d.claimId} took input ${id}, which was never enqueued`);
            continue;
          }
          const wanted = mode.kind === 'activeTurn' ? 'pendingActive' : 'deferredNextTurn';
          if (row.state !== wanted) bad(`claim ${d.claimId} took input ${id} in state ${row.state}`);
          else if (
            mode.kind === 'activeTurn' &&
            (row.ingress.turnId !== mode.turnId || (mode.checkpoint === 'afterWork' && row.ingress.minBoundary !== 'afterWork'))
          ) {
            bad(
              `claim ${d.claimId} at ${mode.turnId}/${mode.checkpoint} took input ${id} for ${row.ingress.turnId}/${row.ingress.minBoundary}`,
            );
          }
          if (row.holder !== null && row.generation === generation)
            bad(`claim ${d.claimId} took input ${id} from its own generation`);
          this.claimedInputs.add(id);
          row.state = d.state as TurnInputState;
          row.holder = `${d.claimId} ${d.leaseToken}`;
          row.claimId = d.claimId as string;
          row.generation = generation;
        }
        this.inputClaimIds.add(d.claimId as string);
        this.claimOwners.set(d.claimId as string, (d.owner as { incarnationId: string }).incarnationId);
        this.findings.count('turnInputs.claimed', (d.inputIds as string[]).length);
        return true;
      }
      case TURN_INPUT_CLAIM_ABANDONED: {
        const holder = `${d.claimId} ${d.leaseToken}`;
        for (const id of d.inputIds as string[]) {
          const row = this.inputs.get(id);
          if (!row || row.holder !== holder) {
            bad(`abandon of ${d.claimId} released input ${id}, which it did not hold`);
            continue;
          }
          if (row.state === 'accepted') row.state = d.restoreState as TurnInputState;
          row.holder = null;
          row.claimId = null;
          row.generation = 0;
        }
        this.abandonedInputClaims.add(d.claimId as string);
        this.findings.count('turnInputs.abandoned', (d.inputIds as string[]).length);
        return true;
      }
      case TURN_INPUTS_CANCELLED: {
        const ids = d.inputIds as string[];
        for (const id of ids) {
          const row = this.inputs.get(id);
          // §3.2.3: only pending rows without a live claim are cancelled.
          if (!row) bad(`cancelled input ${id}, which is not in the log`);
          else if (row.state !== 'pendingActive' && row.state !== 'deferredNextTurn')
            bad(`cancelled input ${id} in state ${row.state}`);
          else if (this.#liveClaim(row, at))
            bad(`cancelled input ${id} while claim ${row.claimId} of the live lease held it (R5)`);
          if (row) Object.assign(row, { state: 'cancelled', holder: null, claimId: null, generation: 0 });
          this.cancelledInputs.add(id);
        }
        this.cancelEvents.set(ids.join(' '), seq);
        this.findings.count('turnInputs.cancelled', ids.length);
        return true;
      }
      case TURN_INPUTS_COMPLETED:
        for (const id of d.inputIds as string[]) {
          const row = this.inputs.get(id);
          if (!row) bad(`input ${id} completed but never enqueued`);
          else if (this.cancelledInputs.has(id)) bad(`input ${id} completed after it was cancelled`);
          else if (this.#completed.has(id)) bad(`input ${id} completed twice (again by claim ${d.claimId})`);
          else if (row.claimId !== d.claimId) bad(`input ${id} completed by claim ${d.claimId}, which does not hold it`);
          this.#completed.add(id);
          if (row) Object.assign(row, { state: 'completed', holder: null, claimId: null, generation: 0 });
        }
        this.findings.count('turnInputs.completed', (d.inputIds as string[]).length);
        return true;
      case TURN_INPUTS_DEFERRED:
        for (const id of d.inputIds as string[]) {
          const row = this.inputs.get(id);
          if (row?.state !== 'pendingActive') {
            bad(`input ${id} deferred in state ${row?.state ?? 'missing'}`);
            continue;
          }
          Object.assign(row, {
            state: 'deferredNextTurn',
            ingress: { kind: 'nextTurn', turnId: null, minBoundary: null },
            holder: null,
            claimId: null,
            generation: 0,
          });
        }
        this.findings.count('turnInputs.deferred', (d.inputIds as string[]).length);
        return true;
      case ATTACHMENT_INTENT_RECORDED: {
        const i = d.intent as unknown as AttachmentIntent;
        if (i.sessionId !== this.sessionId) return true;
        const row = this.manifest.get(i.attachmentId);
        this.manifest.set(i.attachmentId, { committed: row?.committed ?? false, ownerKind: i.ownerKind, ownerId: i.ownerId });
        this.intents.add(i.attachmentId);
        this.findings.count('attachments.intents');
        return true;
      }
      case ATTACHMENTS_ADOPTED:
      case ATTACHMENT_REFS_COMMITTED:
        if (d.sessionId !== this.sessionId) return true;
        for (const id of d.attachmentIds as string[]) {
          const row = this.manifest.get(id);
          if (!row || row.committed)
            bad(`stamped attachment ${id}, which is ${row ? 'already committed' : 'not in the manifest'}`);
          else row.committed = true;
        }
        this.findings.count('attachments.adopted', (d.attachmentIds as string[]).length);
        return true;
      case ATTACHMENT_FORGOTTEN:
        if (d.sessionId === this.sessionId) this.manifest.delete(d.attachmentId as string);
        return true;
      case AGED_INTENTS_FORGOTTEN:
        for (const key of d.rows as { sessionId: string; attachmentId: string }[]) {
          if (key.sessionId !== this.sessionId) continue;
          const row = this.manifest.get(key.attachmentId);
          if (row?.committed) bad(`reconciliation forgot the committed attachment ${key.attachmentId}`);
          this.manifest.delete(key.attachmentId);
          this.reconciled.add(key.attachmentId);
          this.findings.count('attachments.reconciled');
        }
        return true;
      default:
        return false;
    }
  }

  /** R6: the completion's claim holds exactly its listed batches. */
  owns(claimId: string, leaseToken: string, batchIds: readonly string[]): boolean {
    const holder = `${claimId} ${leaseToken}`;
    const held = [...this.holders].filter(([, h]) => h === holder).map(([id]) => id);
    const listed = new Set(batchIds);
    return held.length === listed.size && held.every((id) => listed.has(id));
  }

  #finish(batchId: string): void {
    this.finished.add(batchId);
    this.holders.delete(batchId);
    const key = this.batches.get(batchId);
    if (key !== undefined && key !== null && this.liveByKey.get(key) === batchId) this.liveByKey.delete(key);
  }
}

/** What a retried in-flight commit must do, derived from the history before the retry. */
type CommitPrediction =
  | { kind: 'replay'; result: unknown }
  | { kind: 'conflict'; actual: number }
  | { kind: 'superseded'; claimId: string; code: 'QueuedWorkClaimSuperseded' | 'TurnInputClaimSuperseded' }
  | { kind: 'commit'; headRevision: number };

function describe(error: unknown): string {
  if (isLashStoreError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** What the store listed after a round, next to the model (fact checks use it). */
interface Snapshot {
  liveBatches: ReadonlySet<string>;
  pendingInputs: ReadonlyMap<string, TurnInputState>;
  refs: ReadonlySet<string>;
  uncommitted: ReadonlySet<string>;
}

/** What the final check needs to know about one acknowledged operation (kept for the whole campaign). */
type Fact =
  | {
      op: 'commit';
      id: string;
      origin: string;
      stamp: RuntimeTurnCommitStamp | null;
      headRevision: number;
      checkpointRef: string;
      resultDigest: string;
      batchIds: string[];
      refs: (string | null)[];
      /** Inputs the commit completed (its turn-input claims). */
      inputIds: string[];
    }
  | { op: 'lease'; id: string; leaseToken: string; fencingToken: number }
  | { op: 'renew'; id: string; expiresAtEpochMs: number }
  | { op: 'release'; id: string; fencingToken: number }
  | { op: 'enqueue'; id: string; batchId: string }
  | { op: 'claimWork'; id: string; claimId: string }
  | { op: 'putBlob'; id: string; ref: string; sha: string }
  | { op: 'putCheckpoint'; id: string; checkpointRef: string; turnState: string }
  | { op: 'saveMeta'; id: string; sessionName: string }
  | { op: 'compact'; id: string; snapshotSeq: number; deletedEventCount: number }
  | { op: 'enqueueInput'; id: string; inputId: string; sourceKey: string | null; digest: string }
  | {
      op: 'cancelInputs';
      id: string;
      /** The targets of a plural cancel (aligned with `outcomes`), or the anchor of a suffix cancel. */
      targets: PendingTurnInputCancelTarget[];
      suffix: boolean;
      /** Null: the suffix's anchor was not found. */
      outcomes: CancelOutcomeSummary[] | null;
    }
  | { op: 'cancelWork'; id: string; batchId: string; cancelled: boolean }
  | { op: 'tombstoneNodes'; id: string; nodeIds: string[] }
  | { op: 'vacuum'; id: string; nodes: number; inputs: number }
  | { op: 'claimInputs'; id: string; claimId: string | null; workClaimId: string | null }
  | { op: 'abandonInputs'; id: string; holders: string[] }
  | { op: 'putAttachment'; id: string; attachmentId: string; sha: string };

/** The compact fact of an acknowledged operation, or null for operations with nothing to check. */
function factOf(op: OpRecord): Fact | null {
  const id = op.id;
  switch (op.op) {
    case 'commit': {
      const commit = op.args as RuntimeCommit;
      const result = op.result as RuntimeCommitResult;
      return {
        op: 'commit',
        id,
        origin: commitOpOf(commit.agentFrames) ?? id,
        stamp: commit.turnCommit,
        headRevision: result.headRevision,
        checkpointRef: result.checkpointRef,
        resultDigest: digestOf(result),
        batchIds: result.enqueuedQueueBatches.map((b) => b.batchId),
        refs: [
          result.checkpointRef,
          result.manifest.toolStateRef,
          result.manifest.pluginSnapshotRef,
          result.manifest.executionStateRef,
        ],
        inputIds: commit.completedTurnInputClaims.flatMap((c) => c.inputIds),
      };
    }
    case 'enqueueInput': {
      const r = op.result as { inputId: string; sourceKey: string | null };
      const digest = inputDigest((op.args as PendingTurnInputDraft).input);
      return { op: 'enqueueInput', id, inputId: r.inputId, sourceKey: r.sourceKey, digest };
    }
    case 'cancelInputs':
      return {
        op: 'cancelInputs',
        id,
        targets: (op.args as CancelInputsArgs).targets,
        suffix: false,
        outcomes: op.result as CancelOutcomeSummary[],
      };
    case 'cancelInputSuffix':
      return {
        op: 'cancelInputs',
        id,
        targets: [(op.args as CancelSuffixArgs).anchor],
        suffix: true,
        outcomes: (op.result as { outcomes: CancelOutcomeSummary[] | null }).outcomes,
      };
    case 'cancelWork':
      return { op: 'cancelWork', id, batchId: (op.args as CancelWorkArgs).batchId, cancelled: op.result !== null };
    case 'tombstoneNodes':
      return { op: 'tombstoneNodes', id, nodeIds: (op.args as { ids: string[] }).ids };
    case 'vacuum': {
      const r = op.result as { removedNodeCount: number; removedPendingTurnInputTombstoneCount: number };
      return { op: 'vacuum', id, nodes: r.removedNodeCount, inputs: r.removedPendingTurnInputTombstoneCount };
    }
    case 'claimActiveInputs':
    case 'claimNextInputs':
    case 'claimCheckpointWork': {
      const both = op.op === 'claimCheckpointWork';
      const inputs = (both ? (op.result as { inputs: unknown }).inputs : op.result) as TurnInputClaimSummary | null;
      const work = both ? (op.result as { work: { claimId: string } | null }).work : null;
      if (inputs === null && work === null) return null;
      return { op: 'claimInputs', id, claimId: inputs?.claimId ?? null, workClaimId: work?.claimId ?? null };
    }
    case 'abandonInputs': {
      const claims = (op.args as { claims: TurnInputClaim[] }).claims;
      return { op: 'abandonInputs', id, holders: claims.map((c) => `${c.claimId} ${c.leaseToken}`) };
    }
    case 'putAttachment': {
      const r = op.result as { id: string };
      return { op: 'putAttachment', id, attachmentId: r.id, sha: sha256Hex((op.args as AttachmentPutArgs).bytes) };
    }
    case 'claimLease':
    case 'reclaimLease': {
      const r = op.result as { kind: string; leaseToken: string; fencingToken: number };
      return r.kind === 'acquired' ? { op: 'lease', id, leaseToken: r.leaseToken, fencingToken: r.fencingToken } : null;
    }
    case 'renew':
      return { op: 'renew', id, expiresAtEpochMs: (op.result as { expiresAtEpochMs: number }).expiresAtEpochMs };
    case 'release':
      return { op: 'release', id, fencingToken: (op.args as SessionExecutionLeaseCompletion).fencingToken };
    case 'enqueue':
      return { op: 'enqueue', id, batchId: (op.result as { batchId: string }).batchId };
    case 'claimWork': {
      const r = op.result as { claimId: string } | null;
      return r === null ? null : { op: 'claimWork', id, claimId: r.claimId };
    }
    case 'putBlob':
      return { op: 'putBlob', id, ref: (op.result as { ref: string }).ref, sha: sha256Hex((op.args as BlobPutArgs).bytes) };
    case 'putCheckpoint':
      return {
        op: 'putCheckpoint',
        id,
        checkpointRef: (op.result as { checkpointRef: string }).checkpointRef,
        turnState: digestOf((op.args as HydratedSessionCheckpoint).turnState),
      };
    case 'saveMeta':
      return { op: 'saveMeta', id, sessionName: (op.args as SessionMeta).sessionName };
    case 'compact': {
      const r = op.result as { snapshotSeq: number; deletedEventCount: number };
      return { op: 'compact', id, snapshotSeq: r.snapshotSeq, deletedEventCount: r.deletedEventCount };
    }
    default:
      return null;
  }
}

/** The smallest commit that replays `stamp`: the store compares stamp strings, never the body. */
function stampOnlyCommit(stamp: RuntimeTurnCommitStamp): RuntimeCommit {
  return { ...emptyRuntimeCommit(stamp.sessionId), config: { providerId: 'replay', model: null }, turnCommit: stamp };
}

/** One session database under watch. */
class SessionDb {
  readonly index: SessionIndex;
  readonly facts: Fact[] = [];
  /**
   * What the campaign's own writes during the current recovery changed, on top of the index (which
   * only learns of them at the next ingest): the head after retried commits, a retried release of
   * the held lease, batches retried commits completed.
   */
  recovery = {
    head: 0,
    headCheckpointRef: null as string | null,
    leaseReleased: false,
    consumed: new Set<string>(),
    consumedInputs: new Set<string>(),
    /** Inputs and batches the campaign's retried cancels cancelled, and whether a retried vacuum ran. */
    cancelledInputs: new Set<string>(),
    cancelledBatches: new Set<string>(),
    vacuumed: false,
  };

  constructor(
    readonly sessionId: string,
    readonly path: string,
    readonly watch: DatabaseWatch,
    readonly findings: Findings,
  ) {
    this.index = new SessionIndex(watch.name, sessionId, findings);
  }
}

class SessionVerifier implements ModuleVerifier {
  /** Operations of the current and the previous round: commits being ingested are looked up here. */
  #ops = new Map<string, OpRecord>();
  #previousOps = new Map<string, OpRecord>();
  /** The campaign's shared attachment store (adopted bytes are read back from it; in-flight puts are retried into it). */
  readonly #attachments: FileAttachmentStore;

  constructor(
    readonly dir: string,
    readonly dbs: SessionDb[],
    readonly findings: Findings,
  ) {
    this.#attachments = new FileAttachmentStore(attachmentRoot(dir));
  }

  #lookup(): OpLookup {
    const ops = this.#ops;
    const previous = this.#previousOps;
    return (id) => ops.get(id) ?? previous.get(id);
  }

  async recover(ctx: RecoveryContext): Promise<void> {
    this.#previousOps = this.#ops;
    this.#ops = new Map();
    for (const op of ctx.ops) if (op.module === SESSION_MODULE) this.#ops.set(op.id, op);
    for (const db of this.dbs) {
      const mine = ctx.ops.filter((op) => op.module === SESSION_MODULE && op.db === db.sessionId);
      await this.#recoverDb(ctx, db, mine);
    }
  }

  async #reopen(db: SessionDb): Promise<Store | null> {
    try {
      return await Store.open(db.path);
    } catch (error) {
      this.findings.divergence(`${db.watch.name}: cannot reopen after the crash: ${describe(error)}`);
      return null;
    }
  }

  async #recoverDb(ctx: RecoveryContext, db: SessionDb, ops: OpRecord[]): Promise<void> {
    const store = await this.#reopen(db);
    if (!store) return;
    try {
      db.index.ingest(await db.watch.check(store), this.#lookup());
      const live = await this.#snapshot(store, db);
      for (const op of ops) {
        if (op.status === 'acked') {
          if (op.op === 'reclaimLease' && (op.result as { kind: string }).kind === 'acquired') {
            ctx.findings.count('recoveries.leaseReclaimsByChildren');
          }
          const fact = factOf(op);
          if (!fact) continue;
          const replay = op.op === 'commit' ? (op.args as RuntimeCommit) : undefined;
          await this.#checkFact(store, db, fact, live, replay);
          db.facts.push(fact);
        } else if (op.status === 'failed') this.#checkFailed(db, op);
      }
      db.recovery = {
        head: db.index.headRevision,
        headCheckpointRef: db.index.headCheckpointRef,
        leaseReleased: false,
        consumed: new Set(),
        consumedInputs: new Set(),
        cancelledInputs: new Set(),
        cancelledBatches: new Set(),
        vacuumed: false,
      };
      const inFlight = ops.filter((op) => op.status === 'begun');
      for (const op of inFlight) if (op.op !== 'commit') await this.#retry(ctx, store, db, op);
      let lease = await this.#recoverLease(ctx, store, db);
      for (const op of inFlight) {
        if (op.op !== 'commit' || !lease) continue;
        await this.#retryCommit(ctx, store, db, op, lease);
        // A retry that releases (as the original would have) frees the lease: take it again for the next one.
        if ((op.args as RuntimeCommit).releaseSessionExecutionLease) {
          const again = await store.tryClaimSessionExecutionLease(db.sessionId, ctx.identity, CRASH_LEASE_TTL_MS);
          lease = again.kind === 'acquired' ? again.lease : null;
          if (!lease) this.findings.divergence(`${db.watch.name}: the campaign could not take the lease again after a retry`);
        }
      }
      if (lease) await store.releaseSessionExecutionLease(completionOf(lease));
      await this.#checkHead(store, db);
      ctx.findings.count('recoveries.databases');
    } catch (error) {
      this.findings.divergence(`${db.watch.name}: recovery failed: ${describe(error)}`);
    } finally {
      await store.close();
    }
  }

  /** §9.2 (2): the head's checkpoint and every snapshot it names are present. */
  async #checkHead(store: Store, db: SessionDb): Promise<void> {
    const ref = db.recovery.headCheckpointRef;
    if (ref === null) return;
    try {
      if ((await store.getCheckpoint(ref)) === null)
        this.findings.divergence(`${db.watch.name}: head checkpoint ${ref} is missing`);
    } catch (error) {
      this.findings.divergence(`${db.watch.name}: head checkpoint ${ref} does not hydrate: ${describe(error)}`);
    }
  }

  /**
   * The operation an acknowledged fact stands for is in the data. A stamped commit is replayed:
   * with `replay` (the original commit) right after its round, with a stamp-only commit at the end.
   */
  async #checkFact(store: Store, db: SessionDb, fact: Fact, snapshot: Snapshot, replay?: RuntimeCommit): Promise<void> {
    const { index } = db;
    const lost = (what: string) => this.findings.lost(`${db.watch.name}: acknowledged ${fact.op} ${fact.id}: ${what}`);
    const batchGone = (batchId: string) => !index.finished.has(batchId) && !snapshot.liveBatches.has(batchId);
    try {
      switch (fact.op) {
        case 'commit': {
          const recorded = index.commitsByOp.get(fact.origin);
          if (!recorded || recorded.headRevision !== fact.headRevision || recorded.checkpointRef !== fact.checkpointRef) {
            lost(`no RuntimeStateCommitted for head revision ${fact.headRevision}`);
            return;
          }
          if (fact.stamp) {
            const again = replay
              ? { ...replay, sessionExecutionLease: null, releaseSessionExecutionLease: null }
              : stampOnlyCommit(fact.stamp);
            const result = await store.commitRuntimeState(again);
            if (digestOf(result) !== fact.resultDigest) lost('replaying the stamped turn returned a different result');
          }
          for (const batchId of fact.batchIds) {
            if (!index.batches.has(batchId)) lost(`outbox batch ${batchId} was never enqueued`);
            else if (batchGone(batchId)) lost(`outbox batch ${batchId} vanished`);
          }
          if (
            fact.refs.every((r) => r === null || !index.collected.has(r)) &&
            (await store.getCheckpoint(fact.checkpointRef)) === null
          ) {
            lost(`checkpoint ${fact.checkpointRef} is missing`);
          }
          for (const inputId of fact.inputIds) {
            // A vacuum deletes completed inputs: the log still shows the completion.
            const state = index.stateOf(inputId);
            if (state !== 'completed') lost(`input ${inputId} it completed is ${state}`);
            if (snapshot.pendingInputs.has(inputId)) lost(`input ${inputId} it completed is still listed as pending`);
          }
          for (const attachmentId of index.adoptedByOp.get(fact.origin) ?? []) {
            await this.#checkAdopted(store, db, snapshot, attachmentId, lost);
          }
          return;
        }
        case 'enqueueInput': {
          // A vacuumed terminal input is still in the log; only then may its source key be bound anew.
          const trace = index.inputTrace.get(fact.inputId);
          const vacuumed = trace?.vacuumedAt !== null && trace?.vacuumedAt !== undefined;
          if (!trace) lost(`input ${fact.inputId} was never enqueued`);
          else if (
            fact.sourceKey !== null &&
            index.inputByKey.get(fact.sourceKey) !== fact.inputId &&
            !(vacuumed && index.keyBindings.get(fact.sourceKey)?.includes(fact.inputId))
          ) {
            lost(`source key ${fact.sourceKey} is bound to ${index.inputByKey.get(fact.sourceKey)}, not to ${fact.inputId}`);
          } else if (trace.digest !== fact.digest) {
            this.findings.divergence(
              `${db.watch.name}: acknowledged enqueueInput ${fact.id} returned input ${fact.inputId}, whose content is not the submitted one`,
            );
          }
          return;
        }
        case 'cancelInputs':
          this.#checkCancel(db, fact, snapshot, lost);
          return;
        case 'cancelWork':
          if (fact.cancelled) {
            if (!index.cancelledBatches.has(fact.batchId)) lost(`the cancel of batch ${fact.batchId} is not in the log`);
            if (snapshot.liveBatches.has(fact.batchId)) lost(`cancelled batch ${fact.batchId} is still listed`);
          } else if (
            index.batches.has(fact.batchId) &&
            !index.finished.has(fact.batchId) &&
            !index.claimedBatches.has(fact.batchId)
          ) {
            // §3.3.8: null only for a batch that is gone or held by a live claim.
            this.findings.divergence(
              `${db.watch.name}: cancelWork ${fact.id} returned null for batch ${fact.batchId}, which was never claimed nor finished`,
            );
          }
          return;
        case 'tombstoneNodes':
          for (const nodeId of fact.nodeIds) {
            if (index.nodes.get(nodeId) === false) lost(`node ${nodeId} is not tombstoned in the log`);
            if ((await store.loadNode(nodeId)) !== null) lost(`node ${nodeId} is still readable`);
          }
          return;
        case 'vacuum':
          if (fact.nodes + fact.inputs > 0 && !index.vacuums.some((v) => v.nodes === fact.nodes && v.inputs === fact.inputs)) {
            lost(`no Vacuumed event removed ${fact.nodes} nodes and ${fact.inputs} inputs`);
          }
          return;
        case 'claimInputs':
          if (fact.claimId !== null && !index.inputClaimIds.has(fact.claimId)) lost(`claim ${fact.claimId} is not in the log`);
          if (fact.workClaimId !== null && !index.claimIds.has(fact.workClaimId)) {
            lost(`claim ${fact.workClaimId} is not in the log`);
          }
          return;
        case 'abandonInputs': {
          const released = new Set(fact.holders);
          for (const [inputId, row] of index.inputs) {
            if (row.holder !== null && released.has(row.holder)) lost(`input ${inputId} is still held by an abandoned claim`);
          }
          return;
        }
        case 'putAttachment':
          if (fact.attachmentId !== fact.sha) lost('the attachment id is not the content hash');
          if (!index.intents.has(fact.attachmentId)) lost(`the intent for ${fact.attachmentId} is not in the log`);
          return;
        case 'lease':
          if (index.leaseTokens.get(fact.leaseToken) !== fact.fencingToken) lost(`lease ${fact.fencingToken} is not in the log`);
          return;
        case 'renew':
          if (!index.extendedExpiries.has(fact.expiresAtEpochMs)) lost('the extension is not in the log');
          return;
        case 'release':
          if (!index.releasedFencings.has(fact.fencingToken))
            lost(`release of fencing token ${fact.fencingToken} is not in the log`);
          return;
        case 'claimWork':
          if (!index.claimIds.has(fact.claimId)) lost(`claim ${fact.claimId} is not in the log`);
          return;
        case 'enqueue':
          if (!index.batches.has(fact.batchId)) lost(`batch ${fact.batchId} was never enqueued`);
          else if (batchGone(fact.batchId)) lost(`batch ${fact.batchId} vanished`);
          return;
        case 'putBlob': {
          if (fact.ref !== fact.sha) lost('the acknowledged ref is not the content hash');
          if (index.collected.has(fact.ref)) return;
          const bytes = await store.getBlob(fact.ref);
          if (bytes === null || sha256Hex(bytes) !== fact.ref) lost(`blob ${fact.ref} is missing`);
          return;
        }
        case 'putCheckpoint': {
          if (index.collected.has(fact.checkpointRef)) return;
          const hydrated = await store.getCheckpoint(fact.checkpointRef);
          if (hydrated === null) lost(`checkpoint ${fact.checkpointRef} is missing`);
          else if (digestOf(hydrated.turnState) !== fact.turnState) lost('the stored checkpoint differs');
          return;
        }
        case 'saveMeta':
          if (!index.metaNames.has(fact.sessionName)) lost('the saved metadata is not in the log');
          return;
        case 'compact':
          if (fact.deletedEventCount > 0 && db.watch.compactedThrough < fact.snapshotSeq) {
            lost(`compaction through ${fact.snapshotSeq} is not recorded`);
          }
          return;
      }
    } catch (error) {
      lost(`checking it failed: ${describe(error)}`);
    }
  }
  /**
   * An acknowledged cancel: every outcome is the one §3.2.3 gives the row as the log has it, the rows
   * it cancelled were cancelled in one `TurnInputsCancelled` and are cancelled still (or vacuumed as
   * such), and a suffix cancel names exactly its anchor and every row enqueued after it (§3.2.6).
   */
  #checkCancel(
    db: SessionDb,
    fact: Extract<Fact, { op: 'cancelInputs' }>,
    snapshot: Snapshot,
    lost: (what: string) => void,
  ): void {
    const { index } = db;
    const bad = (what: string) => this.findings.divergence(`${db.watch.name}: cancel ${fact.id}: ${what}`);
    const vacuumed = (id: string) => index.inputTrace.get(id)?.vacuumedAt != null;
    if (fact.outcomes === null) {
      const anchor = fact.targets[0] as PendingTurnInputCancelTarget;
      if (anchor.kind === 'inputId' && index.inputTrace.has(anchor.value) && !vacuumed(anchor.value)) {
        bad(`anchor ${anchor.value} not found, yet the log holds it`);
      }
      return;
    }
    const cancelled: string[] = [];
    fact.outcomes.forEach((o, k) => {
      const target = fact.suffix ? (k === 0 ? fact.targets[0] : undefined) : fact.targets[k];
      const id = o.inputId;
      if (o.kind === 'notFound' || id === null) {
        if (target?.kind === 'inputId' && index.inputTrace.has(target.value) && !vacuumed(target.value)) {
          bad(`input ${target.value} not found, yet the log holds it`);
        }
        const bindings = target?.kind === 'sourceKey' ? (index.keyBindings.get(target.value) ?? []) : [];
        if (bindings.length > 0 && !bindings.some(vacuumed))
          bad(`source key ${target?.value} not found, yet input ${bindings[0]} holds it`);
        return;
      }
      if (target?.kind === 'inputId' && target.value !== id) bad(`target ${target.value} answered for input ${id}`);
      if (target?.kind === 'sourceKey' && !(index.keyBindings.get(target.value) ?? []).includes(id)) {
        bad(`source key ${target.value} answered for input ${id}, which never held it`);
      }
      if (!index.inputTrace.has(id)) {
        bad(`${o.kind} for input ${id}, which was never enqueued`);
        return;
      }
      switch (o.kind) {
        case 'cancelled':
          cancelled.push(id);
          if (!index.cancelledInputs.has(id)) lost(`the cancel of input ${id} is not in the log`);
          else if (index.stateOf(id) !== 'cancelled') lost(`input ${id} it cancelled is ${index.stateOf(id)}`);
          if (snapshot.pendingInputs.has(id)) lost(`input ${id} it cancelled is still listed as pending`);
          return;
        case 'alreadyCancelled':
          if (!index.cancelledInputs.has(id)) bad(`alreadyCancelled for input ${id}, which the log never cancelled`);
          return;
        case 'alreadyCompleted':
          if (!index.completedEver(id)) bad(`alreadyCompleted for input ${id}, which the log never completed`);
          return;
        case 'alreadyClaimed':
          if (!index.claimedInputs.has(id) || o.state === 'cancelled' || o.state === 'completed') {
            bad(
              `alreadyClaimed for input ${id} in state ${o.state}, which the log ${index.claimedInputs.has(id) ? 'shows terminal' : 'never claimed'}`,
            );
          }
          return;
      }
    });
    if (cancelled.length === 0) return;
    const seq = index.cancelEvents.get(cancelled.join(' '));
    if (seq === undefined) {
      if (cancelled.some((id) => index.cancelledInputs.has(id)))
        bad(`its cancels [${cancelled.join(', ')}] are not one TurnInputsCancelled`);
      return;
    }
    if (!fact.suffix) return;
    // The rows of the session from the anchor on, as they were when the cancel's event was appended.
    const ids = fact.outcomes.map((o) => o.inputId);
    const anchorSeq = index.inputTrace.get(ids[0] ?? '')?.enqueueSeq ?? Number.POSITIVE_INFINITY;
    const expected = [...index.inputTrace]
      .filter(([, t]) => t.enqueueSeq >= anchorSeq && t.enqueuedAt < seq && (t.vacuumedAt === null || t.vacuumedAt > seq))
      .sort((a, b) => a[1].enqueueSeq - b[1].enqueueSeq)
      .map(([id]) => id);
    if (!sameJson(ids, expected))
      bad(`the suffix named [${ids.join(', ')}], the rows from its anchor on were [${expected.join(', ')}]`);
  }

  /**
   * Reads what the store lists now and compares it with the model folded from the log: pending turn
   * input (R5: rows claimed by the live generation are hidden) and the attachment manifest (every
   * row, committed or not). Returns the snapshot the fact checks use.
   */
  async #snapshot(store: Store, db: SessionDb): Promise<Snapshot> {
    const { index } = db;
    const name = db.watch.name;
    const liveBatches = new Set((await store.listQueuedWork(db.sessionId)).map((b) => b.batchId));
    const listed = await store.listPendingTurnInputs(db.sessionId);
    const pendingInputs = new Map(listed.map((i) => [i.inputId, i.state]));
    const expected = index.pendingInputs(Date.now());
    const problems: string[] = [];
    for (const [id, state] of pendingInputs) {
      const want = expected.get(id);
      if (want === undefined)
        problems.push(`input ${id} is listed as ${state}; the log says ${index.inputs.get(id)?.state ?? 'never enqueued'}`);
      else if (want !== state) problems.push(`input ${id} is listed as ${state}; the log says ${want}`);
    }
    for (const [id, state] of expected) if (!pendingInputs.has(id)) problems.push(`pending input ${id} (${state}) is not listed`);
    const refs = new Set(await store.listAllRefs());
    const uncommitted = new Set(
      (await store.listUncommitted(Number.MAX_SAFE_INTEGER))
        .filter((e) => e.sessionId === db.sessionId)
        .map((e) => e.attachmentId),
    );
    for (const [id, row] of index.manifest) {
      if (!refs.has(id)) problems.push(`attachment ${id} is not in the manifest`);
      else if (row.committed === uncommitted.has(id)) {
        problems.push(`attachment ${id} is ${row.committed ? 'uncommitted' : 'committed'}; the log says otherwise`);
      }
    }
    for (const id of refs) if (!index.manifest.has(id)) problems.push(`attachment ${id} is in the manifest; the log forgot it`);
    for (const problem of problems.slice(0, 5)) this.findings.divergence(`${name}: ${problem}`);
    if (problems.length > 5) this.findings.divergence(`${name}: … and ${problems.length - 5} more store/log mismatches`);
    return { liveBatches, pendingInputs, refs, uncommitted };
  }

  /** An attachment an acknowledged commit adopted is committed in the manifest and its bytes are readable. */
  async #checkAdopted(
    store: Store,
    db: SessionDb,
    snapshot: Snapshot,
    attachmentId: string,
    lost: (what: string) => void,
  ): Promise<void> {
    if (!snapshot.refs.has(attachmentId) || snapshot.uncommitted.has(attachmentId)) {
      lost(`adopted attachment ${attachmentId} is not committed in the manifest`);
      return;
    }
    try {
      const { bytes } = await new SessionAttachmentStore(this.#attachments, store, db.sessionId).get(attachmentId);
      if (sha256Hex(bytes) !== attachmentId) lost(`adopted attachment ${attachmentId} reads back other bytes`);
    } catch (error) {
      lost(`adopted attachment ${attachmentId} cannot be read: ${describe(error)}`);
    }
  }

  /**
   * A failed command appends nothing. A source-key conflict on turn input is legitimate only when
   * the key is bound to an input whose content or (after an interrupt deferral) ingress differs.
   */
  #checkFailed(db: SessionDb, op: OpRecord): void {
    const { index } = db;
    if (op.op === 'commit' && index.commitsByOp.has(op.id)) {
      this.findings.divergence(`${db.watch.name}: commit ${op.id} failed (${op.error?.code}) but its events are in the log`);
    }
    if (op.op === 'enqueueInput' && op.error?.code === 'PendingTurnInputSourceKeyConflict') {
      const draft = op.args as PendingTurnInputDraft;
      // The key's input may have been vacuumed after the conflict: then its last binding, as it was deleted.
      const bindings = draft.sourceKey === null ? [] : (index.keyBindings.get(draft.sourceKey) ?? []);
      const existingId = draft.sourceKey === null ? undefined : (index.inputByKey.get(draft.sourceKey) ?? bindings.at(-1));
      const trace = existingId === undefined ? undefined : index.inputTrace.get(existingId);
      const stored =
        existingId === undefined
          ? undefined
          : (index.inputs.get(existingId) ??
            (trace?.vacuumedIngress ? { digest: trace.digest, ingress: trace.vacuumedIngress } : undefined));
      if (!stored) {
        this.findings.divergence(
          `${db.watch.name}: enqueue ${op.id} conflicted on source key ${draft.sourceKey}, which no input holds`,
        );
      } else if (stored.digest === inputDigest(draft.input) && sameJson(stored.ingress, ingressOf(draft.ingress))) {
        this.findings.divergence(
          `${db.watch.name}: enqueue ${op.id} conflicted although it submitted the stored input ${existingId}`,
        );
      }
    }
  }

  /**
   * Retries a killed child's in-flight non-commit operation and checks the spec's outcome. First
   * decides from the history whether the operation had committed before the kill, where the
   * operation leaves a trace of its own (a unique source key, meta name, archive path, …).
   */
  async #retry(ctx: RecoveryContext, store: Store, db: SessionDb, op: OpRecord): Promise<void> {
    const { index } = db;
    const bad = (what: string) => this.findings.divergence(`${db.watch.name}: retry of in-flight ${op.op} ${op.id}: ${what}`);
    const resolved = (committedBeforeKill: boolean | null, outcome: RetryOutcome, result?: unknown, args: unknown = op.args) => {
      ctx.findings.count(`retries.${outcome}`);
      ctx.resolved({ op, committedBeforeKill, outcome });
      if (result === undefined) return;
      const record: OpRecord = { ...op, id: `${op.id}/retry`, args, status: 'acked', result, byParent: true };
      ctx.record(record);
      const fact = factOf(record);
      if (fact) db.facts.push(fact);
    };
    try {
      switch (op.op) {
        case 'enqueue': {
          const draft = op.args as QueuedWorkBatchDraft;
          const own = draft.sourceKey === `crash:${op.id}`;
          const ownBatch = own ? [...index.batches].some(([, key]) => key === draft.sourceKey) : null;
          const existing = draft.sourceKey === null ? undefined : index.liveByKey.get(draft.sourceKey);
          const batch = await store.enqueueQueuedWork(draft);
          if (existing !== undefined && batch.batchId !== existing)
            bad(`returned ${batch.batchId}, the live batch is ${existing}`);
          if (existing === undefined && index.batches.has(batch.batchId)) bad(`returned the finished batch ${batch.batchId}`);
          const summary = { batchId: batch.batchId, sourceKey: batch.sourceKey, enqueueSeq: batch.enqueueSeq };
          resolved(ownBatch, existing !== undefined ? 'idempotent' : 'committed', summary);
          return;
        }
        case 'putBlob': {
          const args = op.args as BlobPutArgs;
          const ref = sha256Hex(args.bytes);
          const before = (await store.getBlob(ref)) !== null;
          const stored = args.descriptor
            ? await store.putArtifactBlob(args.descriptor, args.bytes)
            : await store.putBlob(args.bytes);
          if (stored !== ref) bad('the ref is not the content hash');
          if ((await store.getBlob(ref)) === null) bad('the blob is missing after the retry');
          resolved(before || index.collected.has(ref) ? null : false, before ? 'idempotent' : 'committed', { ref: stored });
          return;
        }
        case 'putCheckpoint': {
          const args = op.args as HydratedSessionCheckpoint;
          const first = await store.putCheckpoint(args);
          const second = await store.putCheckpoint(args);
          if (first.checkpointRef !== second.checkpointRef) bad('two retries gave different refs');
          resolved(null, 'idempotent', { checkpointRef: first.checkpointRef });
          return;
        }
        case 'saveMeta': {
          const meta = op.args as SessionMeta;
          const before = index.metaNames.has(meta.sessionName);
          await store.saveSessionMeta(meta);
          if (!sameJson(await store.loadSessionMeta(), meta)) bad('the metadata read back differs');
          resolved(before, before ? 'idempotent' : 'committed', null);
          return;
        }
        case 'renew': {
          const args = op.args as { fence: SessionExecutionLease; ttlMs: number };
          const held =
            index.lease.leaseToken === args.fence.leaseToken &&
            index.lease.fencingToken === args.fence.fencingToken &&
            index.lease.expiresAtMs > Date.now();
          try {
            const renewed = await store.renewSessionExecutionLease(args.fence, args.ttlMs);
            if (!held) bad('renewed a lease the fence no longer holds');
            resolved(null, 'committed', { expiresAtEpochMs: renewed.expiresAtEpochMs, fencingToken: renewed.fencingToken });
          } catch (error) {
            if (held || !isLashStoreError(error, 'SessionExecutionLeaseExpired')) bad(`unexpected ${describe(error)}`);
            else resolved(null, 'conflicted');
          }
          return;
        }
        case 'release': {
          const completion = op.args as SessionExecutionLeaseCompletion;
          const before = index.releasedFencings.has(completion.fencingToken);
          if (index.lease.leaseToken === completion.leaseToken && index.lease.fencingToken === completion.fencingToken) {
            db.recovery.leaseReleased = true;
          }
          await store.releaseSessionExecutionLease(completion);
          resolved(before, before ? 'idempotent' : 'committed');
          return;
        }
        case 'compact': {
          const args = op.args as CompactArgs;
          // Committed ⇔ its audit event names its archive; nothing to do (already compacted) ⇒ cannot tell.
          const before = index.compactionArchives.has(args.archivePath)
            ? true
            : db.watch.compactedThrough >= args.throughSeq
              ? null
              : false;
          const retryArgs: CompactArgs = { throughSeq: args.throughSeq, archivePath: `${args.archivePath}.retry.ndjson` };
          mkdirSync(dirname(retryArgs.archivePath), { recursive: true });
          const report = await store.compactEventLog(retryArgs);
          if (report.snapshotSeq < args.throughSeq) bad(`snapshot ${report.snapshotSeq} is before ${args.throughSeq}`);
          if (before !== false && report.deletedEventCount > 0)
            bad('the compaction had committed, yet the retry deleted events again');
          if (before === false && report.deletedEventCount === 0)
            bad('the compaction had not committed, yet the retry deleted nothing');
          resolved(before, report.deletedEventCount === 0 ? 'idempotent' : 'committed', report, retryArgs);
          return;
        }
        case 'enqueueInput': {
          const draft = op.args as PendingTurnInputDraft;
          const digest = inputDigest(draft.input);
          // A fresh draft leaves a trace of its own (its key, its explicit id or its content); a replay's key was there before.
          const fresh = draft.sourceKey === null || draft.sourceKey === `crash:${op.id}:input`;
          const before = !fresh
            ? null
            : draft.inputId !== null
              ? index.inputTrace.has(draft.inputId)
              : index.inputByDigest.has(digest);
          if (draft.sourceKey === null && draft.inputId === null && before) {
            // Neither a source key nor an id: sending it again would enqueue a second input, as the spec says it must.
            resolved(true, 'notRetried');
            return;
          }
          const existingId = draft.sourceKey === null ? undefined : index.inputByKey.get(draft.sourceKey);
          try {
            const input = await store.enqueuePendingTurnInput(draft);
            const summary = {
              inputId: input.inputId,
              sourceKey: input.sourceKey,
              enqueueSeq: input.enqueueSeq,
              state: input.state,
            };
            if (existingId !== undefined) {
              if (input.inputId !== existingId)
                bad(`returned ${input.inputId}, source key ${draft.sourceKey} is bound to ${existingId}`);
              resolved(before, 'idempotent', summary);
            } else {
              if (index.inputs.has(input.inputId)) bad(`returned the existing input ${input.inputId} for a new submission`);
              resolved(before, 'committed', summary);
            }
          } catch (error) {
            const stored = existingId === undefined ? undefined : index.inputs.get(existingId);
            const differs =
              stored !== undefined && (stored.digest !== digest || !sameJson(stored.ingress, ingressOf(draft.ingress)));
            if (isLashStoreError(error, 'PendingTurnInputSourceKeyConflict') && differs) resolved(before, 'conflicted');
            else if (
              isLashStoreError(error, 'Backend') &&
              draft.inputId !== null &&
              index.inputs.has(draft.inputId) &&
              String(error.detail).includes('already exists')
            ) {
              resolved(true, 'conflicted');
            } else bad(`unexpected ${describe(error)}`);
          }
          return;
        }
        case 'claimActiveInputs':
        case 'claimNextInputs':
        case 'claimCheckpointWork': {
          // Granted iff the log holds a claim of this child's owner that the child never saw acknowledged.
          const incarnation = (op.args as { owner: { incarnationId: string } }).owner.incarnationId;
          const acked = new Set<string>();
          const claimOps = new Set<string>(['claimWork', ...INPUT_CLAIM_OPS]);
          for (const o of ctx.ops) {
            if (o.pid !== op.pid || o.status !== 'acked' || !claimOps.has(o.op) || o.result === null || o.result === undefined) {
              continue;
            }
            const r = o.result as { claimId?: string; inputs?: { claimId: string } | null; work?: { claimId: string } | null };
            for (const id of [r.claimId, r.inputs?.claimId, r.work?.claimId]) if (id !== undefined) acked.add(id);
          }
          const granted = [...index.claimOwners].some(([claimId, owner]) => owner === incarnation && !acked.has(claimId));
          resolved(granted, 'notRetried');
          return;
        }
        case 'abandonInputs': {
          const claims = (op.args as { claims: TurnInputClaim[] }).claims;
          const holders = new Set(claims.map((c) => `${c.claimId} ${c.leaseToken}`));
          const held = [...index.inputs.values()].filter((r) => r.holder !== null && holders.has(r.holder)).length;
          const before = claims.some((c) => index.abandonedInputClaims.has(c.claimId)) ? true : held > 0 ? false : null;
          await store.abandonTurnInputClaims(claims);
          resolved(before, held > 0 ? 'committed' : 'idempotent', null);
          return;
        }
        case 'cancelInputs':
        case 'cancelInputSuffix': {
          // Retried as is: rows the first call cancelled now report `alreadyCancelled` (10 §4, repeat).
          const suffix = op.op === 'cancelInputSuffix';
          const targets = suffix ? [(op.args as CancelSuffixArgs).anchor] : (op.args as CancelInputsArgs).targets;
          const named = targets.map((t) => index.resolveTarget(t));
          const before = named.some((id) => id !== undefined && index.cancelledInputs.has(id)) ? null : false;
          const { recovery } = db;
          const expect = (id: string | undefined, seen: Set<string>) => {
            if (id !== undefined && (seen.has(id) || recovery.cancelledInputs.has(id))) return 'alreadyCancelled';
            const kind = index.expectedCancel(id, Date.now(), recovery.leaseReleased);
            return recovery.vacuumed && (kind === 'alreadyCancelled' || kind === 'alreadyCompleted') ? 'notFound' : kind;
          };
          let outcomes: CancelOutcomeSummary[];
          let result: unknown;
          if (suffix) {
            const r = summarizeSuffixOutcome(
              await store.cancelPendingTurnInputSuffix(db.sessionId, targets[0] as PendingTurnInputCancelTarget),
            );
            outcomes = r.outcomes ?? [];
            result = r;
            if (r.outcomes === null && named[0] !== undefined) bad(`anchor ${named[0]} not found, yet the log holds it`);
          } else {
            outcomes = (await store.cancelPendingTurnInputs(db.sessionId, targets)).map((r) => summarizeCancelOutcome(r.outcome));
            result = outcomes;
          }
          const seen = new Set<string>();
          outcomes.forEach((o, k) => {
            const id = suffix && k > 0 ? (o.inputId ?? undefined) : named[k];
            const want = expect(id, seen);
            if (o.kind !== want) bad(`outcome ${k} is ${o.kind} for ${id ?? 'nothing'}, §3.2.3 gives ${want}`);
            if (o.kind === 'cancelled' && o.inputId !== null) {
              seen.add(o.inputId);
              recovery.cancelledInputs.add(o.inputId);
            }
          });
          resolved(before, outcomes.some((o) => o.kind === 'cancelled') ? 'committed' : 'idempotent', result);
          return;
        }
        case 'cancelWork': {
          // §3.3.8: the batch is returned once; a second call, a finished batch or a live claim gives null.
          const { batchId } = op.args as CancelWorkArgs;
          const { recovery } = db;
          const before = index.cancelledBatches.has(batchId);
          const gone = index.finished.has(batchId) || recovery.consumed.has(batchId) || recovery.cancelledBatches.has(batchId);
          const live = !recovery.leaseReleased && index.batchClaimLive(batchId, Date.now());
          const batch = await store.cancelQueuedWorkBatch(db.sessionId, batchId);
          if ((batch === null) !== (gone || live)) {
            bad(
              `returned ${batch === null ? 'null' : 'the batch'}; the log says it is ${gone ? 'gone' : live ? 'claimed by the live lease' : 'cancellable'}`,
            );
          }
          if (batch !== null) recovery.cancelledBatches.add(batchId);
          const result = batch === null ? null : { batchId: batch.batchId, sourceKey: batch.sourceKey };
          resolved(before, batch !== null ? 'committed' : before ? 'idempotent' : 'conflicted', result);
          return;
        }
        case 'tombstoneNodes': {
          const { ids } = op.args as { ids: string[] };
          const before = ids.some((id) => index.tombstonedNodes.has(id))
            ? true
            : ids.some((id) => index.nodes.get(id) === false)
              ? false
              : null;
          await store.tombstoneNodes(ids);
          for (const id of ids) if ((await store.loadNode(id)) !== null) bad(`node ${id} is still readable`);
          resolved(before, before === false ? 'committed' : 'idempotent', null);
          return;
        }
        case 'vacuum': {
          // Which rows the killed vacuum deleted the next ingest shows (and checks); a second vacuum removes nothing.
          const report = await store.vacuum();
          const again = await store.vacuum();
          if (again.removedNodeCount !== 0 || again.removedPendingTurnInputTombstoneCount !== 0) {
            bad(
              `a second vacuum removed ${again.removedNodeCount} nodes and ${again.removedPendingTurnInputTombstoneCount} inputs`,
            );
          }
          db.recovery.vacuumed = true;
          const removed = report.removedNodeCount + report.removedPendingTurnInputTombstoneCount;
          resolved(null, removed > 0 ? 'committed' : 'idempotent', report);
          return;
        }
        case 'putAttachment': {
          const args = op.args as AttachmentPutArgs;
          const id = sha256Hex(args.bytes);
          const before = index.intents.has(id);
          const ref = await putAttachment(this.#attachments, store, args, `${op.id}/retry`);
          if (ref.id !== id) bad(`returned ${ref.id}, not the content id ${id}`);
          const { bytes } = await new SessionAttachmentStore(this.#attachments, store, args.sessionId).get(id);
          if (sha256Hex(bytes) !== id) bad('the bytes read back differ');
          resolved(before, before ? 'idempotent' : 'committed', { id: ref.id, byteLen: ref.byteLen });
          return;
        }
        case 'gc': {
          const report = await store.gcUnreachable();
          resolved(null, report.deletedBlobCount === 0 ? 'idempotent' : 'committed');
          return;
        }
        case 'claimLease':
        case 'reclaimLease':
          // Retried by the dead-holder reclaim every recovery performs; held by the dead pid ⇒ it had committed.
          resolved(index.lease.leaseToken !== null && index.lease.pid === op.pid ? true : null, 'notRetried');
          return;
        default:
          resolved(null, 'notRetried');
          return;
      }
    } catch (error) {
      bad(`unexpected ${describe(error)}`);
    }
  }

  /**
   * Every lease a killed child held must be reclaimable at once (dead-holder reclaim); the parent
   * takes it, so the in-flight commit can be retried under a live fence.
   */
  async #recoverLease(ctx: RecoveryContext, store: Store, db: SessionDb): Promise<SessionExecutionLease | null> {
    const name = db.watch.name;
    const probe = await store.tryClaimSessionExecutionLease(db.sessionId, ctx.identity, CRASH_LEASE_TTL_MS);
    if (probe.kind === 'acquired') {
      if (db.index.lease.leaseToken !== null && db.index.lease.expiresAtMs > Date.now() && !db.recovery.leaseReleased) {
        this.findings.divergence(`${name}: claimed a lease the log says is still held (fencing ${db.index.lease.fencingToken})`);
      }
      return probe.lease;
    }
    const holder = probe.holder;
    const liveness = holder.owner.liveness;
    if (liveness.kind !== 'localProcess' || !ctx.deadPids.has(liveness.pid)) {
      this.findings.divergence(`${name}: lease held by ${holder.owner.ownerId}, which is not a killed child`);
      return null;
    }
    const reclaimed = await store.reclaimSessionExecutionLease(db.sessionId, ctx.identity, fenceOf(holder), CRASH_LEASE_TTL_MS);
    if (reclaimed.kind !== 'acquired') {
      this.findings.divergence(`${name}: the lease of killed pid ${liveness.pid} was not reclaimed at once`);
      return null;
    }
    if (reclaimed.lease.fencingToken !== holder.fencingToken + 1) {
      this.findings.divergence(
        `${name}: reclaim gave fencing token ${reclaimed.lease.fencingToken} after ${holder.fencingToken}`,
      );
    }
    ctx.findings.count('recoveries.leaseReclaims');
    return reclaimed.lease;
  }

  #predictCommit(db: SessionDb, op: OpRecord, commit: RuntimeCommit): CommitPrediction {
    const { index, recovery } = db;
    const recorded = commit.turnCommit ? index.turns.get(commit.turnCommit.turnId) : undefined;
    if (recorded) return { kind: 'replay', result: recorded.result };
    if (index.commitsByOp.has(op.id)) return { kind: 'conflict', actual: recovery.head };
    if (commit.expectedHeadRevision !== null && commit.expectedHeadRevision !== recovery.head) {
      return { kind: 'conflict', actual: recovery.head };
    }
    // R6: a claim that somebody re-claimed, completed or abandoned meanwhile no longer owns its batches.
    for (const c of commit.completedQueueClaims) {
      const consumed = c.batchIds.some((id) => recovery.consumed.has(id));
      if (consumed || !index.owns(c.claimId, c.leaseToken, c.batchIds)) {
        return { kind: 'superseded', claimId: c.claimId, code: 'QueuedWorkClaimSuperseded' };
      }
    }
    // The same for turn input: an abandon, a completion or (next-turn input) a newer generation's claim supersedes it.
    for (const c of commit.completedTurnInputClaims) {
      const consumed = c.inputIds.some((id) => recovery.consumedInputs.has(id));
      if (consumed || !index.ownsInputs(c.claimId, c.leaseToken, c.inputIds)) {
        return { kind: 'superseded', claimId: c.claimId, code: 'TurnInputClaimSuperseded' };
      }
    }
    return { kind: 'commit', headRevision: recovery.head + 1 };
  }

  /**
   * The killed child's in-flight commit, retried under the recovered lease: a stamped turn that had
   * committed returns its stored result; otherwise the commit goes through, or conflicts on the head
   * revision exactly when the head moved (an unstamped commit that had committed conflicts).
   */
  async #retryCommit(
    ctx: RecoveryContext,
    store: Store,
    db: SessionDb,
    op: OpRecord,
    lease: SessionExecutionLease,
  ): Promise<void> {
    const commit = op.args as RuntimeCommit;
    const committedBeforeKill = db.index.commitsByOp.has(op.id);
    const prediction = this.#predictCommit(db, op, commit);
    const retry: RuntimeCommit = {
      ...commit,
      sessionExecutionLease: fenceOf(lease),
      releaseSessionExecutionLease: commit.releaseSessionExecutionLease ? completionOf(lease) : null,
    };
    const bad = (what: string) =>
      this.findings.divergence(`${db.watch.name}: retry of in-flight commit ${op.id} (expected ${prediction.kind}): ${what}`);
    const resolved = (outcome: RetryOutcome) => {
      ctx.findings.count(`retries.${outcome}`);
      ctx.resolved({ op, committedBeforeKill, outcome });
    };
    let result: RuntimeCommitResult;
    try {
      result = await store.commitRuntimeState(retry);
    } catch (error) {
      if (
        prediction.kind === 'conflict' &&
        isLashStoreError(error, 'HeadRevisionConflict') &&
        error.actual === prediction.actual
      ) {
        resolved('conflicted');
      } else if (
        prediction.kind === 'superseded' &&
        isLashStoreError(error, prediction.code) &&
        error.claimId === prediction.claimId
      ) {
        resolved('conflicted');
      } else bad(describe(error));
      return;
    }
    if (prediction.kind === 'replay') {
      if (sameJson(result, prediction.result)) resolved('replayed');
      else bad('the replay returned a different result than the stored one');
    } else if (prediction.kind === 'commit') {
      if (result.headRevision === prediction.headRevision) resolved('committed');
      else bad(`committed head revision ${result.headRevision}, expected ${prediction.headRevision}`);
      db.recovery.head = result.headRevision;
      db.recovery.headCheckpointRef = result.checkpointRef;
      for (const c of commit.completedQueueClaims) for (const id of c.batchIds) db.recovery.consumed.add(id);
      for (const c of commit.completedTurnInputClaims) for (const id of c.inputIds) db.recovery.consumedInputs.add(id);
      const record: OpRecord = { ...op, id: `${op.id}/retry`, args: retry, status: 'acked', result, byParent: true };
      ctx.record(record);
      const fact = factOf(record);
      if (fact) db.facts.push(fact);
    } else bad(`committed head revision ${result.headRevision} instead of refusing`);
  }

  async finalCheck(ctx: RecoveryContext): Promise<void> {
    for (const db of this.dbs) {
      const store = await this.#reopen(db);
      if (!store) continue;
      try {
        db.index.ingest(await db.watch.check(store, { fullIntegrity: true }), this.#lookup());
        const live = await this.#snapshot(store, db);
        for (const fact of db.facts) await this.#checkFact(store, db, fact, live);
        await this.#checkHead(store, db);
        const stats = db.watch.feedStats();
        ctx.findings.count('events.delivered', stats.delivered);
        ctx.findings.count('events.compactedBeforeDelivery', stats.skippedCompacted);
        ctx.findings.count('events.total', db.watch.lastSeq);
        ctx.findings.count('events.compacted', db.watch.compactedThrough);
      } finally {
        await store.close();
      }
    }
  }

  async close(): Promise<void> {
    for (const db of this.dbs) await db.watch.close();
  }
}

/** Creates the session databases, subscribes to each one's `events$`, and returns the verifier. */
export async function openSessionVerifier(setup: VerifierSetup): Promise<ModuleVerifier> {
  const dbs: SessionDb[] = [];
  for (const sessionId of CRASH_SESSIONS) {
    const path = sessionDbPath(setup.dir, sessionId);
    mkdirSync(dirname(path), { recursive: true });
    const archiveDir = sessionArchiveDir(setup.dir, sessionId);
    mkdirSync(archiveDir, { recursive: true });
    const watch = new DatabaseWatch(join('sessions', `${sessionId}.db`), path, archiveDir, setup.findings);
    await watch.start(() => Store.open(path));
    dbs.push(new SessionDb(sessionId, path, watch, setup.findings));
  }
  return new SessionVerifier(setup.dir, dbs, setup.findings);
}
