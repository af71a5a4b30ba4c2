/**
 * The engine every store facade stands on: one connection, its event log, its projector and its
 * live feed. Every write is `command → events → projections` inside one synchronous
 * `BEGIN IMMEDIATE` transaction; events are published to `events$` only after the commit.
 * Nothing here awaits while a transaction is open.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Transaction } from 'better-sqlite3';
import type { Observable } from 'rxjs';
import type { Clock } from '../clock.js';
import { type AreaErrorClass, backendError, closedError, invalidArgument, toAreaError } from '../errors.js';
import { DEFAULT_POLL_INTERVAL_MS, EventFeed } from '../notify/event-feed.js';
import { normalizeCount } from '../numbers.js';
import {
  compareProjections,
  deriveScratch,
  dumpSnapshot,
  encodeSnapshot,
  loadLatestSnapshot,
  rebuildInPlace,
  verifyReport,
} from '../projections/replay.js';
import type { ProjectionSpec, Projector } from '../projections/types.js';
import type { KindInfo } from '../sqlite/kinds.js';
import type { Db } from '../sqlite/open.js';
import { faultPoint } from './fault.js';
import { EventLog } from './log.js';
import { eventToNdjson } from './ndjson.js';
import type {
  CompactOptions,
  CompactReport,
  DomainEvent,
  EventsObservableOptions,
  ReadEventsOptions,
  StoredEvent,
  VerifyReport,
} from './types.js';

/** The audit event `compactEventLog` appends; projections ignore it. */
export const EVENT_LOG_COMPACTED = 'EventLogCompacted';

/** What a command sees inside its transaction. */
export interface CommandTx {
  /** The clock reading taken once, before the transaction started. */
  readonly now: number;
  /** Appends an event and applies it to the projections at once, so later steps see its effect. */
  emit(event: DomainEvent): StoredEvent;
}

/** Options of the engine. */
export interface DatabaseOptions {
  clock: Clock;
  maxInflatedBytes: number;
}

/** One open database of any kind. */
export class EventSourcedDatabase {
  readonly log: EventLog;
  readonly feed: EventFeed;
  readonly projector: Projector;
  readonly errorClass: AreaErrorClass;
  readonly clock: Clock;
  readonly #runner: Transaction<(fn: () => unknown) => unknown>;
  #closed = false;

  constructor(
    readonly db: Db,
    readonly info: KindInfo,
    readonly projections: ProjectionSpec,
    options: DatabaseOptions,
  ) {
    this.errorClass = info.errorClass;
    this.clock = options.clock;
    this.log = new EventLog(db, info.errorClass, options.maxInflatedBytes);
    this.feed = new EventFeed(db, this.log);
    this.projector = projections.createProjector(db);
    this.#runner = db.transaction((fn: () => unknown) => fn());
  }

  /** True once `close()` ran. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Rejects with `Closed` after `close()`. */
  assertOpen(): void {
    if (this.#closed) throw closedError(this.errorClass, this.info.kind);
  }

  /**
   * Runs `fn` as a public operation: refuses after close, maps driver failures to `Backend` and
   * returns a Promise, so the SQLite backend fits async interfaces that PostgreSQL can implement.
   */
  async op<R>(fn: () => R): Promise<R> {
    try {
      this.assertOpen();
      return fn();
    } catch (error) {
      throw toAreaError(this.errorClass, error);
    }
  }

  /**
   * Runs a command in one `BEGIN IMMEDIATE` transaction with `now` read beforehand; publishes the
   * events it emitted after the commit. A throw rolls back every event, projection and blob row.
   */
  command<R>(fn: (tx: CommandTx) => R, now: number = this.clock.timestampMs()): R {
    // A read-only handle refuses every write, including one that would turn out to change nothing.
    if (this.db.readonly) throw backendError(this.errorClass, 'attempt to write a readonly database');
    const emitted: StoredEvent[] = [];
    const tx: CommandTx = {
      now,
      emit: (event) => {
        faultPoint('beforeAppend');
        const stored = this.log.append(event, now);
        faultPoint('afterAppendBeforeProjection');
        this.projector.apply(stored);
        emitted.push(stored);
        return stored;
      },
    };
    const result = this.#runner.immediate(() => {
      const out = fn(tx);
      if (emitted.length > 0) faultPoint('afterProjectionBeforeCommit');
      return out;
    }) as R;
    if (emitted.length > 0) {
      faultPoint('afterCommitBeforePublish');
      this.feed.publish(emitted);
    }
    return result;
  }

  /** Runs a multi-statement read in one read transaction, so it sees one snapshot. */
  read<R>(fn: () => R): R {
    if (this.db.inTransaction) return fn();
    return this.#runner.deferred(fn) as R;
  }

  /** `readEvents`: committed events after `afterSeq`, optionally of one stream. */
  readEvents(options: ReadEventsOptions = {}): StoredEvent[] {
    const after = options.afterSeq === undefined ? 0 : normalizeCount(this.errorClass, options.afterSeq, 'afterSeq');
    const limit = options.limit === undefined ? Number.MAX_SAFE_INTEGER : normalizeCount(this.errorClass, options.limit, 'limit');
    if (options.stream !== undefined && typeof options.stream !== 'string') {
      throw invalidArgument(this.errorClass, 'stream', 'a string');
    }
    // SQLite LIMIT takes a signed 64-bit value; -1 means no limit.
    return this.log.read(after, limit >= Number.MAX_SAFE_INTEGER ? -1 : limit, options.stream);
  }

  /** `events$`: the backlog after `afterSeq`, then live events; completes on close. */
  events$(options: EventsObservableOptions = {}): Observable<StoredEvent> {
    const after = options.afterSeq === undefined ? 0 : normalizeCount(this.errorClass, options.afterSeq, 'afterSeq');
    const poll =
      options.pollIntervalMs === undefined
        ? DEFAULT_POLL_INTERVAL_MS
        : normalizeCount(this.errorClass, options.pollIntervalMs, 'pollIntervalMs');
    return this.feed.events$(after, Math.min(poll, 2_147_483_647));
  }

  /** `rebuildProjections`: drop and re-derive every projection from the latest snapshot + log. */
  rebuildProjections(): { eventCount: number } {
    const eventCount = this.#runner.immediate(() =>
      rebuildInPlace(this.db, this.projections, this.log, this.errorClass),
    ) as number;
    return { eventCount };
  }

  /** `verifyProjections`: re-derive into a scratch database and compare with the live tables. */
  verifyProjections(): VerifyReport {
    return this.read(() => {
      const { scratch, eventCount } = deriveScratch(
        this.db,
        this.info.ddlFolder,
        this.projections,
        this.log,
        this.errorClass,
        Number.MAX_SAFE_INTEGER,
      );
      try {
        return verifyReport(eventCount, compareProjections(this.db, scratch, this.projections));
      } finally {
        scratch.close();
      }
    });
  }

  /**
   * `compactEventLog`: snapshot the projections as of `throughSeq`, optionally write the events up to
   * it to an fsynced NDJSON archive, then delete them — the only sanctioned DELETE on `events`.
   */
  compactEventLog(options: CompactOptions): CompactReport {
    if (options === null || typeof options !== 'object') throw invalidArgument(this.errorClass, 'options', 'an object');
    const requested = normalizeCount(this.errorClass, options.throughSeq, 'throughSeq');
    if (options.archivePath !== undefined && typeof options.archivePath !== 'string') {
      throw invalidArgument(this.errorClass, 'archivePath', 'a string');
    }
    const { snapshot, fromSeq } = this.read(() => {
      const through = Math.min(requested, this.log.maxSeq());
      const previous = loadLatestSnapshot(this.db, this.errorClass, this.log.maxInflatedBytes)?.seq ?? 0;
      if (through <= previous) return { snapshot: null, fromSeq: previous };
      const derived = deriveScratch(this.db, this.info.ddlFolder, this.projections, this.log, this.errorClass, through);
      try {
        return { snapshot: dumpSnapshot(derived.scratch, this.projections, through), fromSeq: previous };
      } finally {
        derived.scratch.close();
      }
    });
    if (!snapshot) return { deletedEventCount: 0, snapshotSeq: fromSeq };
    if (options.archivePath !== undefined) this.#writeArchive(options.archivePath, fromSeq, snapshot.seq);
    const [codec, payload] = encodeSnapshot(snapshot, this.log.maxInflatedBytes);
    const now = this.clock.timestampMs();
    return this.command((tx) => {
      const current = loadLatestSnapshot(this.db, this.errorClass, this.log.maxInflatedBytes)?.seq ?? 0;
      if (current !== fromSeq) {
        throw backendError(this.errorClass, `concurrent compaction: snapshot moved from ${fromSeq} to ${current}`);
      }
      this.db
        .prepare('INSERT INTO projection_snapshots (snapshot_seq, recorded_at_ms, codec, payload) VALUES (?, ?, ?, ?)')
        .run(snapshot.seq, now, codec, payload);
      // The audit event goes in first, above the range being deleted, so the table's maximum row
      // survives and the next rowid never reuses a sequence number.
      const deleted = this.db.prepare('SELECT count(*) FROM events WHERE seq <= ?').pluck().get(snapshot.seq) as number;
      tx.emit({
        stream: 'maintenance',
        type: EVENT_LOG_COMPACTED,
        data: { throughSeq: snapshot.seq, deletedEventCount: deleted, archivePath: options.archivePath ?? null },
      });
      this.db.prepare('UPDATE event_log_state SET compacting = 1 WHERE id = 1').run();
      this.db.prepare('DELETE FROM events WHERE seq <= ?').run(snapshot.seq);
      this.db.prepare('UPDATE event_log_state SET compacting = 0 WHERE id = 1').run();
      this.db.prepare('DELETE FROM projection_snapshots WHERE snapshot_seq < ?').run(snapshot.seq);
      return { deletedEventCount: deleted, snapshotSeq: snapshot.seq };
    }, now);
  }

  /** Writes events `(fromSeq, throughSeq]` as NDJSON and fsyncs file and folder before returning. */
  #writeArchive(path: string, fromSeq: number, throughSeq: number): void {
    const fd = openSync(path, 'w');
    try {
      let cursor = fromSeq;
      for (;;) {
        const batch = this.read(() => this.log.read(cursor, 1000));
        let done = batch.length < 1000;
        let text = '';
        for (const event of batch) {
          if (event.seq > throughSeq) {
            done = true;
            break;
          }
          text += `${eventToNdjson(event)}\n`;
          cursor = event.seq;
        }
        if (text) writeSync(fd, text);
        if (done) break;
      }
      faultPoint('compactBeforeArchiveFsync');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const dirFd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
    faultPoint('compactAfterArchiveFsync');
  }

  /** Closes the connection and completes every `events$` subscriber. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.feed.close();
    this.db.close();
  }
}
