/**
 * emmett-sqlite 0.38.5 workloads. The store runs on node-sqlite3 (async, libuv threadpool) and, for
 * a file database, opens a connection for every call and closes it afterwards (closing the last
 * connection to a WAL database checkpoints it). The peers are imported lazily, so loading a case
 * file needs no peer (the quick subset runs without them).
 */
import type { Event } from '@event-driven-io/emmett';
import { type Measurement, timed } from './case.js';
import { installedVersion } from './peers.js';

export interface EmmettAppendParams {
  appends: number;
  streams: number;
  [key: string]: number;
}

type ProgressEvent = Event<'ProcessProgressed', { step: number; line: string }>;

/** `PRAGMA synchronous` and the SQLite version of a fresh node-sqlite3 connection in WAL mode. */
export async function sqlite3Defaults(path: string): Promise<{ synchronous: number; sqlite: string }> {
  const sqlite3 = (await import('sqlite3')).default;
  const db = new sqlite3.Database(path);
  const get = (sql: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) =>
      db.get(sql, (err: Error | null, row: Record<string, unknown>) => (err ? reject(err) : resolve(row))),
    );
  try {
    await get('PRAGMA journal_mode = WAL');
    const synchronous = Number((await get('PRAGMA synchronous')).synchronous);
    const sqlite = String((await get('SELECT sqlite_version() AS v')).v);
    return { synchronous, sqlite };
  } finally {
    await new Promise<void>((resolve) => db.close(() => resolve()));
  }
}

export const SYNC_NAMES = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

/** Attempts of one call before an `SQLITE_BUSY` is reported as a failure. */
const BUSY_ATTEMPTS = 5;

/**
 * Runs `call`, retrying it when it rejects with `SQLITE_BUSY` (counted in `retries.busy`).
 * emmett-sqlite 0.38.5 intermittently fails an append (a few in 2,000 on a busy machine) with
 * `SQLITE_BUSY: cannot commit transaction - SQL statements in progress`. Probable cause: it reads
 * `UPDATE … RETURNING` with node-sqlite3's `Database#get`, which steps the statement once and
 * queues its finalize, while the COMMIT is another statement that the (non-serialized) connection
 * may run first. The transaction is rolled back, so an application retries the append as is; the
 * retry time is part of the measured phase, and the final check proves nothing was written twice.
 */
export async function retryBusy<T>(call: () => Promise<T>, retries: { busy: number }): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SQLITE_BUSY' || attempt >= BUSY_ATTEMPTS) throw error;
      retries.busy++;
    }
  }
}

/**
 * emmett-sqlite's `withTransaction` prints every error it rolls back with `console.log`: keep those
 * out of the result stream (stdout) by sending them to stderr, counted.
 */
export function routeConsoleLogToStderr(): void {
  console.log = (...args: unknown[]) => {
    process.stderr.write(
      `[emmett-sqlite console.log] ${args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ')}\n`,
    );
  };
}

/**
 * `appends` calls of `appendToStream` with one event (~100 B data) each, round-robin over `streams`
 * streams, each with the stream's expected version (0 creates it). Afterwards (not timed) a stale
 * expected version must be rejected with `ExpectedVersionConflictError`, and every stream must hold
 * exactly its events.
 */
export async function emmettAppends(dbPath: string, p: EmmettAppendParams): Promise<Measurement> {
  const { getSQLiteEventStore } = await import('@event-driven-io/emmett-sqlite');
  routeConsoleLogToStderr();
  const retries = { busy: 0 };
  const store = getSQLiteEventStore({ fileName: dbPath });
  const names = Array.from({ length: p.streams }, (_, s) => `bench-${s}`);
  const versions = new Map<string, bigint>(names.map((n) => [n, 0n]));
  // Schema creation happens on the first call: do it before the timed phase with a throwaway stream.
  await store.appendToStream<ProgressEvent>('warmup-0', [{ type: 'ProcessProgressed', data: { step: 0, line: '' } }], {
    expectedStreamVersion: 0n,
  });
  const line = 'x'.repeat(64);
  const { ms, cpuMs, io } = await timed(async () => {
    for (let i = 0; i < p.appends; i++) {
      const name = names[i % p.streams] as string;
      const expected = versions.get(name) as bigint;
      const result = await retryBusy(
        () =>
          store.appendToStream<ProgressEvent>(name, [{ type: 'ProcessProgressed', data: { step: i, line } }], {
            expectedStreamVersion: expected,
          }),
        retries,
      );
      if (result.nextExpectedStreamVersion !== expected + 1n) {
        throw new Error(`stream ${name} at ${result.nextExpectedStreamVersion}, expected ${expected + 1n}`);
      }
      versions.set(name, result.nextExpectedStreamVersion);
    }
  });
  // The expected-version check works: a stale version is refused.
  const first = names[0] as string;
  let conflictRejected = false;
  try {
    await store.appendToStream<ProgressEvent>(first, [{ type: 'ProcessProgressed', data: { step: -1, line } }], {
      expectedStreamVersion: (versions.get(first) as bigint) - 1n,
    });
  } catch (error) {
    // emmett-sqlite bundles its own copy of emmett's error classes, so emmett's
    // `isExpectedVersionConflictError` (an instanceof check) does not recognise them: check the
    // ConcurrencyError code and message instead.
    const conflict =
      (error as { errorCode?: unknown }).errorCode === 412 && /^Expected version/.test(String((error as Error).message));
    if (!conflict) throw error;
    conflictRejected = true;
  }
  if (!conflictRejected) throw new Error('emmett accepted a stale expected version');
  let stored = 0;
  for (const name of names) {
    const read = await store.readStream<ProgressEvent>(name);
    if (read.currentStreamVersion !== versions.get(name)) {
      throw new Error(`stream ${name} reads version ${read.currentStreamVersion}, expected ${versions.get(name)}`);
    }
    stored += read.events.length;
  }
  if (stored !== p.appends) throw new Error(`streams hold ${stored} events, expected ${p.appends}`);
  const defaults = await sqlite3Defaults(dbPath);
  return {
    ops: p.appends,
    ms,
    cpuMs,
    io,
    notes: {
      streams: p.streams,
      storedEvents: stored,
      busyRetries: retries.busy,
      conflictRejected: 'yes',
      emmett: installedVersion('@event-driven-io/emmett'),
      synchronous: SYNC_NAMES[defaults.synchronous] ?? String(defaults.synchronous),
      'emmett-sqlite': installedVersion('@event-driven-io/emmett-sqlite'),
      sqlite3: `${installedVersion('sqlite3')} (SQLite ${defaults.sqlite})`,
    },
  };
}
