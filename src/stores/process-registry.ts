/**
 * `SqliteProcessRegistry`: the process registry facade (30-process-registry), one SQLite database per
 * host profile. Each method validates its input, reads the clock and draws its nonces, then runs one
 * synchronous command or read on the engine; after a command commits, the processes whose change
 * sequence it bumped are notified. The live surface (`watchProcess`, `changes$`, `awaitTerminal`,
 * `awaitEvent`) re-reads the registry on notifications and on `PRAGMA data_version` changes.
 */

import { randomBytes } from 'node:crypto';
import { Observable } from 'rxjs';
import { type Clock, sleepOn, systemClock } from '../clock.js';
import { DEFAULT_MAX_INFLATED_BLOB_BYTES } from '../codec.js';
import { appendEventTx } from '../commands/process/append-event.js';
import { cursorAt } from '../commands/process/builders.js';
import { completeProcessTx, completeProcessWithLeaseTx } from '../commands/process/complete.js';
import type { ProcessContext } from '../commands/process/context.js';
import { unknownProcess } from '../commands/process/errors.js';
import {
  clearProcessWaitTx,
  recordFirstStartedTx,
  requestProcessAbandonTx,
  setExternalRefTx,
  setProcessWaitTx,
} from '../commands/process/facts.js';
import {
  deleteSessionProcessStateTx,
  grantHandleTx,
  revokeHandleTx,
  transferHandleGrantsTx,
} from '../commands/process/grants.js';
import { deleteSegmentHandoversTx, putSegmentHandoverTx } from '../commands/process/handovers.js';
import {
  abandonRequestInput,
  appendRequestInput,
  authorityInput,
  awaitOutputInput,
  cursorInput,
  descriptorInput,
  externalRefInput,
  handoverInput,
  leaseCompletionInput,
  leaseInput,
  registrationInput,
  scopeInput,
  startedInput,
  v,
  waitInput,
} from '../commands/process/inputs.js';
import { claimProcessLeaseTx } from '../commands/process/lease/claim.js';
import { reclaimProcessLeaseTx } from '../commands/process/lease/reclaim.js';
import { completeProcessLeaseTx, renewProcessLeaseTx } from '../commands/process/lease/renew.js';
import { matchesNormalized, normalizeListFilter } from '../commands/process/list-filter.js';
import { type PruneSelection, pruneCandidates, pruneTx } from '../commands/process/prune.js';
import { registerProcessTx } from '../commands/process/register.js';
import { prepareRegistration, sessionScopeId } from '../commands/process/registration.js';
import { ackWakeTx } from '../commands/process/wakes.js';
import { closedError, invalidArgument, ProcessRegistryError, toAreaError } from '../errors.js';
import { type CommandTx, EventSourcedDatabase } from '../events/database.js';
import { canonicalJson } from '../json.js';
import { defaultLivenessProbe } from '../leases/liveness.js';
import { ProcessNotifier } from '../notify/process-notifier.js';
import { runWaitLoop, type WaitEnd } from '../notify/wait-loop.js';
import { RECORD_CHANGING_EVENTS } from '../projections/process/events.js';
import { leaseFromRow, ProcessReads } from '../projections/process/reads.js';
import { processProjections } from '../projections/process/spec.js';
import { type KindInfo, PROCESS_APPLICATION_ID, PROCESS_SCHEMA_VERSION } from '../sqlite/kinds.js';
import { type Db, openDatabase } from '../sqlite/open.js';
import type { DurabilityTier, LeaseOwnerIdentity, LivenessProbe, SessionScope } from '../types/common.js';
import type {
  AbandonRequest,
  PersistedSegmentHandover,
  ProcessAwaitOptions,
  ProcessAwaitOutput,
  ProcessChangeCursor,
  ProcessChangePage,
  ProcessCompletionAuthority,
  ProcessEvent,
  ProcessEventAppendRequest,
  ProcessEventAppendResult,
  ProcessExternalRef,
  ProcessHandleDescriptor,
  ProcessHandleGrant,
  ProcessHandleGrantEntry,
  ProcessLease,
  ProcessLeaseClaimOutcome,
  ProcessLeaseCompletion,
  ProcessListFilter,
  ProcessLiveReferenceSummary,
  ProcessPruneOptions,
  ProcessPruneReport,
  ProcessRecord,
  ProcessRegistration,
  ProcessRegistryOptions,
  ProcessSessionDeleteReport,
  ProcessStarted,
  WaitState,
} from '../types/process.js';
import { EventLogFacade } from './event-log-facade.js';
import { deleteSessionFiles, processRuntimeSessionIds } from './session-store-factory.js';

/** The process registry database kind. */
export const PROCESS_REGISTRY_KIND: KindInfo = {
  kind: 'processRegistry',
  label: 'process registry',
  schemaVersion: PROCESS_SCHEMA_VERSION,
  applicationId: PROCESS_APPLICATION_ID,
  ddlFolder: 'process',
  errorClass: ProcessRegistryError,
};

/** Records per page when `changes$` pages through the feed. */
const CHANGE_PAGE = 256;

interface ResolvedOptions {
  clock: Clock;
  probe: LivenessProbe;
  sessionStoreRoot: string | null;
}

function resolveOptions(options: ProcessRegistryOptions | undefined): ResolvedOptions {
  const o = options === undefined || options === null ? {} : v.object(options, 'options');
  const clock = o.clock === undefined || o.clock === null ? systemClock : o.clock;
  if (typeof (clock as Clock).timestampMs !== 'function') v.fail('options.clock', 'a Clock');
  const probe = o.livenessProbe === undefined || o.livenessProbe === null ? defaultLivenessProbe : o.livenessProbe;
  if (typeof (probe as LivenessProbe).isAlive !== 'function') v.fail('options.livenessProbe', 'a LivenessProbe');
  return {
    clock: clock as Clock,
    probe: probe as LivenessProbe,
    sessionStoreRoot: v.nullableString(o.sessionStoreRoot, 'options.sessionStoreRoot'),
  };
}

function nonce(): string {
  return randomBytes(16).toString('hex');
}

/** The process registry: processes, their event logs, grants, leases, wakes, the change feed and awaiting. */
export class SqliteProcessRegistry extends EventLogFacade {
  readonly #engine: EventSourcedDatabase;

  /** The engine behind the inherited event-log API. */
  protected eventLogEngine(): EventSourcedDatabase {
    return this.#engine;
  }
  readonly #reads: ProcessReads;
  readonly #ctx: ProcessContext;
  readonly #notifier = new ProcessNotifier();
  readonly #tier: DurabilityTier;
  readonly #options: ResolvedOptions;

  private constructor(db: Db, options: ResolvedOptions, tier: DurabilityTier) {
    super();
    this.#options = options;
    this.#tier = tier;
    this.#engine = new EventSourcedDatabase(db, PROCESS_REGISTRY_KIND, processProjections, {
      clock: options.clock,
      maxInflatedBytes: DEFAULT_MAX_INFLATED_BLOB_BYTES,
    });
    this.#reads = new ProcessReads(db);
    this.#ctx = { reads: this.#reads, probe: options.probe };
  }

  /** Opens (creating if needed) the registry database at `path`; its folder must exist. */
  static async open(path: string, options?: ProcessRegistryOptions): Promise<SqliteProcessRegistry> {
    if (typeof path !== 'string' || path === '') throw invalidArgument(ProcessRegistryError, 'path', 'a file path');
    const resolved = resolveOptions(options);
    const db = await openDatabase(path, PROCESS_REGISTRY_KIND, { clock: resolved.clock });
    return new SqliteProcessRegistry(db, resolved, 'durable');
  }

  /** A private in-memory registry whose data ends with the handle (tier `'inline'`). */
  static async memory(options?: ProcessRegistryOptions): Promise<SqliteProcessRegistry> {
    const resolved = resolveOptions(options);
    const db = await openDatabase(':memory:', PROCESS_REGISTRY_KIND, { clock: resolved.clock });
    return new SqliteProcessRegistry(db, resolved, 'inline');
  }

  /** Closes the handle: later calls reject with `Closed`, pending awaits reject with `Closed`, observables complete. */
  async close(): Promise<void> {
    if (this.#engine.closed) return;
    this.#notifier.close();
    this.#engine.close();
  }

  /** `'durable'` for a file registry, `'inline'` for `memory()`. */
  durabilityTier(): DurabilityTier {
    return this.#tier;
  }

  /** Runs a command; after it commits, notifies every process whose change sequence it bumped. */
  #command<R>(fn: (tx: CommandTx) => R): R {
    const changed = new Set<string>();
    const result = this.#engine.command((tx) =>
      fn({
        now: tx.now,
        emit: (event) => {
          const stored = tx.emit(event);
          if (RECORD_CHANGING_EVENTS.has(event.type)) changed.add((event.data as { processId: string }).processId);
          return stored;
        },
      }),
    );
    if (changed.size > 0) this.#notifier.publish(changed);
    return result;
  }

  #read<R>(fn: () => R): Promise<R> {
    return this.#engine.op(() => this.#engine.read(fn));
  }

  // ---------------------------------------------------------------- registration and reads

  /** Inserts a running row, or returns the existing record for an identical registration. */
  async registerProcess(registration: ProcessRegistration): Promise<ProcessRecord> {
    return this.#engine.op(() => {
      const prepared = prepareRegistration(registrationInput(registration));
      return this.#command((tx) => registerProcessTx(this.#ctx, tx, prepared));
    });
  }

  /** The record, or null when no row exists. Storage errors and corrupt rows reject. */
  async getProcess(processId: string): Promise<ProcessRecord | null> {
    return this.#engine.op(() => this.#reads.record(v.string(processId, 'processId')));
  }

  /** Same as `getProcess` (API parity). */
  async tryGetProcess(processId: string): Promise<ProcessRecord | null> {
    return this.getProcess(processId);
  }

  /** Rows matching `filter` (status default `running`), by process id. */
  async listProcesses(filter?: ProcessListFilter): Promise<ProcessRecord[]> {
    return this.#engine.op(() => {
      const f = normalizeListFilter(filter);
      return this.#engine.read(() =>
        this.#reads.records(f.status === 'any' ? null : f.status).filter((r) => matchesNormalized(f, r)),
      );
    });
  }

  /** Every running row, by process id: the recovery worklist. */
  async listNonTerminal(): Promise<ProcessRecord[]> {
    return this.#read(() => this.#reads.records('running'));
  }

  /** The ids of `processIds` that have no row, in input order (duplicates kept). */
  async filterUnregisteredProcessIds(processIds: string[]): Promise<string[]> {
    return this.#engine.op(() => {
      const ids = v.array(processIds, 'processIds').map((id, i) => v.string(id, `processIds[${i}]`));
      return this.#engine.read(() => ids.filter((id) => !this.#reads.exists(id)));
    });
  }

  /** Non-terminal rows grouped by (definition, envRef), counted and sorted. */
  async liveReferenceSummary(): Promise<ProcessLiveReferenceSummary[]> {
    return this.#read(() => {
      const groups = new Map<string, ProcessLiveReferenceSummary & { sortKey: [string, string] }>();
      for (const r of this.#reads.records('running')) {
        const def = r.identity.definition;
        const defText = def === null ? '' : canonicalJson(def);
        const key = canonicalJson([def === null ? null : defText, r.envRef]);
        const group = groups.get(key);
        if (group) group.processCount++;
        else groups.set(key, { definition: def, envRef: r.envRef, processCount: 1, sortKey: [defText, r.envRef ?? ''] });
      }
      const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
      return [...groups.values()]
        .sort((a, b) => cmp(a.sortKey[0], b.sortKey[0]) || cmp(a.sortKey[1], b.sortKey[1]))
        .map(({ definition, envRef, processCount }) => ({ definition, envRef, processCount }));
    });
  }

  // ---------------------------------------------------------------- process event log

  /** Sets the write-once external ref; an identical repeat returns the record unchanged. */
  async setExternalRef(processId: string, externalRef: ProcessExternalRef): Promise<ProcessRecord> {
    return this.#engine.op(() => {
      const id = v.string(processId, 'processId');
      const ref = externalRefInput(externalRef);
      return this.#command((tx) => setExternalRefTx(this.#ctx, tx, id, ref));
    });
  }

  /** Appends a process event (or replays the stored one for the same key and payload). */
  async appendEvent(processId: string, request: ProcessEventAppendRequest): Promise<ProcessEventAppendResult> {
    return this.#engine.op(() => {
      const id = v.string(processId, 'processId');
      const req = appendRequestInput(request);
      return this.#command((tx) => appendEventTx(this.#ctx, tx, id, req));
    });
  }

  /** Events with `sequence > afterSequence`, ascending. */
  async eventsAfter(processId: string, afterSequence: number): Promise<ProcessEvent[]> {
    return this.#engine.op(() => {
      const id = v.string(processId, 'processId');
      const after = v.count(afterSequence, 'afterSequence');
      return this.#engine.read(() => {
        if (!this.#reads.exists(id)) throw unknownProcess(id);
        return this.#reads.eventsAfter(id, after);
      });
    });
  }

  /** Number of events of exactly `eventType` with `sequence <= upToSequence`. */
  async countEventsThrough(processId: string, eventType: string, upToSequence: number): Promise<number> {
    return this.#engine.op(() => {
      const id = v.string(processId, 'processId');
      const type = v.string(eventType, 'eventType');
      const upTo = v.count(upToSequence, 'upToSequence');
      return this.#engine.read(() => {
        if (!this.#reads.exists(id)) throw unknownProcess(id);
        return this.#reads.countThrough(id, type, upTo);
      });
    });
  }

  /** The last `limit` events, ascending. */
  async recentEvents(processId: string, limit: number): Promise<ProcessEvent[]> {
    return this.#engine.op(() => {
      const id = v.string(processId, 'processId');
      const n = v.count(limit, 'limit');
      return this.#engine.read(() => {
        if (!this.#reads.exists(id)) throw unknownProcess(id);
        return n === 0 ? [] : this.#reads.recent(id, n);
      });
    });
  }

  /** Unacked events after `afterSequence` that carry a wake. */
  async wakeEventsAfter(processId: string, afterSequence: number): Promise<ProcessEvent[]> {
    return this.#engine.op(() => {
      const id = v.string(processId, 'processId');
      const after = v.count(afterSequence, 'afterSequence');
      return this.#engine.read(() => {
        if (!this.#reads.exists(id)) throw unknownProcess(id);
        return this.#reads.wakeEventsAfter(id, after);
      });
    });
  }

  /** Marks a wake consumed (idempotent; bumps and notifies nothing). */
  async ackWake(processId: string, sequence: number): Promise<void> {
    return this.#engine.op(() => {
      const id = v.string(processId, 'processId');
      const seq = v.count(sequence, 'sequence');
      this.#command((tx) => ackWakeTx(this.#ctx, tx, id, seq));
    });
  }

  // ---------------------------------------------------------------- completion

  /** Unleased completion with an explicit authority, validated against the live disposition. */
  async completeProcess(
    processId: string,
    output: ProcessAwaitOutput,
    authority: ProcessCompletionAuthority,
  ): Promise<ProcessRecord> {
    return this.#engine.op(() => {
      const id = v.string(processId, 'processId');
      const out = awaitOutputInput(output);
      const auth = authorityInput(authority);
      return this.#command((tx) => completeProcessTx(this.#ctx, tx, id, out, auth));
    });
  }

  /** Lease-fenced completion; releases the lease in the same transaction. A replay skips the lease check. */
  async completeProcessWithLease(lease: ProcessLease, output: ProcessAwaitOutput): Promise<ProcessRecord> {
    return this.#engine.op(() => {
      const l = leaseInput(lease);
      const out = awaitOutputInput(output);
      return this.#command((tx) => completeProcessWithLeaseTx(this.#ctx, tx, l, out));
    });
  }

  /** Records the first start (first writer wins). */
  async recordFirstStarted(processId: string, started: ProcessStarted): Promise<ProcessRecord> {
    return this.#engine.op(() => {
      const id = v.string(processId, 'processId');
      const s = startedInput(started);
      return this.#command((tx) => recordFirstStartedTx(this.#ctx, tx, id, s));
    });
  }

  /** Records an abandon request on a running row (first writer wins). */
  async requestProcessAbandon(processId: string, request: AbandonRequest): Promise<ProcessRecord> {
    return this.#engine.op(() => {
      const id = v.string(processId, 'processId');
      const r = abandonRequestInput(request);
      return this.#command((tx) => requestProcessAbandonTx(this.#ctx, tx, id, r));
    });
  }

  /** Sets (overwrites) the wait state of a running row. */
  async setProcessWait(processId: string, wait: WaitState): Promise<ProcessRecord> {
    return this.#engine.op(() => {
      const id = v.string(processId, 'processId');
      const w = waitInput(wait);
      return this.#command((tx) => setProcessWaitTx(this.#ctx, tx, id, w));
    });
  }

  /** Clears the wait state, unconditionally refreshing `updatedAtMs`. */
  async clearProcessWait(processId: string): Promise<ProcessRecord> {
    return this.#engine.op(() => {
      const id = v.string(processId, 'processId');
      return this.#command((tx) => clearProcessWaitTx(this.#ctx, tx, id));
    });
  }

  // ---------------------------------------------------------------- grants

  /** Grants (upserts) a handle to a session scope. */
  async grantHandle(scope: SessionScope, processId: string, descriptor: ProcessHandleDescriptor): Promise<ProcessHandleGrant> {
    return this.#engine.op(() => {
      const s = scopeInput(scope, 'scope');
      const id = v.string(processId, 'processId');
      const d = descriptorInput(descriptor);
      return this.#command((tx) => grantHandleTx(this.#ctx, tx, s, id, d));
    });
  }

  /** Revokes a grant; never errors. */
  async revokeHandle(scope: SessionScope, processId: string): Promise<void> {
    return this.#engine.op(() => {
      const s = scopeInput(scope, 'scope');
      const id = v.string(processId, 'processId');
      this.#command((tx) => revokeHandleTx(this.#ctx, tx, s, id));
    });
  }

  /** Moves grants from one scope to another, all or nothing. */
  async transferHandleGrants(from: SessionScope, to: SessionScope, processIds: string[]): Promise<void> {
    return this.#engine.op(() => {
      const f = scopeInput(from, 'from');
      const t = scopeInput(to, 'to');
      const ids = v.array(processIds, 'processIds').map((id, i) => v.string(id, `processIds[${i}]`));
      if (ids.length === 0) return;
      this.#command((tx) => transferHandleGrantsTx(this.#ctx, tx, f, t, ids));
    });
  }

  /** Grants of exactly this scope, with their records, by process id. */
  async listHandleGrants(scope: SessionScope): Promise<ProcessHandleGrantEntry[]> {
    return this.#engine.op(() => {
      const s = scopeInput(scope, 'scope');
      return this.#engine.read(() => this.#grantEntries(s));
    });
  }

  /** `listHandleGrants` restricted to running records. */
  async listLiveHandleGrants(scope: SessionScope): Promise<ProcessHandleGrantEntry[]> {
    return this.#engine.op(() => {
      const s = scopeInput(scope, 'scope');
      return this.#engine.read(() => this.#grantEntries(s).filter((e) => e.record.status.kind === 'running'));
    });
  }

  #grantEntries(scope: SessionScope): ProcessHandleGrantEntry[] {
    return this.#reads.grantsOfScope(sessionScopeId(scope)).map(({ grant, record }) => ({
      grant: { sessionId: scope.sessionId, processId: grant.processId, descriptor: grant.descriptor },
      record,
    }));
  }

  /** True iff this exact scope holds a grant and the row exists. */
  async hasHandleGrant(scope: SessionScope, processId: string): Promise<boolean> {
    return this.#engine.op(() => {
      const s = scopeInput(scope, 'scope');
      const id = v.string(processId, 'processId');
      return this.#engine.read(() => this.#reads.grant(sessionScopeId(s), id) !== null && this.#reads.exists(id));
    });
  }

  /** Every grant of a process, by session id then scope id. */
  async handleGrantsForProcess(processId: string): Promise<ProcessHandleGrant[]> {
    return this.#engine.op(() => {
      const id = v.string(processId, 'processId');
      return this.#engine.read(() => {
        if (!this.#reads.exists(id)) throw unknownProcess(id);
        return this.#reads.grantsOfProcess(id).map((g) => ({ sessionId: g.sessionId, processId: id, descriptor: g.descriptor }));
      });
    });
  }

  /** Removes a session's side of every edge (grants, wake targets); cancels nothing. */
  async deleteSessionProcessState(sessionId: string): Promise<ProcessSessionDeleteReport> {
    return this.#engine.op(() => {
      const s = v.string(sessionId, 'sessionId');
      return this.#command((tx) => deleteSessionProcessStateTx(this.#ctx, tx, s));
    });
  }

  // ---------------------------------------------------------------- leases

  /** Claims the process lease: `acquired` (fresh or same-incarnation re-entry) or `busy` with the holder. */
  async claimProcessLease(processId: string, owner: LeaseOwnerIdentity, ttlMs: number): Promise<ProcessLeaseClaimOutcome> {
    return this.#engine.op(() => {
      const id = v.string(processId, 'processId');
      const o = v.owner(owner, 'owner');
      const ttl = v.count(ttlMs, 'ttlMs');
      const n = nonce();
      return this.#command((tx) => claimProcessLeaseTx(this.#ctx, tx, id, o, ttl, n));
    });
  }

  /** Takes over a live lease whose observed holder is provably dead, else `busy`. */
  async reclaimProcessLease(
    processId: string,
    claimant: LeaseOwnerIdentity,
    observedHolder: ProcessLease,
    ttlMs: number,
  ): Promise<ProcessLeaseClaimOutcome> {
    return this.#engine.op(() => {
      const id = v.string(processId, 'processId');
      const c = v.owner(claimant, 'claimant');
      const observed = leaseInput(observedHolder, 'observedHolder');
      const ttl = v.count(ttlMs, 'ttlMs');
      const n = nonce();
      return this.#command((tx) => reclaimProcessLeaseTx(this.#ctx, tx, id, c, observed, ttl, n));
    });
  }

  /** Extends a live lease held by `lease`; `LeaseExpired` otherwise. */
  async renewProcessLease(lease: ProcessLease, ttlMs: number): Promise<ProcessLease> {
    return this.#engine.op(() => {
      const l = leaseInput(lease);
      const ttl = v.count(ttlMs, 'ttlMs');
      return this.#command((tx) => renewProcessLeaseTx(this.#ctx, tx, l, ttl));
    });
  }

  /** The stored lease (possibly expired), or null for unknown, never-claimed and released rows. */
  async getProcessLease(processId: string): Promise<ProcessLease | null> {
    return this.#engine.op(() => {
      const row = this.#reads.lease(v.string(processId, 'processId'));
      if (row === null || row.owner === null || row.leaseToken === null) return null;
      return leaseFromRow({ ...row, owner: row.owner, leaseToken: row.leaseToken });
    });
  }

  /** Releases the lease when the token still matches; otherwise a silent no-op. */
  async completeProcessLease(completion: ProcessLeaseCompletion): Promise<void> {
    return this.#engine.op(() => {
      const c = leaseCompletionInput(completion);
      this.#command((tx) => completeProcessLeaseTx(this.#ctx, tx, c));
    });
  }

  // ---------------------------------------------------------------- segment handovers

  /** Persists a handover (keeping ordinal N − 1); an equal repeat is a no-op, a different one conflicts. */
  async putSegmentHandover(processId: string, handover: PersistedSegmentHandover): Promise<void> {
    return this.#engine.op(() => {
      const id = v.string(processId, 'processId');
      const h = handoverInput(handover);
      this.#command((tx) => putSegmentHandoverTx(this.#ctx, tx, id, h));
    });
  }

  /** The handover at exactly that ordinal, or null. */
  async getSegmentHandover(processId: string, segmentOrdinal: number): Promise<PersistedSegmentHandover | null> {
    return this.#engine.op(() =>
      this.#reads.handover(v.string(processId, 'processId'), v.count(segmentOrdinal, 'segmentOrdinal')),
    );
  }

  /** The highest-ordinal handover, or null. */
  async latestSegmentHandover(processId: string): Promise<PersistedSegmentHandover | null> {
    return this.#engine.op(() => this.#reads.latestHandover(v.string(processId, 'processId')));
  }

  /** Deletes every handover of the process (idempotent). */
  async deleteSegmentHandovers(processId: string): Promise<void> {
    return this.#engine.op(() => {
      const id = v.string(processId, 'processId');
      this.#command((tx) => deleteSegmentHandoversTx(this.#ctx, tx, id));
    });
  }

  // ---------------------------------------------------------------- change feed and prune

  /** Up to `limit` current records that changed after `cursor`, in change order. */
  async processesChangedSince(cursor: ProcessChangeCursor, limit: number): Promise<ProcessChangePage> {
    return this.#engine.op(() => {
      const c = cursorInput(cursor);
      const n = v.count(limit, 'limit');
      if (n === 0) return { records: [], nextCursor: cursorAt(c.storeSequence) };
      const records = this.#reads.changedSince(c.storeSequence, n >= Number.MAX_SAFE_INTEGER ? -1 : n);
      const last = records[records.length - 1];
      return { records, nextCursor: cursorAt(last === undefined ? c.storeSequence : last.changeSeq) };
    });
  }

  /** Deletes terminal rows older than `cutoffMs` (strict) and everything attached to them. */
  async pruneTerminalProcesses(cutoffMs: number, options?: ProcessPruneOptions): Promise<ProcessPruneReport> {
    const { selection, candidates } = await this.#engine.op(() => {
      const o = options === undefined || options === null ? {} : v.object(options, 'options');
      const selection: PruneSelection = {
        cutoffMs: v.count(cutoffMs, 'cutoffMs'),
        upToChangeSeq:
          o.upToChangeSeq === undefined || o.upToChangeSeq === null
            ? null
            : cursorInput(o.upToChangeSeq, 'options.upToChangeSeq').storeSequence,
        filter: o.filter === undefined || o.filter === null ? null : normalizeListFilter(o.filter, 'options.filter'),
      };
      return { selection, candidates: this.#engine.read(() => pruneCandidates(this.#ctx, selection)) };
    });
    const root = this.#options.sessionStoreRoot;
    if (root !== null) {
      for (const id of candidates) {
        for (const sessionId of processRuntimeSessionIds(id)) {
          try {
            await deleteSessionFiles(root, sessionId);
          } catch (error) {
            throw toAreaError(ProcessRegistryError, error);
          }
        }
      }
    }
    return this.#engine.op(() => this.#command((tx) => pruneTx(this.#ctx, tx, candidates, selection)));
  }

  // ---------------------------------------------------------------- awaiting and watching

  #dataVersion(): number {
    return this.#engine.db.pragma('data_version', { simple: true }) as number;
  }

  #loop(attach: (wake: () => void) => () => void, evaluate: () => boolean, signal?: AbortSignal): Promise<WaitEnd> {
    return runWaitLoop({
      attach,
      onClose: (listener) => this.#notifier.onClose(listener),
      dataVersion: () => this.#dataVersion(),
      evaluate: () => {
        try {
          return evaluate();
        } catch (error) {
          throw toAreaError(ProcessRegistryError, error);
        }
      },
      sleep: (ms, s) => sleepOn(this.#options.clock, ms, s),
      signal,
    });
  }

  async #await<T>(processId: string, options: ProcessAwaitOptions | undefined, read: (id: string) => T | null): Promise<T> {
    const signal = options?.signal;
    if (signal?.aborted) throw signal.reason;
    this.#engine.assertOpen();
    const id = v.string(processId, 'processId');
    let result: T | null = null;
    const end = await this.#loop(
      (wake) => this.#notifier.onProcess(id, wake),
      () => {
        // A single statement is already a consistent snapshot; several run in one read transaction.
        result = read(id);
        return result !== null;
      },
      signal,
    );
    if (end.kind === 'aborted') throw end.reason;
    if (end.kind === 'closed') throw closedError(ProcessRegistryError, 'processRegistry');
    return result as T;
  }

  /** Resolves with the process's output once it is terminal; `UnknownProcess` for a missing row. */
  async awaitTerminal(processId: string, options?: ProcessAwaitOptions): Promise<ProcessAwaitOutput> {
    return this.#await(processId, options, (id) => {
      const record = this.#reads.record(id);
      if (!record) throw unknownProcess(id);
      return record.status.kind === 'running' ? null : record.status.awaitOutput;
    });
  }

  /** Resolves with the first event of `eventType` with `sequence > afterSequence`. */
  async awaitEvent(
    processId: string,
    eventType: string,
    afterSequence: number,
    options?: ProcessAwaitOptions,
  ): Promise<ProcessEvent> {
    if (options?.signal?.aborted) throw options.signal.reason;
    const type = v.string(eventType, 'eventType');
    const after = v.count(afterSequence, 'afterSequence');
    return this.#await(processId, options, (id) =>
      this.#engine.read(() => {
        if (!this.#reads.exists(id)) throw unknownProcess(id);
        return this.#reads.firstEventOfTypeAfter(id, type, after);
      }),
    );
  }

  /** The current record, then each change (coalesced); completes after a terminal status or on close. */
  watchProcess(processId: string): Observable<ProcessRecord> {
    this.#engine.assertOpen();
    const id = v.string(processId, 'processId');
    return new Observable<ProcessRecord>((subscriber) => {
      const stop = new AbortController();
      let last = -1;
      this.#loop(
        (wake) => this.#notifier.onProcess(id, wake),
        () => {
          const record = this.#reads.record(id);
          if (!record) throw unknownProcess(id);
          if (record.changeSeq > last) {
            last = record.changeSeq;
            subscriber.next(record);
          }
          return record.status.kind !== 'running';
        },
        stop.signal,
      ).then(
        (end) => {
          if (end.kind !== 'aborted') subscriber.complete();
        },
        (error: unknown) => subscriber.error(error),
      );
      return () => stop.abort();
    });
  }

  /** The change feed as a live stream from `cursor` (default initial); completes on close. */
  changes$(cursor?: ProcessChangeCursor): Observable<ProcessRecord> {
    this.#engine.assertOpen();
    const start = cursor === undefined || cursor === null ? 0 : cursorInput(cursor).storeSequence;
    return new Observable<ProcessRecord>((subscriber) => {
      const stop = new AbortController();
      let position = start;
      this.#loop(
        (wake) => this.#notifier.onStore(wake),
        () => {
          for (;;) {
            const page = this.#reads.changedSince(position, CHANGE_PAGE);
            for (const record of page) {
              position = record.changeSeq;
              subscriber.next(record);
              if (subscriber.closed) return true;
            }
            if (page.length < CHANGE_PAGE) return false;
          }
        },
        stop.signal,
      ).then(
        (end) => {
          if (end.kind !== 'aborted') subscriber.complete();
        },
        (error: unknown) => subscriber.error(error),
      );
      return () => stop.abort();
    });
  }
}
