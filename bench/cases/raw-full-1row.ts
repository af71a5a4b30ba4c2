import { defineCase } from '../lib/case.js';
import { type RawParams, rawInserts } from '../lib/raw.js';

export default defineCase<RawParams>({
  name: 'raw-full-1row',
  section: 'raw',
  title: 'raw better-sqlite3: one ~1 KiB row per transaction, WAL fsynced on every commit',
  durability: 'WAL, synchronous=FULL',
  unit: 'txn/s',
  anchor: 'raw-normal-1row',
  params: { full: { transactions: 2_000, rowsPerTxn: 1, synchronous: 'FULL' } },
  measure: (ctx, p) => rawInserts(ctx.dbPath, p),
});
