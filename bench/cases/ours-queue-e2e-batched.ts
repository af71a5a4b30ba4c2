import { fenceOf, Store } from 'lash-event-store';
import { defineCase, timed } from '../lib/case.js';
import { checkJob, JOB_BYTES, jobDraft, settleCommit } from '../lib/jobs.js';
import { LONG_TTL_MS, OWNER, SESSION_ID } from '../lib/session.js';

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
  async measure(ctx, p) {
    const store = await Store.open(ctx.dbPath);
    try {
      const lease = await store.tryClaimSessionExecutionLease(SESSION_ID, OWNER, LONG_TTL_MS);
      if (lease.kind !== 'acquired') throw new Error('could not claim the session lease');
      const fence = fenceOf(lease.lease);
      let revision = 0;
      let completed = 0;
      let commits = 0;
      const { ms, cpuMs, io } = await timed(async () => {
        for (let i = 0; i < p.jobs; i++) await store.enqueueQueuedWork({ ...jobDraft(i), slotPolicy: 'join' });
        for (;;) {
          const claim = await store.claimReadyQueuedWork(SESSION_ID, fence, OWNER, 'idle', p.batch);
          if (claim === null) break;
          for (const batch of claim.batches) {
            const item = batch.items[0];
            if (item?.payload.kind !== 'processWake') throw new Error('claimed an unexpected batch');
            checkJob(item.payload.wake);
          }
          const result = await store.commitRuntimeState(settleCommit(revision, fence, claim, null));
          revision = result.headRevision;
          completed += claim.batches.length;
          commits++;
        }
      });
      const left = (await store.listQueuedWork(SESSION_ID)).length;
      if (completed !== p.jobs || left !== 0) throw new Error(`completed ${completed} of ${p.jobs} jobs, ${left} left`);
      return { ops: p.jobs, ms, cpuMs, io, notes: { completed, commits, batch: p.batch, jobBytes: JOB_BYTES } };
    } finally {
      await store.close();
    }
  },
});
