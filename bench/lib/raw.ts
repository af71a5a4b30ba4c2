/**
 * The raw better-sqlite3 ceiling: the least a durable append can cost on this machine. One table,
 * one prepared INSERT of a ~1 KiB blob, `BEGIN IMMEDIATE … COMMIT` around `rowsPerTxn` rows.
 */
import Database from 'better-sqlite3';
import { type Measurement, timed } from './case.js';

/** Payload of every raw row: 1 KiB of incompressible-looking bytes. */
const ROW = Buffer.from(Array.from({ length: 1024 }, (_, i) => (i * 131 + 7) & 0xff));

export interface RawParams {
  transactions: number;
  rowsPerTxn: number;
  synchronous: 'NORMAL' | 'FULL';
  [key: string]: number | string | boolean;
}

/** Runs `transactions` write transactions of `rowsPerTxn` rows each; ops = rows when batching. */
export async function rawInserts(dbPath: string, p: RawParams): Promise<Measurement> {
  const db = new Database(dbPath);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${p.synchronous}`);
    db.exec('CREATE TABLE rows (id INTEGER PRIMARY KEY, body BLOB NOT NULL, created_at_ms INTEGER NOT NULL)');
    const insert = db.prepare('INSERT INTO rows (body, created_at_ms) VALUES (?, ?)');
    const begin = db.prepare('BEGIN IMMEDIATE');
    const commit = db.prepare('COMMIT');
    const { ms, cpuMs, io } = await timed(() => {
      for (let t = 0; t < p.transactions; t++) {
        begin.run();
        for (let r = 0; r < p.rowsPerTxn; r++) insert.run(ROW, Date.now());
        commit.run();
      }
    });
    const stored = db.prepare('SELECT count(*) FROM rows').pluck().get() as number;
    const expected = p.transactions * p.rowsPerTxn;
    if (stored !== expected) throw new Error(`raw insert stored ${stored} rows, expected ${expected}`);
    return { ops: p.rowsPerTxn === 1 ? p.transactions : expected, ms, cpuMs, io, notes: { rows: stored } };
  } finally {
    db.close();
  }
}
