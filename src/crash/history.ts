/**
 * The parent's view of one database across a whole campaign: a long-lived `events$` subscription on
 * its own handle (opened before the first child and kept across every crash), and the complete
 * event history rebuilt after each round from the log plus every compaction archive. Generic over
 * store kinds: anything with `readEvents`, `events$` and `verifyProjections` can be watched.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Observable, Subscription } from 'rxjs';
import { EVENT_LOG_COMPACTED } from '../events/database.js';
import type { EventsObservableOptions, ReadEventsOptions, StoredEvent, VerifyReport } from '../events/types.js';
import { canonicalJson, sha256Hex } from '../json.js';
import type { Findings } from './module.js';
import { toWire, type WireJson } from './protocol.js';

/** The event-log surface every store kind offers. */
export interface LogHandle {
  readEvents(options?: ReadEventsOptions): Promise<StoredEvent[]>;
  events$(options?: EventsObservableOptions): Observable<StoredEvent>;
  verifyProjections(): Promise<VerifyReport>;
  close(): Promise<void>;
}

/** An event in its NDJSON form (byte strings as `{$bytes}`), from the log or from an archive. */
export interface HistoryEvent {
  seq: number;
  stream: string;
  version: number;
  type: string;
  recordedAtMs: number;
  data: WireJson;
}

/** Payload of the compaction audit event. */
interface CompactedData {
  throughSeq: number;
  deletedEventCount: number;
  archivePath: string | null;
}

function historyOf(event: StoredEvent): HistoryEvent {
  return {
    seq: event.seq,
    stream: event.stream,
    version: event.version,
    type: event.type,
    recordedAtMs: event.recordedAtMs,
    data: toWire(event.data),
  };
}

function digestOf(event: HistoryEvent): string {
  return sha256Hex(canonicalJson(event)).slice(0, 24);
}

/** One archive file: its events, and whether its last line was torn (the writer died). */
interface ArchiveFile {
  events: HistoryEvent[];
  torn: boolean;
}

function readArchive(path: string): ArchiveFile {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const last = lines.pop() ?? '';
  const events = lines.filter((l) => l !== '').map((l) => JSON.parse(l) as HistoryEvent);
  return { events, torn: last !== '' };
}

const FEED_POLL_MS = 5;
const FEED_CATCH_UP_MS = 10_000;

/** Runs `PRAGMA quick_check` (or `integrity_check`) on a separate read-only connection. */
export function sqliteIntegrity(path: string, full = false): string[] {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const rows = db.pragma(full ? 'integrity_check' : 'quick_check') as Record<string, string>[];
    const problems = rows.map((r) => String(Object.values(r)[0]));
    return problems.length === 1 && problems[0] === 'ok' ? [] : problems;
  } finally {
    db.close();
  }
}

/** History, feed and archive bookkeeping of one database. */
export class DatabaseWatch {
  readonly #digests = new Map<number, string>();
  readonly #readArchives = new Set<string>();
  readonly #tornArchives = new Set<string>();
  readonly #committedArchives = new Set<string>();
  #lastSeq = 0;
  #compactedThrough = 0;
  #feedHandle: LogHandle | null = null;
  #subscription: Subscription | null = null;
  #feed: HistoryEvent[] = [];
  #feedLast = 0;
  #feedError: unknown = null;
  #feedDelivered = 0;
  #feedSkippedCompacted = 0;

  /**
   * @param name label used in findings (`sessions/alpha.db`)
   * @param path the database file
   * @param archiveDir the folder compactions of this database write their archives to
   */
  constructor(
    readonly name: string,
    readonly path: string,
    readonly archiveDir: string,
    readonly findings: Findings,
  ) {}

  /** Opens the long-lived feed handle and subscribes from the beginning of the log. */
  async start(openFeedHandle: () => Promise<LogHandle>): Promise<void> {
    this.#feedHandle = await openFeedHandle();
    this.#subscription = this.#feedHandle.events$({ afterSeq: 0, pollIntervalMs: FEED_POLL_MS }).subscribe({
      next: (event) => {
        this.#feed.push(historyOf(event));
        this.#feedLast = event.seq;
        this.#feedDelivered++;
      },
      error: (error) => {
        this.#feedError = error;
      },
    });
  }

  /** The highest sequence number ingested so far. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Everything up to here was deleted by committed compactions (and is in their archives). */
  get compactedThrough(): number {
    return this.#compactedThrough;
  }

  /** Whether a committed compaction's audit event names `archivePath`. */
  hasCommittedArchive(archivePath: string): boolean {
    return this.#committedArchives.has(archivePath);
  }

  /** Feed statistics for the report. */
  feedStats(): { delivered: number; skippedCompacted: number } {
    return { delivered: this.#feedDelivered, skippedCompacted: this.#feedSkippedCompacted };
  }

  /**
   * After a round, on a freshly opened handle: SQLite's own check, `verifyProjections`, then the new
   * events from the log and the new archives, checked gap-free and consistent; then the feed. Returns
   * the events that are new since the last check, in sequence order.
   */
  async check(fresh: LogHandle, options: { fullIntegrity?: boolean } = {}): Promise<HistoryEvent[]> {
    for (const problem of sqliteIntegrity(this.path, options.fullIntegrity)) {
      this.findings.divergence(`${this.name}: SQLite integrity check: ${problem}`);
    }
    const report = await fresh.verifyProjections();
    if (!report.ok) {
      const first = report.mismatches
        .slice(0, 3)
        .map((m) => `${m.table} ${m.key}`)
        .join('; ');
      this.findings.divergence(`${this.name}: verifyProjections found ${report.mismatches.length} mismatches (${first})`);
    }
    const fresh$ = await this.#ingest(fresh);
    await this.#checkFeed();
    return fresh$;
  }

  async #ingest(fresh: LogHandle): Promise<HistoryEvent[]> {
    const pending = new Map<number, HistoryEvent>();
    const remember = (event: HistoryEvent, source: string) => {
      const digest = digestOf(event);
      const known = this.#digests.get(event.seq) ?? (pending.has(event.seq) ? digestOf(pending.get(event.seq)!) : undefined);
      if (known !== undefined && known !== digest) {
        this.findings.divergence(`${this.name}: event ${event.seq} in ${source} differs from the same seq seen before`);
        return;
      }
      if (event.seq > this.#lastSeq && !pending.has(event.seq)) pending.set(event.seq, event);
    };
    const newArchives: string[] = [];
    if (existsSync(this.archiveDir)) {
      for (const file of readdirSync(this.archiveDir).sort()) {
        const path = join(this.archiveDir, file);
        if (this.#readArchives.has(path)) continue;
        this.#readArchives.add(path);
        newArchives.push(path);
        const archive = readArchive(path);
        if (archive.torn) this.#tornArchives.add(path);
        for (const event of archive.events) remember(event, `archive ${file}`);
      }
    }
    const log = (await fresh.readEvents({ afterSeq: this.#lastSeq })).map(historyOf);
    for (const event of log) remember(event, 'the log');
    const seqs = [...pending.keys()].sort((a, b) => a - b);
    const max = seqs.length > 0 ? (seqs[seqs.length - 1] as number) : this.#lastSeq;
    const ordered: HistoryEvent[] = [];
    for (let seq = this.#lastSeq + 1; seq <= max; seq++) {
      const event = pending.get(seq);
      if (!event) {
        this.findings.lost(`${this.name}: event ${seq} is neither in the log nor in any compaction archive`);
        continue;
      }
      ordered.push(event);
      this.#digests.set(seq, digestOf(event));
    }
    this.#lastSeq = Math.max(this.#lastSeq, max);
    for (const event of ordered) if (event.type === EVENT_LOG_COMPACTED) this.#checkCompaction(event);
    const first = await fresh.readEvents({ afterSeq: 0, limit: 1 });
    if (first[0] && first[0].seq <= this.#compactedThrough) {
      this.findings.divergence(
        `${this.name}: event ${first[0].seq} is still in the log although a committed compaction deleted through ${this.#compactedThrough}`,
      );
    }
    return ordered;
  }

  /** A committed compaction's archive holds exactly the events it deleted, complete. */
  #checkCompaction(event: HistoryEvent): void {
    const data = event.data as unknown as CompactedData;
    const from = this.#compactedThrough;
    this.#compactedThrough = Math.max(this.#compactedThrough, data.throughSeq);
    if (data.archivePath !== null) this.#committedArchives.add(data.archivePath);
    if (data.deletedEventCount === 0) return;
    if (data.archivePath === null) {
      this.findings.divergence(`${this.name}: compaction through ${data.throughSeq} deleted events without an archive`);
      return;
    }
    if (!existsSync(data.archivePath)) {
      this.findings.lost(`${this.name}: archive ${data.archivePath} of a committed compaction is missing`);
      return;
    }
    const archive = readArchive(data.archivePath);
    const seqs = archive.events.map((e) => e.seq);
    const contiguous = seqs.every((s, i) => s === from + 1 + i);
    if (archive.torn || !contiguous || seqs.length !== data.deletedEventCount || seqs.at(-1) !== data.throughSeq) {
      this.findings.lost(
        `${this.name}: archive ${data.archivePath} does not hold exactly events ${from + 1}..${data.throughSeq} (${seqs.length} lines${archive.torn ? ', torn' : ''})`,
      );
    }
  }

  /** The feed reached the log's end, never repeated or reordered, and skipped only compacted events. */
  async #checkFeed(): Promise<void> {
    const deadline = Date.now() + FEED_CATCH_UP_MS;
    while (this.#feedLast < this.#lastSeq && this.#feedError === null && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, FEED_POLL_MS));
    }
    if (this.#feedError !== null) {
      this.findings.divergence(`${this.name}: events$ failed: ${String(this.#feedError)}`);
      this.#feedError = null;
    }
    if (this.#feedLast < this.#lastSeq) {
      this.findings.divergence(`${this.name}: events$ stalled at ${this.#feedLast}, the log ends at ${this.#lastSeq}`);
    }
    let previous = this.#feedCheckedThrough;
    for (const event of this.#feed) {
      if (event.seq <= previous) {
        this.findings.divergence(`${this.name}: events$ delivered seq ${event.seq} after ${previous} (repeat or reorder)`);
        continue;
      }
      for (let skipped = previous + 1; skipped < event.seq; skipped++) {
        if (skipped <= this.#compactedThrough) this.#feedSkippedCompacted++;
        else this.findings.divergence(`${this.name}: events$ skipped seq ${skipped}, which was never compacted`);
      }
      const digest = this.#digests.get(event.seq);
      if (digest === undefined) this.findings.divergence(`${this.name}: events$ delivered seq ${event.seq}, unknown to the log`);
      else if (digest !== digestOf(event))
        this.findings.divergence(`${this.name}: events$ delivered a different event ${event.seq}`);
      previous = event.seq;
    }
    this.#feed = [];
    this.#feedCheckedThrough = previous;
  }

  #feedCheckedThrough = 0;

  /** Ends the subscription and closes the feed handle. */
  async close(): Promise<void> {
    this.#subscription?.unsubscribe();
    await this.#feedHandle?.close();
  }
}
