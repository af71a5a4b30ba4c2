/**
 * Re-deriving projections from the log: rebuild in place, derive into a scratch database (verify and
 * compaction snapshots), and dump/restore snapshots. Replay reads events in pages because a
 * better-sqlite3 connection cannot run other statements while an iterator is open.
 */
import Database from 'better-sqlite3';
import { InflateLimitError, inflateBounded, pack, unpack, zlib } from '../codec.js';
import { type AreaErrorClass, corruptData } from '../errors.js';
import type { EventLog } from '../events/log.js';
import type { ProjectionMismatch, VerifyReport } from '../events/types.js';
import type { JsonValue } from '../json.js';
import { ddlStatements } from '../sqlite/ddl.js';
import type { Db } from '../sqlite/open.js';
import type { ProjectionSpec, ProjectionTable } from './types.js';

const PAGE = 2000;

/** A projection snapshot: every projection table's columns and rows as of `seq`. */
export interface ProjectionSnapshot {
  seq: number;
  tables: Record<string, { columns: string[]; rows: unknown[][] }>;
}

/** The latest stored snapshot, or null. Undecodable snapshots raise `CorruptData`. */
export function loadLatestSnapshot(db: Db, cls: AreaErrorClass, maxInflated: number): ProjectionSnapshot | null {
  const row = db
    .prepare('SELECT snapshot_seq, codec, payload FROM projection_snapshots ORDER BY snapshot_seq DESC LIMIT 1')
    .get() as { snapshot_seq: number; codec: number; payload: Uint8Array } | undefined;
  if (!row) return null;
  try {
    if (row.codec !== 0 && row.codec !== 1) throw new Error(`unknown snapshot codec ${row.codec}`);
    const bytes = row.codec === 1 ? inflateBounded(row.payload, maxInflated) : row.payload;
    const decoded = unpack(bytes) as ProjectionSnapshot;
    if (typeof decoded !== 'object' || decoded === null || typeof decoded.tables !== 'object') {
      throw new Error('snapshot is not a table map');
    }
    return { seq: row.snapshot_seq, tables: decoded.tables };
  } catch (error) {
    const detail = error instanceof InflateLimitError ? error.message : `undecodable snapshot: ${(error as Error).message}`;
    throw corruptData(cls, 'projection_snapshots', String(row.snapshot_seq), detail, error);
  }
}

/**
 * Encodes a snapshot for the `projection_snapshots` table: `[codec, payload]`, zlib-compressed unless
 * it is larger than the inflation bound the handle reads it back with (then stored as is).
 */
export function encodeSnapshot(snapshot: ProjectionSnapshot, maxInflated: number): [number, Uint8Array] {
  const bytes = pack({ seq: snapshot.seq, tables: snapshot.tables });
  return bytes.length <= maxInflated ? [1, zlib(bytes)] : [0, bytes];
}

function restoreSnapshot(db: Db, spec: ProjectionSpec, snapshot: ProjectionSnapshot): void {
  for (const table of spec.tables) {
    const data = snapshot.tables[table.name];
    if (!data || data.rows.length === 0) continue;
    const cols = data.columns.map((c) => `"${c}"`).join(', ');
    const insert = db.prepare(`INSERT INTO "${table.name}" (${cols}) VALUES (${data.columns.map(() => '?').join(', ')})`);
    for (const row of data.rows) insert.run(...row);
  }
}

function clearProjections(db: Db, spec: ProjectionSpec): void {
  for (const table of spec.tables) db.prepare(`DELETE FROM "${table.name}"`).run();
}

/** Replays events `(afterSeq, upToSeq]` from `log` into `target` through a fresh projector. */
function replayInto(target: Db, spec: ProjectionSpec, log: EventLog, afterSeq: number, upToSeq: number): number {
  const projector = spec.createProjector(target);
  let cursor = afterSeq;
  let count = 0;
  for (;;) {
    const rows = log.rows(cursor, PAGE);
    for (const row of rows) {
      if (row.seq > upToSeq) return count;
      projector.apply(log.decode(row));
      count++;
      cursor = row.seq;
    }
    if (rows.length < PAGE) return count;
  }
}

/**
 * Drops and re-derives every projection from the latest snapshot plus the log, in the caller's
 * write transaction. Returns the number of events replayed.
 */
export function rebuildInPlace(db: Db, spec: ProjectionSpec, log: EventLog, cls: AreaErrorClass): number {
  const snapshot = loadLatestSnapshot(db, cls, log.maxInflatedBytes);
  clearProjections(db, spec);
  if (snapshot) restoreSnapshot(db, spec, snapshot);
  return replayInto(db, spec, log, snapshot?.seq ?? 0, Number.MAX_SAFE_INTEGER);
}

const emptyImages = new Map<string, Buffer>();

/**
 * A fresh in-memory database with a kind's schema. The schema is built once per process and kept as
 * a serialized image, because running the DDL was most of the cost of every `verifyProjections`.
 */
function emptyScratch(ddlFolder: string): Db {
  let image = emptyImages.get(ddlFolder);
  if (!image) {
    const db = new Database(':memory:');
    for (const sql of ddlStatements(ddlFolder)) db.exec(sql);
    image = db.serialize();
    db.close();
    emptyImages.set(ddlFolder, image);
  }
  return new Database(image);
}

/**
 * Derives the projections as of `upToSeq` into a new in-memory database (latest snapshot + log).
 * The caller closes it. Run inside a read transaction of the live connection for a consistent view.
 */
export function deriveScratch(
  live: Db,
  ddlFolder: string,
  spec: ProjectionSpec,
  log: EventLog,
  cls: AreaErrorClass,
  upToSeq: number,
): { scratch: Db; eventCount: number; fromSeq: number } {
  const scratch = emptyScratch(ddlFolder);
  try {
    const snapshot = loadLatestSnapshot(live, cls, log.maxInflatedBytes);
    const fromSeq = snapshot?.seq ?? 0;
    const run = scratch.transaction(() => {
      if (snapshot) restoreSnapshot(scratch, spec, snapshot);
      return replayInto(scratch, spec, log, fromSeq, upToSeq);
    });
    const eventCount = run();
    return { scratch, eventCount, fromSeq };
  } catch (error) {
    scratch.close();
    throw error;
  }
}

function keyOf(table: ProjectionTable, row: Record<string, unknown>): string {
  return table.key.map((k) => String(row[k])).join('/');
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.from(a).equals(Buffer.from(b));
  return a === b;
}

function rowToJson(row: Record<string, unknown> | undefined): JsonValue {
  if (!row) return null;
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(row)) {
    out[k] =
      v instanceof Uint8Array
        ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
        : typeof v === 'bigint'
          ? Number(v)
          : (v as JsonValue);
  }
  return out;
}

/** Compares every projection table of `live` with `expected`, row by row in key order. */
export function compareProjections(live: Db, expected: Db, spec: ProjectionSpec): ProjectionMismatch[] {
  const mismatches: ProjectionMismatch[] = [];
  for (const table of spec.tables) {
    const order = table.key.map((k) => `"${k}"`).join(', ');
    const sql = `SELECT * FROM "${table.name}" ORDER BY ${order}`;
    const a = live.prepare(sql).all() as Record<string, unknown>[];
    const e = expected.prepare(sql).all() as Record<string, unknown>[];
    const byKey = new Map<string, Record<string, unknown>>();
    for (const row of e) byKey.set(keyOf(table, row), row);
    const seen = new Set<string>();
    for (const row of a) {
      const key = keyOf(table, row);
      seen.add(key);
      const want = byKey.get(key);
      const same = want !== undefined && Object.keys(row).every((col) => sameValue(row[col], want[col]));
      if (!same) mismatches.push({ table: table.name, key, expected: rowToJson(want), actual: rowToJson(row) });
    }
    for (const [key, want] of byKey) {
      if (!seen.has(key)) mismatches.push({ table: table.name, key, expected: rowToJson(want), actual: null });
    }
  }
  return mismatches;
}

/** Dumps every projection table of `db` as a snapshot at `seq`. */
export function dumpSnapshot(db: Db, spec: ProjectionSpec, seq: number): ProjectionSnapshot {
  const tables: ProjectionSnapshot['tables'] = {};
  for (const table of spec.tables) {
    const stmt = db.prepare(`SELECT * FROM "${table.name}" ORDER BY ${table.key.map((k) => `"${k}"`).join(', ')}`);
    const columns = stmt.columns().map((c) => c.name);
    const rows = (stmt.raw(true).all() as unknown[][]).map((row) =>
      row.map((v) => (Buffer.isBuffer(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : v)),
    );
    tables[table.name] = { columns, rows };
  }
  return { seq, tables };
}

/** Builds a verify report from a derivation and a comparison. */
export function verifyReport(eventCount: number, mismatches: ProjectionMismatch[]): VerifyReport {
  return { ok: mismatches.length === 0, eventCount, mismatches };
}
