import { defineCase } from '../lib/case.js';
import { type ProcessAppendParams, processAppends, useSynchronous } from '../lib/process-append.js';

export default defineCase<ProcessAppendParams>({
  name: 'ours-full-append-1000streams',
  section: 'ours',
  title:
    'event append at synchronous=FULL: `appendEvent` on a file `SqliteProcessRegistry`, one event (~100 B payload) per call and transaction, round-robin over 1,000 registered processes (streams); the sequence is assigned and checked in the transaction (no caller-supplied expected version)',
  durability: 'WAL, synchronous=FULL (`LASH_SQLITE_SYNCHRONOUS=FULL`) — like emmett-sqlite',
  unit: 'appends/s',
  anchor: 'peer-emmett-append-1000streams',
  targets: [
    {
      label: 'event append ≥ 15× emmett-sqlite at equal durability (FULL), 1,000 streams',
      anchor: 'peer-emmett-append-1000streams',
      min: 15,
    },
  ],
  params: { full: { appends: 2_000, streams: 1_000 } },
  async measure(ctx, p) {
    useSynchronous('FULL');
    return processAppends(ctx.dbPath, p);
  },
});
