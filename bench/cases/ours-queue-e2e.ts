import { defineCase } from '../lib/case.js';
import { queueEndToEnd } from '../lib/jobs.js';

interface Params {
  jobs: number;
  [key: string]: number;
}

export default defineCase<Params>({
  name: 'ours-queue-e2e',
  section: 'ours',
  title:
    'queued work end to end on a file `Store`: `enqueueQueuedWork` of every job (one command each, ~256 B JSON payload), then one worker loops `claimReadyQueuedWork(max 1)` → read the payload → `commitRuntimeState` completing the claim (`queuedWorkCompletionOf`, head CAS, no node) until the queue is empty; the rate counts jobs over the whole phase',
  durability: 'WAL, synchronous=NORMAL (Store default) — like plainjob',
  unit: 'jobs/s',
  anchor: 'peer-plainjob',
  targets: [{ label: 'queued-work end-to-end ≥ 1.5× plainjob (both NORMAL)', anchor: 'peer-plainjob', min: 1.5 }],
  params: { full: { jobs: 2_000 }, quick: { jobs: 300 } },
  measure: (ctx, p) => queueEndToEnd(ctx.dbPath, { jobs: p.jobs, batch: 1, slotPolicy: 'exclusive' }),
});
