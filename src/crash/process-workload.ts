/**
 * The process registry's crash workload. Child side: registrations (and identical re-registrations),
 * keyed and unkeyed process events, process leases under `localProcessIdentity` owners (claim, and
 * dead-holder reclaim of a killed sibling's lease), leased completions, renewals, releases, handle
 * grants, archived compactions, keyed wake appends (to processes with and without a registered wake
 * target, some with a per-append target), wake acks (and repeated acks) and process waits (set and
 * clear). Parent side: every acknowledged operation is in the data (keyed appends, wake appends with
 * their `wakeDelivery`, and completions replay to their acknowledged results; acknowledged wake acks
 * hide their wake from `wakeEventsAfter` and repeat without a second ack; each process's wait is
 * that of its last wait operation, or null once terminal), no wake is acked twice in the log, a
 * leased completion and its lease release are one block, leases of killed holders are reclaimed at
 * once, in-flight operations retry as 30-process-registry specifies, and a `changes$` subscription
 * that lives across every crash never repeats a change and ends up with every record's latest change.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Subscription } from 'rxjs';
import { isLashStoreError } from '../errors.js';
import { defaultLivenessProbe } from '../leases/liveness.js';
import {
  PROCESS_EVENT_APPENDED,
  PROCESS_LEASE_ACQUIRED,
  PROCESS_LEASE_EXTENDED,
  PROCESS_LEASE_RELEASED,
  PROCESS_REGISTERED,
  PROCESS_WAIT_CLEARED,
  PROCESS_WAIT_SET,
  PROCESS_WAKE_ACKED,
  processStream,
} from '../projections/process/events.js';
import { SqliteProcessRegistry } from '../stores/process-registry.js';
import type {
  ProcessAwaitOutput,
  ProcessEventAppendRequest,
  ProcessEventAppendResult,
  ProcessLease,
  ProcessLeaseClaimOutcome,
  ProcessLeaseCompletion,
  ProcessRecord,
  ProcessRegistration,
  ProcessWakeDelivery,
  WaitState,
} from '../types/process.js';
import type { HistoryEvent } from './history.js';
import type {
  ChildContext,
  ChildWorkload,
  OperationOutcome,
  OperationSpec,
  OpRecord,
  RecoveryContext,
  WorkloadModule,
} from './module.js';
import { sameJson } from './protocol.js';
import { compactionStep, type OpLookup, openSingleDbVerifier, type RetryResult, type SingleDbHooks } from './single-db.js';

/** The module name in reports and messages. */
export const PROCESS_MODULE = 'process';
const DB = 'registry';
const TTL_MS = 120_000;
const SCOPE = { sessionId: 'crash', agentFrameId: null };
/** The wake target registered on `wproc-` processes, and the per-append override some wake appends carry. */
const WAKE_TARGET = { sessionId: 'crash-wakes', agentFrameId: null };
const WAKE_OVERRIDE = { sessionId: 'crash-wakes', agentFrameId: 'frame-override' };
const PROGRESS = 'crash.progress';
/** Wakes when the payload has `wake_input`, with that input, deduped per event. */
const WAKE = 'crash.wake';

function registryPath(dir: string): string {
  return join(dir, 'process', 'registry.db');
}
function archiveDir(dir: string): string {
  return join(dir, 'archives', 'process-registry');
}

/**
 * The registration a child makes for process `id` (a function of the id, so a re-registration is
 * identical). Every process declares the wake type; `wproc-` processes also register a wake target.
 */
export function crashRegistration(id: string): ProcessRegistration {
  return {
    id,
    input: { kind: 'engine', engineKind: 'crash', payload: { id } },
    disposition: 'rerunnable',
    identity: { kind: 'crash', label: null, definition: null },
    eventTypes: [
      { name: PROGRESS, payloadSchema: {}, semantics: { terminal: null, wake: null } },
      {
        name: WAKE,
        payloadSchema: {},
        semantics: {
          terminal: null,
          wake: {
            when: { kind: 'present', pointer: '/wake_input' },
            input: { kind: 'pointer', pointer: '/wake_input' },
            dedupeKey: { kind: 'eventIdentity' },
          },
        },
      },
    ],
    provenance: { originator: { kind: 'host', scope: null }, causedBy: null },
    envRef: 'crash-env',
    wakeTarget: id.startsWith('wproc-') ? WAKE_TARGET : null,
  };
}

/** What the parent keeps of an acknowledged wake append. */
interface WakeSummary {
  sequence: number;
  wakeDelivery: ProcessWakeDelivery | null;
}
function summarizeWake(r: ProcessEventAppendResult): WakeSummary {
  return { sequence: r.event.sequence, wakeDelivery: r.wakeDelivery };
}

/**
 * Whether a wake append to `processId` must return a delivery: its wake materializes (the payload has
 * `wake_input`) and a target exists (the per-append override, or the registered target).
 */
function expectsDelivery(processId: string, request: ProcessEventAppendRequest): boolean {
  const payload = request.payload as { wake_input?: unknown };
  return typeof payload.wake_input === 'string' && (request.wakeTargetScope !== null || processId.startsWith('wproc-'));
}

/** Checks a wake append's result against its request (and, for replays, the acknowledged result). */
function checkWakeResult(processId: string, request: ProcessEventAppendRequest, r: WakeSummary): string | null {
  const d = r.wakeDelivery;
  if (expectsDelivery(processId, request) !== (d !== null)) return `wakeDelivery is ${d === null ? 'missing' : 'unexpected'}`;
  if (d === null) return null;
  const target = request.wakeTargetScope ?? WAKE_TARGET;
  const input = (request.payload as { wake_input: string }).wake_input;
  if (d.sequence !== r.sequence || d.processId !== processId || d.eventType !== WAKE || d.input !== input)
    return `wakeDelivery ${JSON.stringify(d)} does not describe event ${r.sequence}`;
  if (d.targetSessionId !== target.sessionId) return `wakeDelivery targets ${d.targetSessionId}`;
  return null;
}

/**
 * A wake ack: `repeat` when the child acks a wake it acked before (so the log cannot tell whether
 * this operation committed), else the wake was pending when the child picked it.
 */
interface AckWakeArgs {
  processId: string;
  sequence: number;
  repeat: boolean;
}

function waitFor(opId: string): WaitState {
  return { kind: { kind: 'signal', name: 'crash', eventType: PROGRESS, key: opId, ordinal: 0 }, sinceMs: 0 };
}

function output(opId: string): ProcessAwaitOutput {
  return { kind: 'success', value: { op: opId }, control: null };
}

type ProcessOp =
  | 'register'
  | 'append'
  | 'claim'
  | 'complete'
  | 'renew'
  | 'release'
  | 'grant'
  | 'compact'
  | 'appendWake'
  | 'ackWake'
  | 'setWait'
  | 'clearWait';

class ProcessChild implements ChildWorkload {
  readonly weight = 0.5;
  readonly #weights: Record<ProcessOp, number>;
  readonly #own: string[] = [];
  /** Own processes that got a wake append, and wakes this child acked (for repeated acks). */
  readonly #woken: string[] = [];
  readonly #acked: { processId: string; sequence: number }[] = [];
  readonly #leases = new Map<string, ProcessLease>();
  readonly #cursor = { seq: 0 };

  constructor(
    private readonly ctx: ChildContext,
    private readonly registry: SqliteProcessRegistry,
    private readonly archives: string,
  ) {
    this.#weights = {
      register: 3,
      append: 4,
      claim: 4,
      complete: 3,
      renew: 1,
      release: 1,
      grant: 1,
      appendWake: 3,
      ackWake: 2,
      setWait: 1,
      clearWait: 1,
      compact: ctx.focus.has('compaction') ? 10 : 0.5,
    };
  }

  /** Runs one registry operation through the parent's protocol. */
  #run<T>(spec: Omit<OperationSpec<T>, 'module' | 'db'>): Promise<OperationOutcome<T>> {
    return this.ctx.run({ ...spec, module: PROCESS_MODULE, db: DB });
  }

  async step(): Promise<void> {
    const { ctx } = this;
    const op = ctx.rng.weighted(this.#weights);
    const leased = [...this.#leases.values()];
    switch (op) {
      case 'register':
        return this.#register();
      case 'append':
        if (this.#own.length > 0) await this.#append(ctx.rng.pick(this.#own));
        return;
      case 'claim':
        return this.#claim();
      case 'complete':
        if (leased.length > 0) await this.#complete(ctx.rng.pick(leased));
        return;
      case 'renew':
        if (leased.length > 0) await this.#renew(ctx.rng.pick(leased));
        return;
      case 'release':
        if (leased.length > 0) await this.#release(ctx.rng.pick(leased));
        return;
      case 'grant':
        if (this.#own.length > 0) await this.#grant(ctx.rng.pick(this.#own));
        return;
      case 'compact':
        return compactionStep(ctx, PROCESS_MODULE, DB, this.registry, this.archives, this.#cursor);
      case 'appendWake':
        if (this.#own.length > 0) await this.#appendWake(ctx.rng.pick(this.#own));
        return;
      case 'ackWake':
        return this.#ackWake();
      case 'setWait':
        if (this.#own.length > 0) await this.#setWait(ctx.rng.pick(this.#own));
        return;
      case 'clearWait':
        if (this.#own.length > 0) await this.#clearWait(ctx.rng.pick(this.#own));
        return;
    }
  }

  async #register(): Promise<void> {
    const { ctx } = this;
    const again = this.#own.length > 0 && ctx.rng.chance(0.1);
    const id = again ? ctx.rng.pick(this.#own) : `${ctx.rng.chance(0.5) ? 'wproc' : 'proc'}-${ctx.nextOpId()}`;
    const registration = crashRegistration(id);
    const outcome = await this.#run({
      id: ctx.nextOpId(),
      op: 'register',
      args: registration,
      exec: () => this.registry.registerProcess(registration),
      summarize: (r: ProcessRecord) => ({ registrationHash: r.registrationHash }),
    });
    if (outcome.ok && !again) this.#own.push(id);
  }

  async #append(processId: string): Promise<void> {
    const { ctx } = this;
    const id = ctx.nextOpId();
    const request: ProcessEventAppendRequest = {
      eventType: PROGRESS,
      payload: { op: id, n: ctx.rng.int(1000) },
      replay: ctx.rng.chance(0.7) ? { key: id } : null,
      wakeTargetScope: null,
    };
    await this.#run({
      id,
      op: 'append',
      args: { processId, request },
      exec: () => this.registry.appendEvent(processId, request),
      summarize: (r) => ({ sequence: r.event.sequence }),
    });
  }

  /**
   * A keyed wake append (a retry replays it, delivery included): mostly with `wake_input`, sometimes
   * with a per-append target; without `wake_input` the wake does not materialize.
   */
  async #appendWake(processId: string): Promise<void> {
    const { ctx } = this;
    const id = ctx.nextOpId();
    const payload: Record<string, string> = ctx.rng.chance(0.85) ? { op: id, wake_input: `wake ${id}` } : { op: id };
    const request: ProcessEventAppendRequest = {
      eventType: WAKE,
      payload,
      replay: { key: id },
      wakeTargetScope: ctx.rng.chance(0.25) ? WAKE_OVERRIDE : null,
    };
    const outcome = await this.#run({
      id,
      op: 'appendWake',
      args: { processId, request },
      exec: () => this.registry.appendEvent(processId, request),
      summarize: summarizeWake,
    });
    if (!outcome.ok) return;
    const problem = checkWakeResult(processId, request, summarizeWake(outcome.value));
    if (problem) ctx.violation(`process ${processId}: wake append ${id}: ${problem}`);
    if (!this.#woken.includes(processId)) this.#woken.push(processId);
  }

  /** Acks a pending wake of an own process, or repeats an earlier ack (idempotent by spec). */
  async #ackWake(): Promise<void> {
    const { ctx } = this;
    let args: AckWakeArgs | undefined;
    if (this.#woken.length > 0 && !(this.#acked.length > 0 && ctx.rng.chance(0.15))) {
      const processId = ctx.rng.pick(this.#woken);
      const pending = await this.registry.wakeEventsAfter(processId, 0);
      if (pending.length > 0) args = { processId, sequence: ctx.rng.pick(pending).sequence, repeat: false };
    }
    if (!args && this.#acked.length > 0) args = { ...ctx.rng.pick(this.#acked), repeat: true };
    if (!args) return;
    const { processId, sequence } = args;
    const outcome = await this.#run({
      id: ctx.nextOpId(),
      op: 'ackWake',
      args,
      exec: () => this.registry.ackWake(processId, sequence),
      summarize: () => null,
    });
    if (outcome.ok && !args.repeat) this.#acked.push({ processId, sequence });
  }

  /** Sets a wait naming this operation; a process another child completed refuses it. */
  async #setWait(processId: string): Promise<void> {
    const { ctx } = this;
    const id = ctx.nextOpId();
    const wait = waitFor(id);
    await this.#run({
      id,
      op: 'setWait',
      args: { processId, wait },
      exec: () => this.registry.setProcessWait(processId, wait),
      summarize: (r: ProcessRecord) => ({ wait: r.wait }),
      expectedError: (e) => isLashStoreError(e, 'TerminalRejectsWait'),
    });
  }

  async #clearWait(processId: string): Promise<void> {
    const { ctx } = this;
    await this.#run({
      id: ctx.nextOpId(),
      op: 'clearWait',
      args: { processId },
      exec: () => this.registry.clearProcessWait(processId),
      summarize: (r: ProcessRecord) => ({ wait: r.wait }),
    });
  }

  /** Claims a running process (own or anyone's); reclaims it at once when its holder is provably dead. */
  async #claim(): Promise<void> {
    const { ctx } = this;
    const running = await this.registry.listNonTerminal();
    if (running.length === 0) return;
    const processId = ctx.rng.pick(running).id;
    if (this.#leases.has(processId)) return;
    const claimed = await this.#run<ProcessLeaseClaimOutcome>({
      id: ctx.nextOpId(),
      op: 'claim',
      args: { processId, owner: ctx.identity, ttlMs: TTL_MS },
      exec: () => this.registry.claimProcessLease(processId, ctx.identity, TTL_MS),
      summarize: summarizeClaim,
    });
    if (!claimed.ok) return;
    if (claimed.value.kind === 'acquired') {
      await this.#hold(claimed.value.lease);
      return;
    }
    const holder = claimed.value.holder;
    const liveness = holder.owner.liveness;
    const mine = ctx.identity.liveness;
    if (liveness.kind !== 'localProcess' || mine.kind !== 'localProcess') return;
    if (liveness.hostId !== mine.hostId || liveness.bootId !== mine.bootId) return;
    if (defaultLivenessProbe.isAlive(liveness.pid, liveness.processStart) !== false) return;
    const reclaimed = await this.#run<ProcessLeaseClaimOutcome>({
      id: ctx.nextOpId(),
      op: 'reclaim',
      args: { processId, claimant: ctx.identity, observedHolder: holder, ttlMs: TTL_MS },
      exec: () => this.registry.reclaimProcessLease(processId, ctx.identity, holder, TTL_MS),
      summarize: summarizeClaim,
    });
    if (!reclaimed.ok) return;
    if (reclaimed.value.kind === 'acquired') {
      if (reclaimed.value.lease.fencingToken !== holder.fencingToken + 1) {
        ctx.violation(`process ${processId}: reclaim from dead pid ${liveness.pid} did not advance the fencing token by one`);
      }
      await this.#hold(reclaimed.value.lease);
    } else if (reclaimed.value.holder.leaseToken === holder.leaseToken) {
      ctx.violation(`process ${processId}: reclaim refused although holder pid ${liveness.pid} is provably dead`);
    }
  }

  /**
   * Keeps a freshly acquired lease, unless the row turned terminal between `listNonTerminal` and
   * the claim: a claim does not look at the status (30 §3.8), and a sibling's leased completion
   * releases its lease in the same transaction, so the claim can succeed on a completed row. As
   * the spec's recovery sweep does (§3.13), re-read the row and release the lease of a terminal
   * one: completing it again with another output would be a `ReplayKeyConflict`. Once this child
   * holds the lease, nobody else can complete the row (every completion here is leased).
   */
  async #hold(lease: ProcessLease): Promise<void> {
    this.#leases.set(lease.processId, lease);
    const record = await this.registry.getProcess(lease.processId);
    if (record !== null && record.status.kind !== 'running') await this.#release(lease);
  }

  async #complete(lease: ProcessLease): Promise<void> {
    const { ctx } = this;
    const id = ctx.nextOpId();
    this.#leases.delete(lease.processId);
    await this.#run({
      id,
      op: 'complete',
      args: { lease, output: output(id) },
      exec: () => this.registry.completeProcessWithLease(lease, output(id)),
      summarize: (r: ProcessRecord) => ({ status: r.status.kind }),
    });
  }

  async #renew(lease: ProcessLease): Promise<void> {
    const { ctx } = this;
    const outcome = await this.#run({
      id: ctx.nextOpId(),
      op: 'renew',
      args: { lease, ttlMs: TTL_MS },
      exec: () => this.registry.renewProcessLease(lease, TTL_MS),
      summarize: (l: ProcessLease) => ({ expiresAtEpochMs: l.expiresAtEpochMs }),
    });
    if (outcome.ok) this.#leases.set(lease.processId, outcome.value);
    else this.#leases.delete(lease.processId);
  }

  async #release(lease: ProcessLease): Promise<void> {
    const { ctx } = this;
    this.#leases.delete(lease.processId);
    const completion: ProcessLeaseCompletion = { processId: lease.processId, leaseToken: lease.leaseToken };
    await this.#run({
      id: ctx.nextOpId(),
      op: 'release',
      args: completion,
      exec: () => this.registry.completeProcessLease(completion),
      summarize: () => null,
    });
  }

  async #grant(processId: string): Promise<void> {
    const { ctx } = this;
    const id = ctx.nextOpId();
    const descriptor = { kind: 'crash', label: id };
    await this.#run({
      id,
      op: 'grant',
      args: { processId, descriptor },
      exec: () => this.registry.grantHandle(SCOPE, processId, descriptor),
      summarize: () => null,
    });
  }

  async close(): Promise<void> {
    await this.registry.close();
  }
}

function summarizeClaim(o: ProcessLeaseClaimOutcome): unknown {
  return o.kind === 'acquired'
    ? { kind: 'acquired', leaseToken: o.lease.leaseToken, fencingToken: o.lease.fencingToken }
    : { kind: 'busy', leaseToken: o.holder.leaseToken };
}

/** What the parent folded out of the registry's history. */
export class ProcessIndex {
  readonly registered = new Map<string, string>();
  /** `processId idempotencyKey` → sequence, and payload op → sequence. */
  readonly keyed = new Map<string, number>();
  readonly byOp = new Map<string, number>();
  /** Process → the operation whose output its terminal event carries. */
  readonly terminal = new Map<string, string | null>();
  readonly leaseTokens = new Set<string>();
  readonly released = new Set<string>();
  readonly extended = new Set<string>();
  /** `processId sequence` of every wake ack in the log. */
  readonly wakeAcks = new Set<string>();
  /** Keys of the waits set in the log (each names the operation that set it). */
  readonly waitSets = new Set<string>();

  constructor(
    readonly label: string,
    readonly ctxFindings: { divergence(message: string): void },
  ) {}

  ingest(events: readonly HistoryEvent[], lookup: OpLookup): void {
    events.forEach((event, i) => {
      const d = event.data as Record<string, unknown>;
      switch (event.type) {
        case PROCESS_REGISTERED:
          this.registered.set(d.processId as string, d.registrationHash as string);
          return;
        case PROCESS_EVENT_APPENDED: {
          const processId = d.processId as string;
          const e = d.event as {
            sequence: number;
            payload: { op?: unknown; awaitOutput?: { value?: { op?: unknown } } } | null;
            semantics: { terminal: unknown };
          };
          if (typeof d.idempotencyKey === 'string') this.keyed.set(`${processId} ${d.idempotencyKey}`, e.sequence);
          if (e.payload && typeof e.payload.op === 'string') this.byOp.set(e.payload.op, e.sequence);
          if (e.semantics.terminal !== null) {
            const by = e.payload?.awaitOutput?.value?.op;
            this.terminal.set(processId, typeof by === 'string' ? by : null);
            this.#checkLeasedCompletion(events, i, lookup);
          }
          return;
        }
        case PROCESS_LEASE_ACQUIRED:
          this.leaseTokens.add(d.leaseToken as string);
          return;
        case PROCESS_LEASE_EXTENDED:
          this.extended.add(`${d.leaseToken} ${d.expiresAtEpochMs}`);
          return;
        case PROCESS_LEASE_RELEASED:
          this.released.add(d.leaseToken as string);
          return;
        case PROCESS_WAKE_ACKED: {
          // Acks are insert-or-ignore (30 §3.7): a second ack of one wake records nothing.
          const key = `${d.processId} ${d.sequence}`;
          if (this.wakeAcks.has(key)) this.ctxFindings.divergence(`${this.label}: wake ${key} acked twice (seq ${event.seq})`);
          this.wakeAcks.add(key);
          return;
        }
        case PROCESS_WAIT_SET:
          this.waitSets.add((d.wait as WaitState).kind.key);
          return;
        case PROCESS_WAIT_CLEARED:
          return;
        default:
          return;
      }
    });
  }

  /** A leased completion appends its terminal event and releases the lease in the same transaction. */
  #checkLeasedCompletion(events: readonly HistoryEvent[], i: number, lookup: OpLookup): void {
    const event = events[i] as HistoryEvent;
    const e = (event.data as { event: { payload: { awaitOutput?: { value?: { op?: unknown } } } } }).event;
    const opId = e.payload?.awaitOutput?.value?.op;
    const op = typeof opId === 'string' ? lookup(opId) : undefined;
    if (op?.op !== 'complete') return;
    const next = events[i + 1];
    const lease = (op.args as { lease: ProcessLease }).lease;
    if (!next || next.type !== PROCESS_LEASE_RELEASED || next.recordedAtMs !== event.recordedAtMs) {
      this.ctxFindings.divergence(
        `${this.label}: leased completion ${op.id} at seq ${event.seq} is not followed by its lease release`,
      );
      return;
    }
    const released = (next.data as { leaseToken: string }).leaseToken;
    // A retry by the campaign completes under its own reclaimed lease.
    if (released !== lease.leaseToken && !this.leaseTokens.has(released)) {
      this.ctxFindings.divergence(`${this.label}: completion ${op.id} released an unknown lease`);
    }
  }
}

class ProcessHooks implements SingleDbHooks<SqliteProcessRegistry> {
  readonly module = PROCESS_MODULE;
  readonly label = 'process/registry.db';
  readonly path: string;
  readonly archiveDir: string;
  readonly index: ProcessIndex;
  /** Latest change delivered by the long-lived `changes$` subscription, per process. */
  readonly #delivered = new Map<string, number>();
  #lastChange = 0;
  #feedError: unknown = null;
  #feedHandle: SqliteProcessRegistry | null = null;
  #subscription: Subscription | null = null;
  /** Per process: the wait its last wait operation left, and that operation. */
  readonly #waits = new Map<string, { opId: string; wait: WaitState | null }>();

  constructor(
    dir: string,
    readonly findings: { divergence(message: string): void; lost(message: string): void; count(name: string, by?: number): void },
  ) {
    this.path = registryPath(dir);
    this.archiveDir = archiveDir(dir);
    this.index = new ProcessIndex(this.label, findings);
  }

  open(): Promise<SqliteProcessRegistry> {
    return SqliteProcessRegistry.open(this.path);
  }

  /** Subscribes to `changes$` on a handle of its own that lives across every crash. */
  async startChangeFeed(): Promise<void> {
    this.#feedHandle = await this.open();
    this.#subscription = this.#feedHandle.changes$().subscribe({
      next: (record) => {
        if (record.changeSeq <= this.#lastChange) {
          this.findings.divergence(`${this.label}: changes$ delivered change ${record.changeSeq} after ${this.#lastChange}`);
        }
        this.#lastChange = Math.max(this.#lastChange, record.changeSeq);
        this.#delivered.set(record.id, record.changeSeq);
      },
      error: (error) => {
        this.#feedError = error;
      },
    });
  }

  ingest(events: readonly HistoryEvent[], lookup: OpLookup): void {
    this.index.ingest(events, lookup);
  }

  async checkAcked(registry: SqliteProcessRegistry, op: OpRecord, lost: (what: string) => void): Promise<void> {
    const { index } = this;
    switch (op.op) {
      case 'register': {
        const r = op.result as { registrationHash: string };
        const record = await registry.getProcess((op.args as ProcessRegistration).id);
        if (record?.registrationHash !== r.registrationHash) lost('the registration is not there');
        return;
      }
      case 'append': {
        const { processId, request } = op.args as { processId: string; request: ProcessEventAppendRequest };
        const { sequence } = op.result as { sequence: number };
        const [stored] = await registry.eventsAfter(processId, sequence - 1);
        if (stored?.sequence !== sequence || !sameJson(stored.payload, request.payload)) lost(`event ${sequence} is not there`);
        else if (request.replay) {
          const replay = await registry.appendEvent(processId, request);
          if (replay.event.sequence !== sequence) lost(`the keyed append replays to sequence ${replay.event.sequence}`);
        }
        return;
      }
      case 'complete': {
        const { lease, output: out } = op.args as { lease: ProcessLease; output: ProcessAwaitOutput };
        const record = await registry.getProcess(lease.processId);
        const by = out.kind === 'success' ? (out.value as { op?: unknown } | null)?.op : undefined;
        if (record?.status.kind !== 'completed') lost('the process is not completed');
        else if (this.index.terminal.get(lease.processId) !== by) lost('its terminal event is another completion');
        // A replay needs no live lease and returns the record.
        else if ((await registry.completeProcessWithLease(lease, out)).status.kind !== 'completed')
          lost('the completion does not replay');
        return;
      }
      case 'claim':
      case 'reclaim': {
        const r = op.result as { kind: string; leaseToken: string };
        if (r.kind === 'acquired' && !index.leaseTokens.has(r.leaseToken)) lost('the acquisition is not in the log');
        return;
      }
      case 'renew': {
        const { lease } = op.args as { lease: ProcessLease };
        const r = op.result as { expiresAtEpochMs: number };
        if (!index.extended.has(`${lease.leaseToken} ${r.expiresAtEpochMs}`)) lost('the renewal is not in the log');
        return;
      }
      case 'release':
        // A release of a lease that is no longer held is a silent no-op by spec; only a held one leaves an event.
        return;
      case 'grant': {
        const { processId } = op.args as { processId: string };
        if (!(await registry.hasHandleGrant(SCOPE, processId))) lost('the grant is not there');
        return;
      }
      case 'appendWake': {
        const { processId, request } = op.args as { processId: string; request: ProcessEventAppendRequest };
        const r = op.result as WakeSummary;
        const [stored] = await registry.eventsAfter(processId, r.sequence - 1);
        if (stored?.sequence !== r.sequence || stored.eventType !== WAKE || !sameJson(stored.payload, request.payload)) {
          lost(`wake event ${r.sequence} is not there`);
          return;
        }
        const replay = summarizeWake(await registry.appendEvent(processId, request));
        if (!sameJson(replay, r)) lost(`the wake append replays to ${JSON.stringify(replay)}, acknowledged ${JSON.stringify(r)}`);
        const problem = checkWakeResult(processId, request, r);
        if (problem) this.findings.divergence(`${this.label}: acknowledged appendWake ${op.id}: ${problem}`);
        return;
      }
      case 'ackWake': {
        const { processId, sequence } = op.args as AckWakeArgs;
        let missing = false;
        if (!index.wakeAcks.has(`${processId} ${sequence}`)) {
          lost('the ack is not in the log');
          missing = true;
        }
        if ((await registry.wakeEventsAfter(processId, sequence - 1)).some((e) => e.sequence === sequence)) {
          lost('wakeEventsAfter still lists the wake');
          missing = true;
        }
        if (missing) return;
        // Repeating a durable ack is idempotent: it records no second ack.
        const acksOf = async () =>
          (await registry.readEvents({ stream: processStream(processId) })).filter(
            (e) => e.type === PROCESS_WAKE_ACKED && (e.data as { sequence: number }).sequence === sequence,
          ).length;
        const before = await acksOf();
        await registry.ackWake(processId, sequence);
        if ((await acksOf()) !== before) this.findings.divergence(`${this.label}: repeating ack ${op.id} recorded a second ack`);
        return;
      }
      case 'setWait': {
        if (!index.waitSets.has(op.id)) lost('the wait is not in the log');
        return;
      }
      // clearWait leaves nothing to tell it apart in the log; `afterRetries` checks every wait.
      default:
        return;
    }
  }

  async retry(
    registry: SqliteProcessRegistry,
    op: OpRecord,
    ctx: RecoveryContext,
    bad: (what: string) => void,
  ): Promise<RetryResult> {
    const { index } = this;
    switch (op.op) {
      case 'register': {
        const registration = op.args as ProcessRegistration;
        const before = index.registered.has(registration.id);
        const record = await registry.registerProcess(registration);
        if (before && record.registrationHash !== index.registered.get(registration.id))
          bad('the re-registration changed the hash');
        return {
          committedBeforeKill: before ? null : false,
          outcome: before ? 'idempotent' : 'committed',
          result: { registrationHash: record.registrationHash },
        };
      }
      case 'append': {
        const { processId, request } = op.args as { processId: string; request: ProcessEventAppendRequest };
        const before = index.byOp.get(op.id);
        if (!request.replay) return { committedBeforeKill: before !== undefined, outcome: 'notRetried' };
        const result = await registry.appendEvent(processId, request);
        if (before !== undefined && result.event.sequence !== before)
          bad(`replayed to ${result.event.sequence}, stored ${before}`);
        return {
          committedBeforeKill: before !== undefined,
          outcome: before !== undefined ? 'replayed' : 'committed',
          result: { sequence: result.event.sequence },
        };
      }
      case 'complete': {
        const { lease, output: out } = op.args as { lease: ProcessLease; output: ProcessAwaitOutput };
        const terminalBy = index.terminal.get(lease.processId);
        if (terminalBy === op.id) {
          const record = await registry.completeProcessWithLease(lease, out);
          if (record.status.kind !== 'completed') bad('the replay did not return the completed record');
          return { committedBeforeKill: true, outcome: 'replayed', result: { status: record.status.kind } };
        }
        if (terminalBy !== undefined) {
          // Somebody else (a sibling that reclaimed the lease) completed it with another output: the
          // same terminal key with another payload is ReplayKeyConflict (30 §3.4).
          try {
            await registry.completeProcessWithLease(lease, out);
            bad('completing a process another output had completed did not conflict');
          } catch (error) {
            if (!isLashStoreError(error, 'ReplayKeyConflict')) throw error;
          }
          return { committedBeforeKill: false, outcome: 'conflicted' };
        }
        // Not committed: the killed child still holds the lease; take it over at once, then complete.
        const current = await registry.getProcessLease(lease.processId);
        let mine: ProcessLease | null = null;
        if (current) {
          const outcome = await registry.reclaimProcessLease(lease.processId, ctx.identity, current, TTL_MS);
          if (outcome.kind === 'acquired') mine = outcome.lease;
        } else {
          const outcome = await registry.claimProcessLease(lease.processId, ctx.identity, TTL_MS);
          if (outcome.kind === 'acquired') mine = outcome.lease;
        }
        if (!mine) {
          bad('could not take over the killed holder’s lease');
          return { committedBeforeKill: false, outcome: 'notRetried' };
        }
        const record = await registry.completeProcessWithLease(mine, out);
        if (record.status.kind !== 'completed') bad('the retried completion did not complete the process');
        return {
          committedBeforeKill: false,
          outcome: 'committed',
          result: { status: record.status.kind },
          args: { lease: mine, output: out },
        };
      }
      case 'renew': {
        const { lease, ttlMs } = op.args as { lease: ProcessLease; ttlMs: number };
        const current = await registry.getProcessLease(lease.processId);
        const held = current?.leaseToken === lease.leaseToken && current.expiresAtEpochMs > Date.now();
        try {
          const renewed = await registry.renewProcessLease(lease, ttlMs);
          if (!held) bad('renewed a lease that is no longer held');
          return { committedBeforeKill: null, outcome: 'committed', result: { expiresAtEpochMs: renewed.expiresAtEpochMs } };
        } catch (error) {
          if (held || !isLashStoreError(error, 'LeaseExpired')) throw error;
          return { committedBeforeKill: null, outcome: 'conflicted' };
        }
      }
      case 'release': {
        const completion = op.args as ProcessLeaseCompletion;
        const before = index.released.has(completion.leaseToken);
        await registry.completeProcessLease(completion);
        return { committedBeforeKill: before ? true : null, outcome: before ? 'idempotent' : 'committed' };
      }
      case 'grant': {
        const { processId, descriptor } = op.args as { processId: string; descriptor: { kind: string; label: string } };
        await registry.grantHandle(SCOPE, processId, descriptor);
        if (!(await registry.hasHandleGrant(SCOPE, processId))) bad('no grant after the retry');
        return { committedBeforeKill: null, outcome: 'idempotent', result: null };
      }
      case 'appendWake': {
        // Always keyed: a stored wake append replays (same sequence, same delivery), else it commits.
        const { processId, request } = op.args as { processId: string; request: ProcessEventAppendRequest };
        const before = index.byOp.get(op.id);
        const result = summarizeWake(await registry.appendEvent(processId, request));
        if (before !== undefined && result.sequence !== before) bad(`replayed to ${result.sequence}, stored ${before}`);
        const problem = checkWakeResult(processId, request, result);
        if (problem) bad(problem);
        return {
          committedBeforeKill: before !== undefined,
          outcome: before !== undefined ? 'replayed' : 'committed',
          result,
        };
      }
      case 'ackWake': {
        const { processId, sequence, repeat } = op.args as AckWakeArgs;
        // The child picked a pending wake of its own process: an ack in the log is this one's.
        const before = index.wakeAcks.has(`${processId} ${sequence}`);
        await registry.ackWake(processId, sequence);
        if ((await registry.wakeEventsAfter(processId, sequence - 1)).some((e) => e.sequence === sequence))
          bad('the wake is still pending after the retry');
        return {
          committedBeforeKill: repeat ? null : before,
          outcome: before ? 'idempotent' : 'committed',
          result: null,
        };
      }
      case 'setWait': {
        const { processId, wait } = op.args as { processId: string; wait: WaitState };
        const before = index.waitSets.has(op.id);
        const record = await registry.getProcess(processId);
        if (record?.status.kind !== 'running') {
          try {
            await registry.setProcessWait(processId, wait);
            bad('a terminal process accepted a wait');
          } catch (error) {
            if (!isLashStoreError(error, 'TerminalRejectsWait')) throw error;
          }
          return { committedBeforeKill: before, outcome: 'conflicted' };
        }
        const set = await registry.setProcessWait(processId, wait);
        if (!sameJson(set.wait, wait)) bad('the retried wait is not the record’s');
        return { committedBeforeKill: before, outcome: before ? 'idempotent' : 'committed', result: { wait: set.wait } };
      }
      case 'clearWait': {
        const { processId } = op.args as { processId: string };
        const cleared = await registry.clearProcessWait(processId);
        if (cleared.wait !== null) bad('the wait is still set after the retry');
        return { committedBeforeKill: null, outcome: 'idempotent', result: { wait: null } };
      }
      default:
        return { committedBeforeKill: null, outcome: 'notRetried' };
    }
  }

  /**
   * Leases held by killed children are reclaimed at once and released; then the change feed must have
   * delivered every record at its latest change.
   */
  async afterRetries(registry: SqliteProcessRegistry, ctx: RecoveryContext): Promise<void> {
    for (const record of await registry.listNonTerminal()) {
      const lease = await registry.getProcessLease(record.id);
      if (!lease) continue;
      const liveness = lease.owner.liveness;
      if (liveness.kind !== 'localProcess' || !ctx.deadPids.has(liveness.pid)) {
        if (lease.owner.ownerId !== ctx.identity.ownerId) {
          this.findings.divergence(
            `${this.label}: process ${record.id} is leased by ${lease.owner.ownerId}, which is not a killed child`,
          );
        }
        continue;
      }
      const reclaimed = await registry.reclaimProcessLease(record.id, ctx.identity, lease, TTL_MS);
      if (reclaimed.kind !== 'acquired') {
        this.findings.divergence(
          `${this.label}: the lease of process ${record.id} held by killed pid ${liveness.pid} was not reclaimed at once`,
        );
        continue;
      }
      if (reclaimed.lease.fencingToken !== lease.fencingToken + 1) {
        this.findings.divergence(
          `${this.label}: process ${record.id} reclaim gave fencing ${reclaimed.lease.fencingToken} after ${lease.fencingToken}`,
        );
      }
      ctx.findings.count('recoveries.leaseReclaims');
      await registry.completeProcessLease({ processId: record.id, leaseToken: reclaimed.lease.leaseToken });
    }
    await this.#checkWaits(registry, ctx);
    await this.#checkChangeFeed(registry);
  }

  /**
   * Only the child that registered a process sets or clears its wait, so the last of its wait
   * operations that did not fail (an in-flight one has just been retried) decides the wait. A terminal
   * process has none (every terminal projection clears it, and a terminal row refuses a wait).
   */
  async #checkWaits(registry: SqliteProcessRegistry, ctx: RecoveryContext): Promise<void> {
    for (const op of ctx.ops) {
      if (op.module !== PROCESS_MODULE || op.status === 'failed') continue;
      if (op.op === 'setWait') {
        const { processId, wait } = op.args as { processId: string; wait: WaitState };
        this.#waits.set(processId, { opId: op.id, wait });
      } else if (op.op === 'clearWait') {
        this.#waits.set((op.args as { processId: string }).processId, { opId: op.id, wait: null });
      }
    }
    for (const [processId, expected] of this.#waits) {
      const record = await registry.getProcess(processId);
      if (!record) {
        this.findings.lost(`${this.label}: process ${processId} of wait operation ${expected.opId} is gone`);
      } else if (record.status.kind !== 'running') {
        if (record.wait !== null) this.findings.divergence(`${this.label}: terminal process ${processId} still has a wait`);
      } else if (!sameJson(record.wait, expected.wait)) {
        this.findings.lost(
          `${this.label}: process ${processId} waits ${JSON.stringify(record.wait)}, its last wait operation ${expected.opId} left ${JSON.stringify(expected.wait)}`,
        );
      }
    }
  }

  async #checkChangeFeed(registry: SqliteProcessRegistry): Promise<void> {
    const records = await registry.listProcesses({ status: 'any' });
    const latest = records.reduce((max, r) => Math.max(max, r.changeSeq), 0);
    const deadline = Date.now() + 10_000;
    while (this.#lastChange < latest && this.#feedError === null && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (this.#feedError !== null) {
      this.findings.divergence(`${this.label}: changes$ failed: ${String(this.#feedError)}`);
      this.#feedError = null;
    }
    for (const record of records) {
      const delivered = this.#delivered.get(record.id);
      if (delivered !== record.changeSeq) {
        this.findings.divergence(
          `${this.label}: changes$ last delivered ${record.id} at ${delivered}, its latest change is ${record.changeSeq}`,
        );
      }
    }
  }

  async close(): Promise<void> {
    this.#subscription?.unsubscribe();
    await this.#feedHandle?.close();
  }
}

/** The process registry's workload module. */
export const processWorkloadModule: WorkloadModule = {
  name: PROCESS_MODULE,
  async openVerifier(setup) {
    const hooks = new ProcessHooks(setup.dir, setup.findings);
    const verifier = await openSingleDbVerifier(hooks, setup);
    await hooks.startChangeFeed();
    return verifier;
  },
  async openChild(ctx) {
    const archives = archiveDir(ctx.dir);
    mkdirSync(join(ctx.dir, 'process'), { recursive: true });
    mkdirSync(archives, { recursive: true });
    return new ProcessChild(ctx, await SqliteProcessRegistry.open(registryPath(ctx.dir)), archives);
  },
};
