/**
 * Scaffolding shared by the workload modules that keep one database (process registry, effect host,
 * trigger store): the child's archived compaction step, and a verifier that reopens the database
 * after every round, checks it through `DatabaseWatch`, proves each acknowledged operation, retries
 * each in-flight one and keeps the acknowledged operations for the final check. A module supplies
 * only what is specific to its store.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isLashStoreError } from '../errors.js';
import type { CompactOptions, CompactReport } from '../events/types.js';
import { DatabaseWatch, type HistoryEvent, type LogHandle } from './history.js';
import type { ChildContext, Findings, ModuleVerifier, OpRecord, RecoveryContext, RetryOutcome, VerifierSetup } from './module.js';

/** A handle that can compact its log. */
export interface CompactableHandle extends LogHandle {
  compactEventLog(options: CompactOptions): Promise<CompactReport>;
}

/** Finds a reported operation by id. */
export type OpLookup = (id: string) => OpRecord | undefined;

/** How recovery resolved an in-flight operation (see `InFlightResolution`). */
export interface RetryResult {
  committedBeforeKill: boolean | null;
  outcome: RetryOutcome;
  /** The acknowledged result of the retry, kept for the final check like any acknowledged operation. */
  result?: unknown;
  /** The arguments the retry used, when they differ from the original's. */
  args?: unknown;
}

/** Child side: compacts through a seeded point just behind the log's end, archiving first. */
export async function compactionStep(
  ctx: ChildContext,
  module: string,
  db: string,
  handle: CompactableHandle,
  archiveDir: string,
  cursor: { seq: number },
): Promise<void> {
  const recent = await handle.readEvents({ afterSeq: cursor.seq });
  const last = recent.at(-1);
  if (last) cursor.seq = last.seq;
  if (cursor.seq === 0) return;
  const id = ctx.nextOpId();
  const args = { throughSeq: Math.max(1, cursor.seq - ctx.rng.int(20)), archivePath: join(archiveDir, `${id}.ndjson`) };
  await ctx.run({
    id,
    module,
    db,
    op: 'compact',
    args,
    exec: () => handle.compactEventLog(args),
    summarize: (r) => r,
    expectedError: (e) => isLashStoreError(e, 'Backend') && String(e.detail).startsWith('concurrent compaction'),
  });
}

/** What a single-database module supplies to the shared verifier. */
export interface SingleDbHooks<H extends CompactableHandle> {
  readonly module: string;
  /** The database's name in findings, relative to the campaign folder. */
  readonly label: string;
  readonly path: string;
  readonly archiveDir: string;
  open(): Promise<H>;
  /** Folds new events (in order) into the module's index; checks multi-event operations are whole. */
  ingest(events: readonly HistoryEvent[], lookup: OpLookup): void;
  /** Proves an acknowledged operation is in the data (`lost` when not). */
  checkAcked(handle: H, op: OpRecord, lost: (what: string) => void): Promise<void>;
  /** Decides whether an in-flight operation had committed, retries it, and checks the spec's outcome. */
  retry(handle: H, op: OpRecord, ctx: RecoveryContext, bad: (what: string) => void): Promise<RetryResult>;
  /** Runs after the retries, on the same handle (dead-holder reclaims, feed checks, …). */
  afterRetries?(handle: H, ctx: RecoveryContext): Promise<void>;
  /** Closes anything the hooks opened (long-lived subscriptions). */
  close?(): Promise<void>;
}

function describe(error: unknown): string {
  if (isLashStoreError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

class SingleDbVerifier<H extends CompactableHandle> implements ModuleVerifier {
  #ops = new Map<string, OpRecord>();
  #previousOps = new Map<string, OpRecord>();
  readonly #acknowledged: OpRecord[] = [];

  constructor(
    readonly hooks: SingleDbHooks<H>,
    readonly watch: DatabaseWatch,
    readonly findings: Findings,
  ) {}

  #lookup(): OpLookup {
    const ops = this.#ops;
    const previous = this.#previousOps;
    return (id) => ops.get(id) ?? previous.get(id);
  }

  async #reopen(): Promise<H | null> {
    try {
      return await this.hooks.open();
    } catch (error) {
      this.findings.divergence(`${this.hooks.label}: cannot reopen after the crash: ${describe(error)}`);
      return null;
    }
  }

  async recover(ctx: RecoveryContext): Promise<void> {
    this.#previousOps = this.#ops;
    this.#ops = new Map();
    const mine = ctx.ops.filter((op) => op.module === this.hooks.module);
    for (const op of mine) this.#ops.set(op.id, op);
    const handle = await this.#reopen();
    if (!handle) return;
    try {
      this.hooks.ingest(await this.watch.check(handle), this.#lookup());
      for (const op of mine) {
        if (op.status !== 'acked') continue;
        await this.#checkAcked(handle, op);
        this.#acknowledged.push(op);
      }
      for (const op of mine) if (op.status === 'begun') await this.#retry(handle, op, ctx);
      await this.hooks.afterRetries?.(handle, ctx);
      ctx.findings.count('recoveries.databases');
    } catch (error) {
      this.findings.divergence(`${this.hooks.label}: recovery failed: ${describe(error)}`);
    } finally {
      await handle.close();
    }
  }

  async #checkAcked(handle: H, op: OpRecord): Promise<void> {
    const lost = (what: string) => this.findings.lost(`${this.hooks.label}: acknowledged ${op.op} ${op.id}: ${what}`);
    try {
      if (op.op === 'compact') {
        const r = op.result as CompactReport;
        if (r.deletedEventCount > 0 && this.watch.compactedThrough < r.snapshotSeq)
          lost(`compaction through ${r.snapshotSeq} is not recorded`);
        return;
      }
      await this.hooks.checkAcked(handle, op, lost);
    } catch (error) {
      lost(`checking it failed: ${describe(error)}`);
    }
  }

  async #retry(handle: H, op: OpRecord, ctx: RecoveryContext): Promise<void> {
    const bad = (what: string) => this.findings.divergence(`${this.hooks.label}: retry of in-flight ${op.op} ${op.id}: ${what}`);
    try {
      const r = op.op === 'compact' ? await this.#retryCompaction(handle, op, bad) : await this.hooks.retry(handle, op, ctx, bad);
      ctx.findings.count(`retries.${r.outcome}`);
      ctx.resolved({ op, committedBeforeKill: r.committedBeforeKill, outcome: r.outcome });
      if (r.result !== undefined) {
        const record: OpRecord = {
          ...op,
          id: `${op.id}/retry`,
          args: r.args ?? op.args,
          status: 'acked',
          result: r.result,
          byParent: true,
        };
        ctx.record(record);
        this.#acknowledged.push(record);
      }
    } catch (error) {
      bad(`unexpected ${describe(error)}`);
    }
  }

  async #retryCompaction(handle: H, op: OpRecord, bad: (what: string) => void): Promise<RetryResult> {
    const args = op.args as { throughSeq: number; archivePath: string };
    const before = this.watch.hasCommittedArchive(args.archivePath)
      ? true
      : this.watch.compactedThrough >= args.throughSeq
        ? null
        : false;
    const retryArgs = { throughSeq: args.throughSeq, archivePath: `${args.archivePath}.retry.ndjson` };
    mkdirSync(dirname(retryArgs.archivePath), { recursive: true });
    const report = await handle.compactEventLog(retryArgs);
    if (report.snapshotSeq < args.throughSeq) bad(`snapshot ${report.snapshotSeq} is before ${args.throughSeq}`);
    if (before !== false && report.deletedEventCount > 0) bad('the compaction had committed, yet the retry deleted events again');
    if (before === false && report.deletedEventCount === 0)
      bad('the compaction had not committed, yet the retry deleted nothing');
    return {
      committedBeforeKill: before,
      outcome: report.deletedEventCount === 0 ? 'idempotent' : 'committed',
      result: report,
      args: retryArgs,
    };
  }

  async finalCheck(ctx: RecoveryContext): Promise<void> {
    const handle = await this.#reopen();
    if (!handle) return;
    try {
      this.hooks.ingest(await this.watch.check(handle, { fullIntegrity: true }), this.#lookup());
      for (const op of this.#acknowledged) await this.#checkAcked(handle, op);
      await this.hooks.afterRetries?.(handle, ctx);
      const stats = this.watch.feedStats();
      ctx.findings.count('events.delivered', stats.delivered);
      ctx.findings.count('events.compactedBeforeDelivery', stats.skippedCompacted);
      ctx.findings.count('events.total', this.watch.lastSeq);
      ctx.findings.count('events.compacted', this.watch.compactedThrough);
    } finally {
      await handle.close();
    }
  }

  async close(): Promise<void> {
    await this.hooks.close?.();
    await this.watch.close();
  }
}

/** Creates the database (through the feed handle), subscribes to its `events$`, returns the verifier. */
export async function openSingleDbVerifier<H extends CompactableHandle>(
  hooks: SingleDbHooks<H>,
  setup: VerifierSetup,
): Promise<ModuleVerifier> {
  mkdirSync(dirname(hooks.path), { recursive: true });
  mkdirSync(hooks.archiveDir, { recursive: true });
  const watch = new DatabaseWatch(hooks.label, hooks.path, hooks.archiveDir, setup.findings);
  await watch.start(() => hooks.open());
  return new SingleDbVerifier(hooks, watch, setup.findings);
}
