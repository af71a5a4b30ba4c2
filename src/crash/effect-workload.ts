/**
 * The effect host's crash workload. Child side: journaled `durableStep` effects whose local executor
 * takes a few milliseconds (so kills land between claim and finalize), re-executions of earlier keys
 * (replays), keyed-promise resolutions (first writer wins) and archived compactions. Parent side:
 * every acknowledged effect replays to its acknowledged outcome without running anything; every
 * acknowledged resolution is the stored terminal; an in-flight effect is re-driven — it replays if it
 * had completed, otherwise it waits out the killed claimant's short TTL (the journal has no
 * dead-holder fast path, 40-effects-triggers §3.4.4) and runs; an in-flight resolution retries as
 * `accepted` or `alreadyResolved` exactly as the history says.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AWAIT_EVENT_RESOLVED, EFFECT_COMPLETED } from '../projections/effect/events.js';
import { SqliteEffectHost } from '../stores/effect-host.js';
import type {
  ExecutionScope,
  Resolution,
  ResolveOutcome,
  RuntimeEffectEnvelope,
  RuntimeEffectLocalExecutor,
  RuntimeEffectOutcome,
} from '../types/effect.js';
import type { HistoryEvent } from './history.js';
import type { ChildContext, ChildWorkload, OpRecord, RecoveryContext, WorkloadModule } from './module.js';
import { sameJson } from './protocol.js';
import { compactionStep, openSingleDbVerifier, type RetryResult, type SingleDbHooks } from './single-db.js';

/** The module name in reports and messages. */
export const EFFECT_MODULE = 'effect';
const DB = 'effects';
/** Short journal leases: a killed claimant's row is reclaimable after this, and recovery waits for it. */
const LEASE_TIMINGS = { ttlMs: 600, renewIntervalMs: 200 };
const SCOPE: ExecutionScope = { kind: 'runtimeOperation', operationId: 'crash-campaign' };

function effectPath(dir: string): string {
  return join(dir, 'effects', 'effects.db');
}
function archiveDir(dir: string): string {
  return join(dir, 'archives', 'effects');
}

/** The envelope of journal key `key` (a function of the key and input, so a retry is identical). */
export function crashEnvelope(key: string, input: number): RuntimeEffectEnvelope {
  return {
    invocation: {
      scope: { sessionId: 'crash' },
      subject: { kind: 'effect', effectId: key, effectKind: 'durableStep' },
      replay: { key },
    },
    command: { kind: 'durableStep', stepId: key, input: { input } },
  };
}

function openHost(dir: string): Promise<SqliteEffectHost> {
  return SqliteEffectHost.open(effectPath(dir), { leaseTimings: LEASE_TIMINGS });
}

interface EffectArgs {
  key: string;
  input: number;
}
interface ResolveArgs {
  wait: string;
  resolution: Resolution;
}

class EffectChild implements ChildWorkload {
  readonly weight = 0.3;
  readonly #keys: EffectArgs[] = [];
  readonly #waits: string[] = [];
  readonly #cursor = { seq: 0 };

  constructor(
    private readonly ctx: ChildContext,
    private readonly host: SqliteEffectHost,
    private readonly archives: string,
  ) {}

  async step(): Promise<void> {
    const { ctx } = this;
    const op = ctx.rng.weighted({ effect: 6, resolve: 3, compact: ctx.focus.has('compaction') ? 10 : 0.3 });
    if (op === 'compact') return compactionStep(ctx, EFFECT_MODULE, DB, this.host, this.archives, this.#cursor);
    if (op === 'resolve') return this.#resolve();
    return this.#effect();
  }

  async #effect(): Promise<void> {
    const { ctx } = this;
    const id = ctx.nextOpId();
    const again = this.#keys.length > 0 && ctx.rng.chance(0.15);
    const args: EffectArgs = again ? ctx.rng.pick(this.#keys) : { key: id, input: ctx.rng.int(1e6) };
    const work = ctx.rng.int(4);
    const value = ctx.rng.int(1e9);
    const executor: RuntimeEffectLocalExecutor = {
      kind: 'function',
      run: async () => {
        if (work > 0) await new Promise((resolve) => setTimeout(resolve, work));
        return { kind: 'durableStep', value, op: id };
      },
    };
    const outcome = await ctx.run({
      id,
      module: EFFECT_MODULE,
      db: DB,
      op: 'effect',
      args,
      exec: () => this.host.scoped(SCOPE).controller.executeEffect(crashEnvelope(args.key, args.input), executor),
      summarize: (o: RuntimeEffectOutcome) => o,
    });
    if (outcome.ok && !again) this.#keys.push(args);
  }

  async #resolve(): Promise<void> {
    const { ctx } = this;
    const id = ctx.nextOpId();
    const again = this.#waits.length > 0 && ctx.rng.chance(0.3);
    const wait = again ? ctx.rng.pick(this.#waits) : id;
    const args: ResolveArgs = { wait, resolution: { kind: 'ok', payload: { op: id } } };
    const key = await this.host.awaitEventKey(SCOPE, { kind: 'custom', key: wait });
    const outcome = await ctx.run({
      id,
      module: EFFECT_MODULE,
      db: DB,
      op: 'resolve',
      args,
      exec: () => this.host.resolveAwaitEvent(key, args.resolution),
      summarize: (o: ResolveOutcome) => o,
    });
    if (outcome.ok && !again) this.#waits.push(wait);
  }

  async close(): Promise<void> {
    await this.host.close();
  }
}

class EffectHooks implements SingleDbHooks<SqliteEffectHost> {
  readonly module = EFFECT_MODULE;
  readonly label = 'effects/effects.db';
  readonly path: string;
  readonly archiveDir: string;
  /** Replay key → stored outcome JSON; await key id → stored terminal JSON. */
  readonly #completed = new Map<string, string>();
  readonly #resolved = new Map<string, string>();

  constructor(readonly dir: string) {
    this.path = effectPath(dir);
    this.archiveDir = archiveDir(dir);
  }

  open(): Promise<SqliteEffectHost> {
    return openHost(this.dir);
  }

  ingest(events: readonly HistoryEvent[]): void {
    for (const event of events) {
      const d = event.data as Record<string, unknown>;
      if (event.type === EFFECT_COMPLETED) this.#completed.set(d.replayKey as string, d.outcomeJson as string);
      else if (event.type === AWAIT_EVENT_RESOLVED) this.#resolved.set(d.keyId as string, d.terminalJson as string);
    }
  }

  async checkAcked(host: SqliteEffectHost, op: OpRecord, lost: (what: string) => void): Promise<void> {
    if (op.op === 'effect') {
      const { key, input } = op.args as EffectArgs;
      // Replays only: an executor that cannot run proves the outcome comes from the journal.
      const replayed = await host.scoped(SCOPE).controller.executeEffect(crashEnvelope(key, input), { kind: 'unavailable' });
      if (!sameJson(replayed, op.result)) lost('the journal replays a different outcome');
    } else if (op.op === 'resolve') {
      const { wait, resolution } = op.args as ResolveArgs;
      const stored = await host.peekAwaitEvent(await host.awaitEventKey(SCOPE, { kind: 'custom', key: wait }));
      const outcome = op.result as ResolveOutcome;
      if (stored === null) lost('the promise is unresolved');
      else if (outcome.kind === 'accepted' && !sameJson(stored, resolution)) lost('the stored terminal is not the accepted one');
      else if (outcome.kind === 'alreadyResolved' && !sameJson(stored, outcome.terminal)) lost('the stored terminal changed');
    }
  }

  async retry(host: SqliteEffectHost, op: OpRecord, _ctx: RecoveryContext, bad: (what: string) => void): Promise<RetryResult> {
    if (op.op === 'effect') {
      const { key, input } = op.args as EffectArgs;
      const stored = this.#completed.get(key);
      const executor: RuntimeEffectLocalExecutor = {
        kind: 'function',
        run: async () => ({ kind: 'durableStep', value: 'retried' }),
      };
      // An unfinished claim of the killed child blocks until its short TTL runs out; then the retry runs.
      const outcome = await host.scoped(SCOPE).controller.executeEffect(crashEnvelope(key, input), executor);
      if (stored !== undefined && !sameJson(outcome, JSON.parse(stored))) bad('the replay returned another outcome');
      if (stored === undefined && !sameJson(outcome, { kind: 'durableStep', value: 'retried' }))
        bad('the retry did not run the effect');
      return {
        committedBeforeKill: stored !== undefined,
        outcome: stored !== undefined ? 'replayed' : 'committed',
        result: outcome,
      };
    }
    if (op.op === 'resolve') {
      const { wait, resolution } = op.args as ResolveArgs;
      const key = await host.awaitEventKey(SCOPE, { kind: 'custom', key: wait });
      const before = this.#resolved.has(key.keyId);
      const outcome = await host.resolveAwaitEvent(key, resolution);
      if (before && outcome.kind !== 'alreadyResolved') bad(`a resolved promise answered ${outcome.kind}`);
      if (!before && outcome.kind !== 'accepted') bad(`an unresolved promise answered ${outcome.kind}`);
      // Whether this very call had resolved it cannot be told when the wait was reused.
      const own = wait === op.id;
      return {
        committedBeforeKill: own ? before : before ? null : false,
        outcome: before ? 'idempotent' : 'committed',
        result: outcome,
      };
    }
    return { committedBeforeKill: null, outcome: 'notRetried' };
  }
}

/** The effect host's workload module. */
export const effectWorkloadModule: WorkloadModule = {
  name: EFFECT_MODULE,
  openVerifier: (setup) => openSingleDbVerifier(new EffectHooks(setup.dir), setup),
  async openChild(ctx) {
    const archives = archiveDir(ctx.dir);
    mkdirSync(join(ctx.dir, 'effects'), { recursive: true });
    mkdirSync(archives, { recursive: true });
    return new EffectChild(ctx, await openHost(ctx.dir), archives);
  },
};
