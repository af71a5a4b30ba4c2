/**
 * `SqliteTriggerStore`: the trigger database facade (40-effects-triggers §5). Each method validates
 * its input, reads the clock and draws its random values, then runs one synchronous command or read
 * on the engine.
 */

import { randomUUID } from 'node:crypto';
import { type Clock, systemClock } from '../clock.js';
import { DEFAULT_MAX_INFLATED_BLOB_BYTES } from '../codec.js';
import { executeMutationTx, type MutationCommand } from '../commands/trigger/execute-command.js';
import { ingestTx } from '../commands/trigger/ingest.js';
import { deleteSessionSubscriptionsTx, pruneMutationReceiptsTx } from '../commands/trigger/maintenance.js';
import { invalidArgument, TriggerStoreError } from '../errors.js';
import { EventSourcedDatabase } from '../events/database.js';
import { canonicalJson, sha256Hex } from '../json.js';
import { normalizeCount } from '../numbers.js';
import { listOccurrences, listSubscriptions, toReservations } from '../projections/trigger/queries.js';
import { TriggerReads, triggerProjections } from '../projections/trigger/tables.js';
import { type KindInfo, TRIGGER_APPLICATION_ID, TRIGGER_SCHEMA_VERSION } from '../sqlite/kinds.js';
import { type Db, openDatabase } from '../sqlite/open.js';
import { triggerOperationReceiptId, triggerOwnerNamespace } from '../triggers/identity.js';
import { commandInput, filterInput, occurrenceFilterInput, requestInput } from '../triggers/normalize.js';
import type { DurabilityTier } from '../types/common.js';
import type {
  TriggerCommand,
  TriggerDeliveryReservation,
  TriggerEffectResult,
  TriggerIngressResult,
  TriggerOccurrenceFilter,
  TriggerOccurrenceListing,
  TriggerOccurrenceRequest,
  TriggerSessionCleanupReport,
  TriggerStoreOptions,
  TriggerSubscriptionFilter,
  TriggerSubscriptionListing,
} from '../types/trigger.js';
import { EventLogFacade } from './event-log-facade.js';

/** The trigger database kind. */
export const TRIGGER_KIND: KindInfo = {
  kind: 'triggerStore',
  label: 'trigger store',
  schemaVersion: TRIGGER_SCHEMA_VERSION,
  applicationId: TRIGGER_APPLICATION_ID,
  ddlFolder: 'trigger',
  errorClass: TriggerStoreError,
};

function clockOption(options: TriggerStoreOptions | undefined): Clock {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw invalidArgument(TriggerStoreError, 'options', 'an object');
  }
  const clock = options?.clock ?? systemClock;
  if (typeof clock !== 'object' || clock === null || typeof clock.timestampMs !== 'function') {
    throw invalidArgument(TriggerStoreError, 'options.clock', 'a Clock');
  }
  return clock;
}

function stringInput(value: unknown, path: string): string {
  if (typeof value !== 'string') throw invalidArgument(TriggerStoreError, path, 'a string');
  return value;
}

function invalidResult(message: string): TriggerEffectResult {
  return { kind: 'err', error: { kind: 'invalid', message } };
}

function nonBlank(value: string, field: 'source_type' | 'source_key' | 'idempotency_key'): void {
  if (value.trim() === '') throw new TriggerStoreError('InvalidOccurrence', `trigger occurrence requires ${field}`);
}

/** Keyed, revisioned trigger subscriptions, idempotent occurrences and their delivery reservations. */
export class SqliteTriggerStore extends EventLogFacade {
  readonly #engine: EventSourcedDatabase;

  /** The engine behind the inherited event-log API. */
  protected eventLogEngine(): EventSourcedDatabase {
    return this.#engine;
  }
  readonly #reads: TriggerReads;
  readonly #tier: DurabilityTier;

  private constructor(db: Db, clock: Clock, tier: DurabilityTier) {
    super();
    this.#engine = new EventSourcedDatabase(db, TRIGGER_KIND, triggerProjections, {
      clock,
      maxInflatedBytes: DEFAULT_MAX_INFLATED_BLOB_BYTES,
    });
    this.#reads = new TriggerReads(db);
    this.#tier = tier;
  }

  /** Opens (creating if needed) the trigger database at `path`; its folder must exist. Tier `'durable'`. */
  static async open(path: string, options?: TriggerStoreOptions): Promise<SqliteTriggerStore> {
    if (typeof path !== 'string' || path === '' || path === ':memory:')
      throw invalidArgument(TriggerStoreError, 'path', 'a file path');
    const clock = clockOption(options);
    return new SqliteTriggerStore(await openDatabase(path, TRIGGER_KIND, { clock }), clock, 'durable');
  }

  /** An in-memory store whose data ends with the handle (tier `'inline'`). */
  static async memory(options?: TriggerStoreOptions): Promise<SqliteTriggerStore> {
    const clock = clockOption(options);
    return new SqliteTriggerStore(await openDatabase(':memory:', TRIGGER_KIND, { clock }), clock, 'inline');
  }

  /** Closes the connection; later calls reject with `Closed`. */
  async close(): Promise<void> {
    this.#engine.close();
  }

  /** `'durable'` for `open`, `'inline'` for `memory`. */
  durabilityTier(): DurabilityTier {
    return this.#tier;
  }

  /**
   * Runs a trigger command under a durable per-operation receipt: a replayed operation id returns
   * its historical result (`ok` or `err`); `list` is never receipted. Command failures are results.
   */
  async executeCommand(operationId: string, command: TriggerCommand): Promise<TriggerEffectResult> {
    return this.#engine.op(() => {
      const op = stringInput(operationId, 'operationId');
      if (op.trim() === '') return invalidResult('trigger operation id must be non-empty');
      const c = commandInput(command);
      if (c.ownerScope.kind === 'host' && c.ownerScope.bindingId.trim() === '') {
        return invalidResult('trigger host owner requires a non-empty binding id');
      }
      if (c.kind === 'list') {
        const filter = { ...c.filter, registrantScopeId: triggerOwnerNamespace(c.ownerScope) };
        const listing = this.#engine.read(() => listSubscriptions(this.#reads, filter));
        return {
          kind: 'ok',
          outcome: { kind: 'list', records: listing.records, skippedMalformedRows: listing.skippedMalformedRows },
        };
      }
      const input = {
        operationId: op,
        command: c as MutationCommand,
        receiptId: triggerOperationReceiptId(c.ownerScope, op),
        requestHash: sha256Hex(canonicalJson(c)),
        newIncarnation: randomUUID(),
      };
      return this.#engine.command((tx) => executeMutationTx(this.#reads, tx, input));
    });
  }

  /** Live (never tombstoned) subscriptions matching `filter`, by owner namespace then key. */
  async listSubscriptions(filter: TriggerSubscriptionFilter): Promise<TriggerSubscriptionListing> {
    return this.#engine.op(() => {
      const f = filterInput(filter);
      return this.#engine.read(() => listSubscriptions(this.#reads, f));
    });
  }

  /** Tombstones every live subscription a session owns (revision + 1, registrant kept). */
  async deleteSessionSubscriptions(sessionId: string): Promise<TriggerSessionCleanupReport> {
    return this.#engine.op(() => {
      const s = stringInput(sessionId, 'sessionId');
      return this.#engine.command((tx) => deleteSessionSubscriptionsTx(this.#reads, tx, s));
    });
  }

  /** Records an occurrence once per idempotency key and reserves its deliveries atomically. */
  async ingestOccurrence(request: TriggerOccurrenceRequest): Promise<TriggerIngressResult> {
    return this.#engine.op(() => {
      const r = requestInput(request);
      nonBlank(r.sourceType, 'source_type');
      nonBlank(r.sourceKey, 'source_key');
      nonBlank(r.idempotencyKey, 'idempotency_key');
      const input = {
        request: r,
        occurrenceId: `trigger:${sha256Hex(canonicalJson([r.sourceType, r.sourceKey, r.idempotencyKey]))}`,
        requestHash: sha256Hex(canonicalJson([r.sourceType, r.sourceKey, r.payload, r.source])),
      };
      return this.#engine.command((tx) => ingestTx(this.#reads, tx, input));
    });
  }

  /** Occurrences by time (start inclusive, end exclusive), then id. */
  async listOccurrences(filter: TriggerOccurrenceFilter): Promise<TriggerOccurrenceListing> {
    return this.#engine.op(() => {
      const f = occurrenceFilterInput(filter);
      return this.#engine.read(() =>
        listOccurrences(this.#reads, {
          sourceType: f.sourceType,
          sourceKey: f.sourceKey,
          start: f.occurredAtStartMs,
          end: f.occurredAtEndMs,
        }),
      );
    });
  }

  /** The reservations of one occurrence, with their subscription snapshots. */
  async listDeliveriesByOccurrenceId(occurrenceId: string): Promise<TriggerDeliveryReservation[]> {
    return this.#engine.op(() => {
      const id = stringInput(occurrenceId, 'occurrenceId');
      return this.#engine.read(() => toReservations(this.#reads.deliveriesByOccurrence(id)));
    });
  }

  /** The reservations made for one subscription. */
  async listDeliveriesBySubscriptionId(subscriptionId: string): Promise<TriggerDeliveryReservation[]> {
    return this.#engine.op(() => {
      const id = stringInput(subscriptionId, 'subscriptionId');
      return this.#engine.read(() => toReservations(this.#reads.deliveriesBySubscription(id)));
    });
  }

  /** The reservation(s) of one delivery process id. */
  async listDeliveriesByProcessId(processId: string): Promise<TriggerDeliveryReservation[]> {
    return this.#engine.op(() => {
      const id = stringInput(processId, 'processId');
      return this.#engine.read(() => toReservations(this.#reads.deliveriesByProcess(id)));
    });
  }

  /** Every reservation, by creation time, occurrence, subscription. */
  async listDeliveries(): Promise<TriggerDeliveryReservation[]> {
    return this.#engine.op(() => this.#engine.read(() => toReservations(this.#reads.deliveries())));
  }

  /** Deletes mutation receipts older than `cutoffEpochMs` (all at "no bound"); returns how many. */
  async pruneMutationReceipts(cutoffEpochMs: number): Promise<number> {
    return this.#engine.op(() => {
      const cutoff = normalizeCount(TriggerStoreError, cutoffEpochMs, 'cutoffEpochMs');
      return this.#engine.command((tx) => pruneMutationReceiptsTx(this.#reads, tx, cutoff));
    });
  }
}
