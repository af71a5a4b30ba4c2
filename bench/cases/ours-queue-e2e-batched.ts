import { defineCase } from '../lib/case.js';
import { queueEndToEnd } from '../lib/jobs.js';

interface Params {
  jobs: number;
  batch: number;
  [key: string]: number;
}

/**
 * The same jobs as `ours-queue-e2e`, enqueued the same way (one command each) but as `join` work
 * (slot policy `join`, the default merge key), so one claim takes up to `batch` of them and one
 * commit settles them all: the route the API offers when per-step commits are too slow
 * (bench/README.md, "Why the write cases trail raw"). Exclusive batches are always claimed alone.
 * No target; it shows what settling in batches buys next to plainjob.
 */
export default defineCase<Params>({
  name: 'ours-queue-e2e-batched',
  section: 'ours',
  title:
    'queued work end to end with batched settlement: `enqueueQueuedWork` of every job as `join` work (one command each, ~256 B JSON payload), then one worker loops `claimReadyQueuedWork(max 16)` → read every payload → one `commitRuntimeState` completing the claim, until the queue is empty; the rate counts jobs over the whole phase',
  durability: 'WAL, synchronous=NORMAL (Store default) — like plainjob',
  unit: 'jobs/s',
  anchor: 'peer-plainjob',
  params: { full: { jobs: 2_000, batch: 16 }, quick: { jobs: 300, batch: 16 } },
  measure: (ctx, p) => queueEndToEnd(ctx.dbPath, { jobs: p.jobs, batch: p.batch, slotPolicy: 'join' }),
});
