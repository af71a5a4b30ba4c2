import { defineCase } from '../lib/case.js';
import { type EmmettAppendParams, emmettAppends } from '../lib/emmett.js';

export default defineCase<EmmettAppendParams>({
  name: 'peer-emmett-append-1000streams',
  section: 'peer',
  title:
    '@event-driven-io/emmett-sqlite 0.38.5 (node-sqlite3 5.1.7): `appendToStream` of one event (~100 B data) per call, 1,000 streams, round-robin, each with its expected stream version (a stale one is checked to be refused afterwards); as shipped, every call opens and closes its own connection',
  durability: 'WAL, synchronous=FULL (node-sqlite3 default, checked)',
  unit: 'appends/s',
  anchor: 'raw-full-1row',
  params: { full: { appends: 2_000, streams: 1_000 } },
  measure: (ctx, p) => emmettAppends(ctx.dbPath, p),
});
