import { defineCase } from '../lib/case.js';
import { type RawParams, rawInserts } from '../lib/raw.js';

export default defineCase<RawParams>({
  name: 'raw-normal-100rows',
  section: 'raw',
  title: 'raw better-sqlite3: 100 ~1 KiB rows per transaction (rate counts rows)',
  durability: 'WAL, synchronous=NORMAL',
  unit: 'rows/s',
  anchor: 'raw-normal-1row',
  params: { full: { transactions: 500, rowsPerTxn: 100, synchronous: 'NORMAL' } },
  measure: (ctx, p) => rawInserts(ctx.dbPath, p),
});
