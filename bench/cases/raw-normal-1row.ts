import { defineCase } from '../lib/case.js';
import { type RawParams, rawInserts } from '../lib/raw.js';

export default defineCase<RawParams>({
  name: 'raw-normal-1row',
  section: 'raw',
  title: 'raw better-sqlite3: one ~1 KiB row per `BEGIN IMMEDIATE … COMMIT`, prepared INSERT',
  durability: 'WAL, synchronous=NORMAL',
  unit: 'txn/s',
  params: {
    full: { transactions: 20_000, rowsPerTxn: 1, synchronous: 'NORMAL' },
    quick: { transactions: 2_000, rowsPerTxn: 1, synchronous: 'NORMAL' },
  },
  measure: (ctx, p) => rawInserts(ctx.dbPath, p),
});
