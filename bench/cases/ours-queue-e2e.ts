import { fenceOf, Store } from 'lash-event-store';
import { defineCase, timed } from '../lib/case.js';
import { checkJob, JOB_BYTES, jobDraft, settleCommit } from '../lib/jobs.js';
import { LONG_TTL_MS, OWNER, SESSION_ID } from '../lib/session.js';

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
  async measure(ctx, p) {
    const store = await Store.open(ctx.dbPath);
    try {
      const lease = await store.tryClaimSessionExecutionLease(SESSION_ID, OWNER, LONG_TTL_MS);
      if (lease.kind !== 'acquired') throw new Error('could not claim the session lease');
      const fence = fenceOf(lease.lease);
      let revision = 0;
      let completed = 0;
      const { ms, cpuMs, io } = await timed(async () => {
        for (let i = 0; i < p.jobs; i++) await store.enqueueQueuedWork(jobDraft(i));
        for (;;) {
          const claim = await store.claimReadyQueuedWork(SESSION_ID, fence, OWNER, 'idle', 1);
          if (claim === null) break;
          const item = claim.batches[0]?.items[0];
          if (item?.payload.kind !== 'processWake') throw new Error('claimed an unexpected batch');
          checkJob(item.payload.wake);
          const result = await store.commitRuntimeState(settleCommit(revision, fence, claim, null));
          revision = result.headRevision;
          completed++;
        }
      });
      const left = (await store.listQueuedWork(SESSION_ID)).length;
      if (completed !== p.jobs || left !== 0) throw new Error(`completed ${completed} of ${p.jobs} jobs, ${left} left`);
      return { ops: p.jobs, ms, cpuMs, io, notes: { completed, jobBytes: JOB_BYTES, events: (await store.readEvents()).length } };
    } finally {
      await store.close();
    }
  },
});
