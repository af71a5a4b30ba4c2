/**
 * The shared state and algorithms behind one `SqliteEffectHost` and every controller it scopes:
 * the journal's `executeEffect` (40-effects-triggers §3.4.4) and the await-event store (§4.4).
 * Every database step is one synchronous command or read on the engine; local execution, sleeps
 * and waits run between them, never inside a transaction.
 */
import type { Subscription } from 'rxjs';
import { type Clock, monotonicNow, sleepOn } from '../clock.js';
import {
  cancelSweepTx,
  ensurePendingTx,
  resolveTx,
  revokeTx,
  rowMatches,
  terminalOf,
  unknownOrRevoked,
} from '../commands/effect/await-events.js';
import {
  type Claim,
  finalizeTx,
  leaseLost,
  overrideLeaseTx,
  type PrepareResult,
  prepareTx,
  releaseTx,
  renewTx,
} from '../commands/effect/journal.js';
import { closedError, EffectHostError, invalidArgument, isLashStoreError, type LashStoreError, toAreaError } from '../errors.js';
import type { CommandTx, EventSourcedDatabase } from '../events/database.js';
import { canonicalJson, type JsonValue } from '../json.js';
import { normalizeCount } from '../numbers.js';
import { AwaitEventReads } from '../projections/effect/await-events.js';
import { JournalReads } from '../projections/effect/journal.js';
import type { DurabilityTier } from '../types/common.js';
import type {
  AwaitEventKey,
  AwaitEventWaitIdentity,
  AwaitEventWaitOptions,
  ExecuteEffectOptions,
  ExecutionScope,
  RecordedEffectError,
  Resolution,
  ResolveOutcome,
  RuntimeEffectEnvelope,
  RuntimeEffectLocalExecutor,
  RuntimeEffectOutcome,
  RuntimeEffectReplayMismatchSummary,
} from '../types/effect.js';
import type { TriggerCommand } from '../types/trigger.js';
import {
  canonicalizeRuntimeEffectEnvelope,
  type ValidatedEnvelope,
  validateReplayedEffectEnvelope,
  validateRuntimeEffectEnvelope,
} from './envelope.js';
import { authenticate, type KeyIdentity, keyIdentity, reduceWait, resolutionInput, signKey, storedJson } from './keys.js';
import type { NotifierRef, Wake } from './notifier.js';
import { reduceScope } from './scope.js';
import { sleepFor, sleepUntil } from './timing.js';

/** Step 3 errors that say the attempt could not run: the claim is released, not finalized. */
const RELEASE_CODES = new Set([
  'RuntimeEffectLocalExecutorUnavailable',
  'RuntimeEffectLocalExecutorMismatch',
  'TurnControlWaitCancelled',
  'TurnControlWaitTimeout',
  'Closed',
]);

const EXECUTOR_KINDS = ['unavailable', 'function', 'awaitEvent', 'processes', 'triggers'] as const;

/** The first poll interval of an await and the cap it doubles to. */
const POLL_START_MS = 25;
const POLL_CAP_MS = 1000;
/** The abort reason of internal timers (a reason-less abort would build a DOMException each time). */
const STOPPED = Symbol('stopped');
/** The BUSY retry interval of `executeEffect`. */
const BUSY_RETRY_MS = 25;

/** Where the controller of one execution scope journals. */
export interface ScopeBinding {
  scope: ExecutionScope;
  scopeKey: string;
  scopeId: string;
}

/** What a host passes to its core. */
export interface HostCoreOptions {
  engine: EventSourcedDatabase;
  secret: Uint8Array;
  notifier: NotifierRef;
  clock: Clock;
  tier: DurabilityTier;
  ownerId: string;
  ttlMs: number;
  renewIntervalMs: number;
}

type StepResult = { ok: true; outcome: JsonValue } | { ok: false; error: unknown };

function unavailable(message: string): EffectHostError {
  return new EffectHostError('RuntimeEffectLocalExecutorUnavailable', message);
}

function mismatch(message: string): EffectHostError {
  return new EffectHostError('RuntimeEffectLocalExecutorMismatch', message);
}

function isSummary(value: unknown): value is RuntimeEffectReplayMismatchSummary {
  const s = value as Record<string, unknown> | null;
  return (
    s !== null &&
    typeof s === 'object' &&
    typeof s.divergentPathCount === 'number' &&
    Array.isArray(s.firstDivergentPaths) &&
    s.firstDivergentPaths.every((p) => typeof p === 'string')
  );
}

/** The recorded form of a Step 3 rejection (§3.4.4 step 3a). */
export function recordedErrorOf(value: unknown): RecordedEffectError {
  const v = (value !== null && typeof value === 'object' ? value : {}) as Record<string, unknown>;
  const code = typeof v.code === 'string' ? v.code : 'LocalExecutionFailed';
  const message = typeof v.message === 'string' ? v.message : String(value);
  return { code, message, summary: isSummary(v.summary) ? v.summary : null };
}

/** The error a recorded effect error is (re)thrown as. */
export function rethrowable(recorded: RecordedEffectError, cause?: unknown): EffectHostError {
  return new EffectHostError(recorded.code, recorded.message, { summary: recorded.summary }, { cause });
}

function checkSignal(value: unknown, path: string): AbortSignal | null {
  if (value === undefined || value === null) return null;
  if (!(value instanceof AbortSignal)) throw invalidArgument(EffectHostError, path, 'an AbortSignal');
  return value;
}

function checkDeadline(value: unknown, path: string): number | null {
  if (value === undefined || value === null) return null;
  const ms = normalizeCount(EffectHostError, value, path);
  return ms >= Number.MAX_SAFE_INTEGER ? null : ms;
}

function checkExecutor(value: unknown): RuntimeEffectLocalExecutor {
  const e = value as Record<string, unknown> | null;
  if (e === null || typeof e !== 'object' || !EXECUTOR_KINDS.includes(e.kind as (typeof EXECUTOR_KINDS)[number])) {
    throw invalidArgument(
      EffectHostError,
      'localExecutor',
      `an executor of kind ${EXECUTOR_KINDS.map((k) => `'${k}'`).join(', ')}`,
    );
  }
  if ((e.kind === 'function' || e.kind === 'processes') && typeof e.run !== 'function') {
    throw invalidArgument(EffectHostError, 'localExecutor.run', 'a function');
  }
  if (e.kind === 'triggers') {
    const store = e.store as Record<string, unknown> | null;
    if (store === null || typeof store !== 'object' || typeof store.executeCommand !== 'function') {
      throw invalidArgument(EffectHostError, 'localExecutor.store', 'a trigger store');
    }
  }
  if (e.kind === 'awaitEvent') {
    checkSignal(e.signal, 'localExecutor.signal');
    checkDeadline(e.deadlineMs, 'localExecutor.deadlineMs');
  }
  return value as RuntimeEffectLocalExecutor;
}

/** The journal and the await-event store of one host object. */
export class EffectHostCore {
  readonly engine: EventSourcedDatabase;
  readonly clock: Clock;
  readonly tier: DurabilityTier;
  readonly ownerId: string;
  readonly ttlMs: number;
  readonly renewIntervalMs: number;
  readonly #secret: Uint8Array;
  readonly #notifier: NotifierRef;
  readonly #journal: JournalReads;
  readonly #awaits: AwaitEventReads;
  readonly #closing = new AbortController();
  #tokens = 0;
  #replayMode = false;

  constructor(options: HostCoreOptions) {
    this.engine = options.engine;
    this.clock = options.clock;
    this.tier = options.tier;
    this.ownerId = options.ownerId;
    this.ttlMs = options.ttlMs;
    this.renewIntervalMs = options.renewIntervalMs;
    this.#secret = options.secret;
    this.#notifier = options.notifier;
    this.#journal = new JournalReads(options.engine.db);
    this.#awaits = new AwaitEventReads(options.engine.db);
  }

  /** True once the host closed. */
  get closed(): boolean {
    return this.engine.closed;
  }

  /** Host-wide replay mode: a missing row becomes `EffectReplayMissing`. Cannot be cleared. */
  startReplay(): void {
    this.#replayMode = true;
  }

  /** Ends the host: in-flight calls reject with `Closed`, nothing is finalized. Idempotent. */
  close(): void {
    if (this.engine.closed) return;
    this.#closing.abort(closedError(EffectHostError, 'effectReplay'));
    this.engine.close();
    this.#notifier.release();
  }

  #closedError(): LashStoreError {
    return closedError(EffectHostError, 'effectReplay');
  }

  /** A command on the engine, refusing after close and mapping driver failures to `Backend`. */
  #command<R>(fn: (tx: CommandTx) => R): R {
    if (this.closed) throw this.#closedError();
    try {
      return this.engine.command(fn);
    } catch (error) {
      throw toAreaError(EffectHostError, error);
    }
  }

  /** A read on the engine, refusing after close and mapping driver failures to `Backend`. */
  #read<R>(fn: () => R): R {
    if (this.closed) throw this.#closedError();
    try {
      return this.engine.read(fn);
    } catch (error) {
      throw toAreaError(EffectHostError, error);
    }
  }

  #publish(wake: Wake): void {
    this.#notifier.subject.next(wake);
  }

  // ------------------------------------------------------------------ await events (§4.4)

  /** §4.4.1: mints a key; pure apart from reading the revocation list. */
  mint(scope: ExecutionScope, wait: AwaitEventWaitIdentity): AwaitEventKey {
    const id = keyIdentity(reduceScope(scope), reduceWait(wait));
    if (this.#read(() => this.#awaits.isRevoked(id.sessionId))) throw unknownOrRevoked();
    return { scope: id.scope, wait: id.wait, keyId: id.keyId, signature: signKey(this.#secret, id.scope, id.wait, id.keyId) };
  }

  #authenticate(key: unknown): KeyIdentity | null {
    return authenticate(this.#secret, key);
  }

  /** §4.4.2: first writer wins; wakes this key's in-process waiters on `accepted`. */
  resolve(key: unknown, resolution: unknown): ResolveOutcome {
    const r = resolutionInput(resolution);
    if (this.closed) throw this.#closedError();
    const id = this.#authenticate(key);
    if (id === null) return { kind: 'unknownOrRevoked' };
    const outcome = this.#command((tx) => resolveTx(this.#awaits, tx, id, r));
    if (outcome.kind === 'accepted') this.#publish(id.keyId);
    return outcome;
  }

  /** §4.4.3: the stored terminal, null while pending; never writes. */
  peek(key: unknown): Resolution | null {
    if (this.closed) throw this.#closedError();
    const id = this.#authenticate(key);
    if (id === null) throw unknownOrRevoked();
    return this.#read(() => this.#inspect(id));
  }

  /** Reads the key's row: the terminal, null when missing or pending; errors when revoked or mismatched. */
  #inspect(id: KeyIdentity): Resolution | null {
    if (this.#awaits.isRevoked(id.sessionId)) throw unknownOrRevoked();
    const row = this.#awaits.row(id.keyId);
    if (row === null) return null;
    if (!rowMatches(row, id)) throw unknownOrRevoked();
    return terminalOf(row);
  }

  #dataVersion(): number {
    if (this.closed) throw this.#closedError();
    return this.engine.db.pragma('data_version', { simple: true }) as number;
  }

  /**
   * §4.4.4: registers the wait, then inspects on every wake, on every poll that sees another
   * connection's commit, on cancellation and at the deadline. `stop` (internal) ends the wait with
   * its abort reason and writes nothing, like a closing host.
   */
  async await(key: unknown, options: AwaitEventWaitOptions | undefined, stop?: AbortSignal): Promise<Resolution> {
    const o = (options ?? {}) as Record<string, unknown>;
    if (options !== undefined && options !== null && typeof options !== 'object') {
      throw invalidArgument(EffectHostError, 'options', 'an object');
    }
    const signal = checkSignal(o.signal, 'options.signal');
    const deadlineMs = checkDeadline(o.deadlineMs, 'options.deadlineMs');
    if (this.closed) throw this.#closedError();
    let woken = false;
    let kick: (() => void) | null = null;
    const id0 = this.#authenticate(key);
    const subscription: Subscription = this.#notifier.subject.subscribe((wake) => {
      if (wake === null || (id0 !== null && wake === id0.keyId)) {
        woken = true;
        kick?.();
      }
    });
    try {
      if (id0 === null) throw unknownOrRevoked();
      const id = id0;
      this.#command((tx) => ensurePendingTx(this.#awaits, tx, id));
      let interval = POLL_START_MS;
      let deadlineReached = false;
      for (;;) {
        if (stop?.aborted) throw stop.reason;
        woken = false;
        const seen = this.#dataVersion();
        const terminal = this.#read(() => this.#inspect(id));
        if (terminal !== null) return terminal;
        if (signal?.aborted) {
          if (id.turnControl)
            throw new EffectHostError(
              'TurnControlWaitCancelled',
              'turn-control waiter stopped without resolving its keyed promise',
            );
          this.resolve(key, { kind: 'cancelled' });
          continue;
        }
        if (deadlineMs !== null && (deadlineReached || monotonicNow(this.clock) >= deadlineMs)) {
          if (id.turnControl)
            throw new EffectHostError(
              'TurnControlWaitTimeout',
              'turn-control waiter timed out without resolving its keyed promise',
            );
          this.resolve(key, { kind: 'timeout' });
          continue;
        }
        // Stay in the race until something says the row may have changed.
        for (;;) {
          const why = await this.#race(
            () => woken,
            (fn) => {
              kick = fn;
            },
            signal,
            deadlineMs,
            interval,
            stop,
          );
          kick = null;
          if (why === 'closed') throw this.#closedError();
          if (why === 'stop') throw stop?.reason;
          if (why === 'wake') {
            interval = POLL_START_MS;
            break;
          }
          if (why === 'abort') break;
          if (why === 'deadline') {
            deadlineReached = true;
            break;
          }
          const now = this.#dataVersion();
          interval = Math.min(interval * 2, POLL_CAP_MS);
          if (now !== seen) break;
        }
      }
    } finally {
      subscription.unsubscribe();
    }
  }

  /** Waits for the first of: a wake, the poll timer, the signal, the deadline, close, stop. */
  #race(
    wokenAlready: () => boolean,
    setKick: (fn: () => void) => void,
    signal: AbortSignal | null,
    deadlineMs: number | null,
    interval: number,
    stop: AbortSignal | undefined,
  ): Promise<'wake' | 'timer' | 'abort' | 'deadline' | 'closed' | 'stop'> {
    if (this.#closing.signal.aborted) return Promise.resolve('closed');
    if (stop?.aborted) return Promise.resolve('stop');
    if (wokenAlready()) return Promise.resolve('wake');
    const timers = new AbortController();
    return new Promise((resolve) => {
      let settled = false;
      const listeners: Array<[AbortSignal, () => void]> = [];
      const done = (why: 'wake' | 'timer' | 'abort' | 'deadline' | 'closed' | 'stop') => {
        if (settled) return;
        settled = true;
        timers.abort(STOPPED);
        for (const [s, fn] of listeners) s.removeEventListener('abort', fn);
        resolve(why);
      };
      const on = (s: AbortSignal, why: 'abort' | 'closed' | 'stop') => {
        const fn = () => done(why);
        listeners.push([s, fn]);
        s.addEventListener('abort', fn, { once: true });
      };
      setKick(() => done('wake'));
      on(this.#closing.signal, 'closed');
      if (stop) on(stop, 'stop');
      if (signal) on(signal, 'abort');
      sleepOn(this.clock, interval, timers.signal).then(
        () => done('timer'),
        () => undefined,
      );
      if (deadlineMs !== null) {
        sleepFor(this.clock, deadlineMs - monotonicNow(this.clock), timers.signal).then(
          () => done('deadline'),
          () => undefined,
        );
      }
    });
  }

  /** §4.4.5: permanent revocation of a session's promises; wakes every waiter. */
  revoke(sessionId: unknown): void {
    const s = this.#sessionIdInput(sessionId);
    this.#command((tx) => revokeTx(this.#awaits, tx, s));
    this.#publish(null);
  }

  /** §4.4.6: resolves the session's pending ordinary waits with `cancelled`; wakes every waiter. */
  cancelSweep(sessionId: unknown): void {
    const s = this.#sessionIdInput(sessionId);
    this.#command((tx) => cancelSweepTx(this.#awaits, tx, s));
    this.#publish(null);
  }

  #sessionIdInput(value: unknown): string {
    if (value !== undefined && value !== null && typeof value !== 'string')
      throw invalidArgument(EffectHostError, 'sessionId', 'a string');
    if (typeof value !== 'string' || value.trim() === '') {
      throw new EffectHostError('InvalidAwaitEventSessionId', 'await-event session id must be non-empty');
    }
    return value;
  }

  // ------------------------------------------------------------------ journal (§3.4.4)

  /** `overrideEffectLease` (testing): rewrites the lease of every `in_progress` row with `replayKey`. */
  overrideLease(
    replayKey: string,
    lease: { ownerId: string | null; leaseToken: string | null; leaseExpiresAtMs: number },
  ): number {
    return this.#command((tx) => overrideLeaseTx(this.#journal, tx, replayKey, lease));
  }

  #nextToken(): string {
    this.#tokens++;
    return `${this.ownerId}:${this.#tokens}`;
  }

  /** `executeEffect` of a controller bound to `binding`. */
  async execute(
    binding: ScopeBinding,
    envelope: RuntimeEffectEnvelope,
    localExecutor: RuntimeEffectLocalExecutor,
    options: ExecuteEffectOptions | undefined,
  ): Promise<RuntimeEffectOutcome> {
    if (this.closed) throw this.#closedError();
    const validated = validateRuntimeEffectEnvelope(envelope);
    const canonical = canonicalizeRuntimeEffectEnvelope(validated.envelope);
    const executor = checkExecutor(localExecutor);
    const sink = options?.diffTraceSink ?? null;
    if (sink !== null && typeof sink !== 'function')
      throw invalidArgument(EffectHostError, 'options.diffTraceSink', 'a function');
    for (;;) {
      const prepared: PrepareResult = this.#command((tx) =>
        prepareTx(this.#journal, tx, {
          scopeKey: binding.scopeKey,
          scopeId: binding.scopeId,
          replayKey: validated.replayKey,
          canonical,
          ownerId: this.ownerId,
          leaseToken: this.#nextToken(),
          ttlMs: this.ttlMs,
          sleepMs: validated.sleepMs,
          replayMode: this.#replayMode,
        }),
      );
      switch (prepared.kind) {
        case 'mismatch':
          validateReplayedEffectEnvelope(prepared.stored, canonical, 'EffectReplayHashConflict', sink);
          throw new EffectHostError(
            'RuntimeEffectEnvelopeCanonicalHashInvariant',
            `stored envelope_hash ${prepared.columnHash} did not match the persisted canonical envelope hash ${prepared.stored.hash}`,
          );
        case 'replayOutcome':
          if (prepared.dueAtMs !== null) await this.#sleepUntil(prepared.dueAtMs);
          return prepared.outcome as RuntimeEffectOutcome;
        case 'replayError':
          throw rethrowable(prepared.error);
        case 'busy': {
          const now = this.clock.timestampMs();
          const wait = prepared.retryAt <= now ? BUSY_RETRY_MS : Math.min(prepared.retryAt - now, BUSY_RETRY_MS);
          await this.#sleep(wait);
          continue;
        }
        case 'claimed':
          return this.#runClaimed(prepared.claim, validated, executor);
      }
    }
  }

  async #sleep(ms: number): Promise<void> {
    try {
      await sleepFor(this.clock, ms, this.#closing.signal);
    } catch {
      throw this.#closedError();
    }
  }

  async #sleepUntil(dueAtMs: number): Promise<void> {
    try {
      await sleepUntil(this.clock, dueAtMs, this.#closing.signal);
    } catch {
      throw this.#closedError();
    }
  }

  /** Step 3 and Step 4 for a claim this host holds. */
  async #runClaimed(
    claim: Claim,
    validated: ValidatedEnvelope,
    executor: RuntimeEffectLocalExecutor,
  ): Promise<RuntimeEffectOutcome> {
    const execution = new AbortController();
    const renewal = new AbortController();
    const step = this.#runCommand(claim, validated, executor, execution.signal).then(
      (outcome): StepResult => ({ ok: true, outcome }),
      (error: unknown): StepResult => ({ ok: false, error }),
    );
    const lost = this.#renewLoop(claim, renewal.signal);
    let onClose: (() => void) | null = null;
    const closed = new Promise<'closed'>((resolve) => {
      onClose = () => resolve('closed');
      if (this.#closing.signal.aborted) resolve('closed');
      else this.#closing.signal.addEventListener('abort', onClose, { once: true });
    });
    const first = await Promise.race([
      step.then((r) => ({ kind: 'step' as const, result: r })),
      lost.then((error) => (error ? { kind: 'lost' as const, error } : new Promise<never>(() => undefined))),
      closed,
    ]);
    renewal.abort(STOPPED);
    if (onClose) this.#closing.signal.removeEventListener('abort', onClose);
    if (first === 'closed' || this.closed) {
      const error = this.#closedError();
      execution.abort(error);
      throw error;
    }
    let result: StepResult;
    if (first.kind === 'lost') {
      execution.abort(first.error);
      result = { ok: false, error: first.error };
    } else {
      result = first.result;
    }
    return this.#settle(claim, result);
  }

  /** Step 4: RELEASE for "could not run" errors, FINALIZE otherwise. */
  #settle(claim: Claim, result: StepResult): RuntimeEffectOutcome {
    if (!result.ok && isLashStoreError(result.error) && RELEASE_CODES.has(result.error.code)) {
      this.#command((tx) => releaseTx(this.#journal, tx, claim));
      throw result.error;
    }
    if (result.ok) {
      const outcome = storedJson(result.outcome, 'runtime effect outcome', 'outcome');
      const outcomeJson = canonicalJson(outcome);
      this.#command((tx) => finalizeTx(this.#journal, tx, claim, { ok: true, outcomeJson }));
      return outcome as RuntimeEffectOutcome;
    }
    const recorded = recordedErrorOf(result.error);
    const errorJson = canonicalJson(storedJson(recorded, 'runtime effect error', 'error'));
    this.#command((tx) => finalizeTx(this.#journal, tx, claim, { ok: false, errorJson }));
    throw rethrowable(recorded, result.error);
  }

  /**
   * RENEW every `renewIntervalMs` until stopped. Resolves with `EffectReplayLeaseLost` when a renewal
   * finds the claim gone, or null when stopped. A renewal that fails in the driver (e.g. BUSY past
   * the timeout) is retried at the next interval: only the row can say the claim is lost.
   */
  async #renewLoop(claim: Claim, stop: AbortSignal): Promise<EffectHostError | null> {
    for (;;) {
      try {
        await sleepFor(this.clock, this.renewIntervalMs, stop);
      } catch {
        return null;
      }
      if (stop.aborted || this.closed) return null;
      let held: boolean;
      try {
        held = this.#command((tx) => renewTx(this.#journal, tx, claim, this.ttlMs));
      } catch {
        continue;
      }
      if (!held) return leaseLost(claim, 'renewal');
    }
  }

  /** Step 3a: runs one command with the executor the caller passed. */
  async #runCommand(
    claim: Claim,
    v: ValidatedEnvelope,
    executor: RuntimeEffectLocalExecutor,
    signal: AbortSignal,
  ): Promise<JsonValue> {
    const command = v.envelope.command as unknown as Record<string, unknown>;
    switch (v.kind) {
      case 'sleep':
        await sleepUntil(this.clock, claim.dueAtMs ?? this.clock.timestampMs(), signal);
        return { kind: 'sleep' };
      case 'peekAwaitEvent':
        return { kind: 'peekAwaitEvent', resolution: this.peek(command.key) as JsonValue };
      case 'awaitEvent': {
        const options: AwaitEventWaitOptions =
          executor.kind === 'awaitEvent' ? { signal: executor.signal ?? null, deadlineMs: executor.deadlineMs ?? null } : {};
        return { kind: 'awaitEvent', resolution: (await this.await(command.key, options, signal)) as JsonValue };
      }
      case 'process':
        if (executor.kind !== 'processes') throw unavailable('no process executor is available for process command');
        return { kind: 'process', result: await executor.run(command.command as JsonValue, signal) };
      case 'trigger':
        if (executor.kind === 'triggers') {
          const result = await executor.store.executeCommand(v.effectId, command.command as TriggerCommand);
          return { kind: 'trigger', result: result as unknown as JsonValue };
        }
        if (executor.kind === 'function') return (await executor.run(v.envelope, signal)) as JsonValue;
        throw unavailable('no trigger executor is available for trigger command');
      default:
        switch (executor.kind) {
          case 'function':
            return (await executor.run(v.envelope, signal)) as JsonValue;
          case 'unavailable':
            throw unavailable(`no local executor is available for ${v.kind}`);
          case 'awaitEvent':
            throw mismatch(`local await-event options cannot execute ${v.kind} command directly`);
          case 'processes':
            throw mismatch(`process executor cannot execute ${v.kind} command directly`);
          case 'triggers':
            throw mismatch(`trigger executor cannot execute ${v.kind} command directly`);
        }
    }
  }
}
