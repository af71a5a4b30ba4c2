/**
 * The trigger store's crash workload. Child side: subscription mutations under operation ids
 * (register, enable, disable, delete — conflicts included, they are receipted too), occurrence
 * ingest (new and repeated idempotency keys) and archived compactions. Parent side: every
 * acknowledged mutation replays its receipt verbatim; every acknowledged occurrence replays with the
 * same deliveries, all of which are stored (an occurrence and its deliveries commit together); an
 * in-flight mutation or ingest retries to the stored result when the history shows it committed,
 * and commits otherwise.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TRIGGER_MUTATION_RECEIPT_RECORDED, TRIGGER_OCCURRENCE_RECORDED } from '../projections/trigger/events.js';
import { SqliteTriggerStore } from '../stores/trigger-store.js';
import { triggerOperationReceiptId } from '../triggers/identity.js';
import type {
  TriggerCommand,
  TriggerEffectResult,
  TriggerIngressResult,
  TriggerOccurrenceRequest,
  TriggerOwnerScope,
  TriggerSubscriptionDraft,
} from '../types/trigger.js';
import type { HistoryEvent } from './history.js';
import type { ChildContext, ChildWorkload, OpRecord, RecoveryContext, WorkloadModule } from './module.js';
import { sameJson } from './protocol.js';
import { compactionStep, openSingleDbVerifier, type RetryResult, type SingleDbHooks } from './single-db.js';

/** The module name in reports and messages. */
export const TRIGGER_MODULE = 'trigger';
const DB = 'triggers';
const OWNER: TriggerOwnerScope = { kind: 'session', sessionId: 'crash' };
const KEYS = ['sub-a', 'sub-b', 'sub-c', 'sub-d'];
const SOURCES = ['feed-1', 'feed-2'];

function triggerPath(dir: string): string {
  return join(dir, 'triggers', 'triggers.db');
}
function archiveDir(dir: string): string {
  return join(dir, 'archives', 'triggers');
}

function draft(subscriptionKey: string, sourceKey: string): TriggerSubscriptionDraft {
  return {
    subscriptionKey,
    envRef: 'crash-env',
    sourceType: 'crash',
    sourceKey,
    payloadSchema: {},
    target: { kind: 'external', metadata: null },
    targetIdentity: { kind: 'crash' },
  };
}

interface CommandArgs {
  operationId: string;
  command: TriggerCommand;
}

function summarizeIngress(r: TriggerIngressResult): unknown {
  return {
    occurrenceId: r.occurrence.occurrenceId,
    occurredAtMs: r.occurrence.occurredAtMs,
    subscriptionIds: r.reservations.map((d) => d.subscription.subscriptionId).sort(),
  };
}

class TriggerChild implements ChildWorkload {
  readonly weight = 0.3;
  readonly #ingested: TriggerOccurrenceRequest[] = [];
  readonly #cursor = { seq: 0 };

  constructor(
    private readonly ctx: ChildContext,
    private readonly store: SqliteTriggerStore,
    private readonly archives: string,
  ) {}

  async step(): Promise<void> {
    const { ctx } = this;
    const op = ctx.rng.weighted({ mutate: 4, ingest: 5, compact: ctx.focus.has('compaction') ? 10 : 0.3 });
    if (op === 'compact') return compactionStep(ctx, TRIGGER_MODULE, DB, this.store, this.archives, this.#cursor);
    if (op === 'ingest') return this.#ingest();
    return this.#mutate();
  }

  async #mutate(): Promise<void> {
    const { ctx } = this;
    const id = ctx.nextOpId();
    const key = ctx.rng.pick(KEYS);
    const actor = { kind: 'host' as const, scope: null };
    const kind = ctx.rng.weighted({ register: 4, enable: 2, disable: 2, delete: 1, revive: 1 });
    let command: TriggerCommand;
    if (kind === 'register') {
      command = { kind: 'register', ownerScope: OWNER, actor, draft: draft(key, ctx.rng.pick(SOURCES)) };
    } else {
      // Read the current revision (a stale one makes a receipted conflict, which is fine too).
      const listing = await this.store.listSubscriptions({ subscriptionKey: key, registrantScopeId: 'session:crash' });
      const revision = listing.records[0]?.revision ?? ctx.rng.between(1, 3);
      command =
        kind === 'revive'
          ? {
              kind: 'revive',
              ownerScope: OWNER,
              actor,
              subscriptionKey: key,
              draft: draft(key, ctx.rng.pick(SOURCES)),
              expectedRevision: revision,
            }
          : { kind, ownerScope: OWNER, actor, subscriptionKey: key, expectedRevision: revision };
    }
    const args: CommandArgs = { operationId: id, command };
    await ctx.run({
      id,
      module: TRIGGER_MODULE,
      db: DB,
      op: 'command',
      args,
      exec: () => this.store.executeCommand(args.operationId, args.command),
      summarize: (r: TriggerEffectResult) => r,
    });
  }

  async #ingest(): Promise<void> {
    const { ctx } = this;
    const id = ctx.nextOpId();
    const again = this.#ingested.length > 0 && ctx.rng.chance(0.15);
    const request: TriggerOccurrenceRequest = again
      ? ctx.rng.pick(this.#ingested)
      : { sourceType: 'crash', sourceKey: ctx.rng.pick(SOURCES), idempotencyKey: id, payload: { n: ctx.rng.int(1000) } };
    const outcome = await ctx.run({
      id,
      module: TRIGGER_MODULE,
      db: DB,
      op: 'ingest',
      args: request,
      exec: () => this.store.ingestOccurrence(request),
      summarize: summarizeIngress,
    });
    if (outcome.ok && !again) this.#ingested.push(request);
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

class TriggerHooks implements SingleDbHooks<SqliteTriggerStore> {
  readonly module = TRIGGER_MODULE;
  readonly label = 'triggers/triggers.db';
  readonly path: string;
  readonly archiveDir: string;
  readonly #receipts = new Set<string>();
  readonly #occurrences = new Set<string>();

  constructor(dir: string) {
    this.path = triggerPath(dir);
    this.archiveDir = archiveDir(dir);
  }

  open(): Promise<SqliteTriggerStore> {
    return SqliteTriggerStore.open(this.path);
  }

  ingest(events: readonly HistoryEvent[]): void {
    for (const event of events) {
      const d = event.data as Record<string, unknown>;
      if (event.type === TRIGGER_MUTATION_RECEIPT_RECORDED) this.#receipts.add(d.receiptId as string);
      else if (event.type === TRIGGER_OCCURRENCE_RECORDED)
        this.#occurrences.add((d.record as { idempotencyKey: string }).idempotencyKey);
    }
  }

  async checkAcked(store: SqliteTriggerStore, op: OpRecord, lost: (what: string) => void): Promise<void> {
    if (op.op === 'command') {
      const { operationId, command } = op.args as CommandArgs;
      if (command.kind !== 'list' && !this.#receipts.has(triggerOperationReceiptId(OWNER, operationId)))
        lost('its receipt is not in the log');
      else if (!sameJson(await store.executeCommand(operationId, command), op.result)) lost('the receipt replays another result');
    } else if (op.op === 'ingest') {
      const request = op.args as TriggerOccurrenceRequest;
      const acked = op.result as { occurrenceId: string; subscriptionIds: string[] };
      const replay = await store.ingestOccurrence(request);
      if (!sameJson(summarizeIngress(replay), acked)) lost('the occurrence replays differently');
      const stored = await store.listDeliveriesByOccurrenceId(acked.occurrenceId);
      if (stored.length !== acked.subscriptionIds.length)
        lost(`${stored.length} deliveries stored, ${acked.subscriptionIds.length} acknowledged`);
    }
  }

  async retry(store: SqliteTriggerStore, op: OpRecord, _ctx: RecoveryContext, bad: (what: string) => void): Promise<RetryResult> {
    if (op.op === 'command') {
      const { operationId, command } = op.args as CommandArgs;
      const before = this.#receipts.has(triggerOperationReceiptId(OWNER, operationId));
      const result = await store.executeCommand(operationId, command);
      if (!sameJson(await store.executeCommand(operationId, command), result)) bad('a second retry gave another result');
      return { committedBeforeKill: before, outcome: before ? 'replayed' : 'committed', result };
    }
    if (op.op === 'ingest') {
      const request = op.args as TriggerOccurrenceRequest;
      const before = this.#occurrences.has(request.idempotencyKey);
      const result = await store.ingestOccurrence(request);
      const fresh = result.reservations.some((r) => r.reservationStatus === 'reserved');
      if (before && fresh) bad('a stored occurrence reserved deliveries again');
      const own = request.idempotencyKey === op.id;
      return {
        committedBeforeKill: own ? before : before ? null : false,
        outcome: before ? 'replayed' : 'committed',
        result: summarizeIngress(result),
      };
    }
    return { committedBeforeKill: null, outcome: 'notRetried' };
  }
}

/** The trigger store's workload module. */
export const triggerWorkloadModule: WorkloadModule = {
  name: TRIGGER_MODULE,
  openVerifier: (setup) => openSingleDbVerifier(new TriggerHooks(setup.dir), setup),
  async openChild(ctx: ChildContext) {
    const archives = archiveDir(ctx.dir);
    mkdirSync(join(ctx.dir, 'triggers'), { recursive: true });
    mkdirSync(archives, { recursive: true });
    return new TriggerChild(ctx, await SqliteTriggerStore.open(triggerPath(ctx.dir)), archives);
  },
};
