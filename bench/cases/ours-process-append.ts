import { defineCase } from '../lib/case.js';
import { type ProcessAppendParams, processAppends, useSynchronous } from '../lib/process-append.js';

export default defineCase<ProcessAppendParams>({
  name: 'ours-process-append',
  section: 'ours',
  title:
    '`appendEvent` on a file `SqliteProcessRegistry`: one unkeyed non-terminal process event (~100 B payload) per call, each its own `BEGIN IMMEDIATE` command, one process (stream)',
  durability: 'WAL, synchronous=NORMAL (registry default)',
  unit: 'appends/s',
  anchor: 'raw-normal-1row',
  targets: [{ label: 'appendEvent ≥ 0.4× raw one-row transactions (NORMAL)', anchor: 'raw-normal-1row', min: 0.4 }],
  params: { full: { appends: 10_000, streams: 1 }, quick: { appends: 1_000, streams: 1 } },
  async measure(ctx, p) {
    useSynchronous('NORMAL');
    return processAppends(ctx.dbPath, p);
  },
});
