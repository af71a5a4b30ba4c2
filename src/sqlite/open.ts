/**
 * Opening a database of any kind (20-blobs-attachments-lifecycle §7): pragmas, the WAL switch with a
 * manual retry (SQLite does not call the busy handler for journal-mode changes), and the schema gate
 * run inside one IMMEDIATE transaction so concurrent first openers never see a half-built schema.
 */
import Database from 'better-sqlite3';
import { type Clock, monotonicNow, sleepOn } from '../clock.js';
import { backendError, type LashStoreError, toAreaError } from '../errors.js';
import { ddlStatements } from './ddl.js';
import { applicationIdLabel, BUSY_TIMEOUT_MS, type KindInfo } from './kinds.js';

/** A better-sqlite3 connection. */
export type Db = Database.Database;

/** How to open. */
export interface OpenOptions {
  clock: Clock;
  readonly?: boolean;
}

/** The environment variable of the bench-only durability switch (docs/decisions.md). */
const SYNCHRONOUS_ENV = 'LASH_SQLITE_SYNCHRONOUS';

/**
 * The `synchronous` level of a writable connection: NORMAL, as the spec fixes it, unless
 * `LASH_SQLITE_SYNCHRONOUS` names FULL or EXTRA. That switch exists for benchmarks that compare with
 * libraries which fsync every commit; it is read at each open and is not part of the public API.
 */
function synchronousLevel(): 'NORMAL' | 'FULL' | 'EXTRA' {
  const value = process.env[SYNCHRONOUS_ENV];
  if (value === undefined || value === '') return 'NORMAL';
  const level = value.toUpperCase();
  if (level === 'NORMAL' || level === 'FULL' || level === 'EXTRA') return level;
  throw new Error(`${SYNCHRONOUS_ENV} must be NORMAL, FULL or EXTRA, got ${JSON.stringify(value)}`);
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** Refusal of a database whose `user_version` is not this binary's. */
export function schemaVersionMismatch(info: KindInfo, found: number): LashStoreError {
  const message = `Unsupported lash ${info.label} schema: this binary supports schema version ${info.schemaVersion}, but the database reports version ${found}. There is no migration chain — delete the ${info.label} database and start fresh.`;
  return new info.errorClass('SchemaVersionMismatch', message, {
    databaseKind: info.kind,
    expected: info.schemaVersion,
    found,
  });
}

/** Refusal of a database of another kind (its `application_id` is another marker). */
export function databaseKindMismatch(info: KindInfo, found: number): LashStoreError {
  const message = `Not a lash ${info.label} database: its application_id is ${found} (${applicationIdLabel(found)}), expected ${info.applicationId}. Open it with the matching store.`;
  return new info.errorClass('DatabaseKindMismatch', message, {
    databaseKind: info.kind,
    expectedApplicationId: info.applicationId,
    foundApplicationId: found,
  });
}

async function switchToWal(db: Db, clock: Clock, info: KindInfo): Promise<void> {
  const started = monotonicNow(clock);
  let delay = 1;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if (!isBusy(error)) throw error;
      if (monotonicNow(clock) - started >= BUSY_TIMEOUT_MS) {
        throw backendError(info.errorClass, `could not switch to WAL within ${BUSY_TIMEOUT_MS} ms: ${String(error)}`, error);
      }
      await sleepOn(clock, delay);
      delay = Math.min(delay * 2, 50);
    }
  }
}

function hasUserObjects(db: Db): boolean {
  const row = db
    .prepare(
      "SELECT count(*) AS n FROM sqlite_master WHERE type IN ('table','index','trigger','view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
    )
    .get() as { n: number };
  return row.n > 0;
}

function pragmaNumber(db: Db, name: string): number {
  return db.pragma(name, { simple: true }) as number;
}

/**
 * What the gate decides for the database as the connection sees it now: `'initialise'` (empty),
 * `'open'` (this kind at this version) or the refusal. Run it inside one transaction so the version
 * and the schema objects come from one snapshot.
 */
function gateDecision(db: Db, info: KindInfo): 'initialise' | 'open' | LashStoreError {
  const version = pragmaNumber(db, 'user_version');
  if (version === 0 && !hasUserObjects(db)) return 'initialise';
  if (version !== info.schemaVersion) return schemaVersionMismatch(info, version);
  const appId = pragmaNumber(db, 'application_id');
  if (appId !== info.applicationId) return databaseKindMismatch(info, appId);
  return 'open';
}

/**
 * Refuses, before the WAL switch rewrites the file header, a database the gate would refuse anyway,
 * so a refused open leaves the file exactly as it was. A refusal cannot be a race with a concurrent
 * first opener: initialisation commits the schema and the version together.
 */
function precheckGate(db: Db, info: KindInfo): void {
  const decision = db.transaction(() => gateDecision(db, info)).deferred();
  if (typeof decision !== 'string') throw decision;
}

/** The schema gate: initialise an empty database, accept a matching one, refuse anything else. */
function runSchemaGate(db: Db, info: KindInfo): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    const decision = gateDecision(db, info);
    if (typeof decision !== 'string') throw decision;
    if (decision === 'initialise') {
      for (const sql of ddlStatements(info.ddlFolder)) db.exec(sql);
      db.pragma(`user_version = ${info.schemaVersion}`);
      db.pragma(`application_id = ${info.applicationId}`);
    }
    db.exec('COMMIT');
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

function checkReadonlyGate(db: Db, info: KindInfo): void {
  const version = pragmaNumber(db, 'user_version');
  if (version !== info.schemaVersion) throw schemaVersionMismatch(info, version);
  const appId = pragmaNumber(db, 'application_id');
  if (appId !== info.applicationId) throw databaseKindMismatch(info, appId);
}

/**
 * Opens `path` (or `':memory:'`) as a database of `info`'s kind. The parent folder must exist.
 * Rejects with the kind's error class; a failed open closes the connection.
 */
export async function openDatabase(path: string, info: KindInfo, options: OpenOptions): Promise<Db> {
  let db: Db | undefined;
  try {
    if (options.readonly) {
      db = new Database(path, { readonly: true, fileMustExist: true, timeout: 1000 });
      db.pragma('busy_timeout = 1000');
      checkReadonlyGate(db, info);
      db.pragma('cache_size = -500');
      return db;
    }
    db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    if (path !== ':memory:') {
      precheckGate(db, info);
      await switchToWal(db, options.clock, info);
    }
    db.pragma(`synchronous = ${synchronousLevel()}`);
    db.pragma('foreign_keys = ON');
    runSchemaGate(db, info);
    db.pragma('cache_size = -2000');
    return db;
  } catch (error) {
    try {
      db?.close();
    } catch {
      // the open already failed; the close error adds nothing
    }
    throw toAreaError(info.errorClass, error);
  }
}
