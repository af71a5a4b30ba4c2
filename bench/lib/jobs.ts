/**
 * The job of the queue workloads (ours, plainjob, liteque): a ~256-byte JSON payload, enqueued one
 * call (one transaction) per job, then claimed and completed one at a time by one worker whose
 * handler only reads the payload.
 */
import {
  fenceOf,
  type QueuedWorkBatchDraft,
  type QueuedWorkClaim,
  queuedWorkCompletionOf,
  type RuntimeCommit,
  type SessionExecutionLeaseFence,
  type SlotPolicy,
  Store,
} from 'lash-event-store';
import { type Measurement, timed } from './case.js';
import { LONG_TTL_MS, OWNER, SESSION_ID, turnCommit } from './session.js';

export interface JobData {
  job: number;
  kind: string;
  processId: string;
  detail: string;
  [key: string]: string | number;
}

const DETAIL = 'build finished: 14 targets, 0 failures; artifacts uploaded to the cache; next step is the deploy gate. ';

/** The payload of job `i`: about 256 bytes of JSON. */
export function jobData(i: number): JobData {
  return {
    job: i,
    kind: 'process-wake',
    processId: `proc-${i.toString(36).padStart(6, '0')}`,
    detail: DETAIL.repeat(2).slice(0, 180),
  };
}

/** JSON length of a job payload (for the notes). */
export const JOB_BYTES = JSON.stringify(jobData(123_456)).length;

/** Throws unless `data` is the payload of some job (the handler's whole work: read it). */
export function checkJob(data: unknown): number {
  const job = (data as Partial<JobData> | null)?.job;
  if (typeof job !== 'number') throw new Error(`not a job payload: ${JSON.stringify(data)}`);
  return job;
}

/** Our queued-work batch of job `i`: one exclusive `processWake` item, no source key. */
export function jobDraft(i: number): QueuedWorkBatchDraft {
  return {
    sessionId: SESSION_ID,
    sourceKey: null,
    deliveryPolicy: 'afterCurrentTurnCommit',
    slotPolicy: 'exclusive',
    payloads: [{ kind: 'processWake', wake: jobData(i) }],
  };
}

/**
 * The commit that completes `claim` and nothing else: no node, no usage delta, the head CAS at
 * `headRevision` (the graph keeps `leafNodeId`).
 */
export function settleCommit(
  headRevision: number,
  fence: SessionExecutionLeaseFence,
  claim: QueuedWorkClaim,
  leafNodeId: string | null,
): RuntimeCommit {
  return {
    ...turnCommit(headRevision + 1, fence, null),
    graph: { kind: 'append', nodes: [], leafNodeId },
    usageDeltas: [],
    completedQueueClaims: [queuedWorkCompletionOf(claim)],
  };
}

/** How the queue workload enqueues and settles its jobs. */
export interface QueueRunParams {
  jobs: number;
  /** `max` of each `claimReadyQueuedWork`; every claim is settled by one commit. */
  batch: number;
  /** `exclusive` batches are always claimed alone; `join` lets one claim take up to `batch`. */
  slotPolicy: SlotPolicy;
}

/**
 * The measured queue workload on a file `Store`: `enqueueQueuedWork` of every job (one command
 * each), then one worker loops claim → read every payload → one `commitRuntimeState` completing the
 * claim, until the queue is empty. The rate counts jobs over the whole phase.
 */
export async function queueEndToEnd(dbPath: string, p: QueueRunParams): Promise<Measurement> {
  const store = await Store.open(dbPath);
  try {
    const lease = await store.tryClaimSessionExecutionLease(SESSION_ID, OWNER, LONG_TTL_MS);
    if (lease.kind !== 'acquired') throw new Error('could not claim the session lease');
    const fence = fenceOf(lease.lease);
    let revision = 0;
    let completed = 0;
    let commits = 0;
    const { ms, cpuMs, io } = await timed(async () => {
      for (let i = 0; i < p.jobs; i++) await store.enqueueQueuedWork({ ...jobDraft(i), slotPolicy: p.slotPolicy });
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
    const events = (await store.readEvents()).length;
    return { ops: p.jobs, ms, cpuMs, io, notes: { completed, commits, batch: p.batch, jobBytes: JOB_BYTES, events } };
  } finally {
    await store.close();
  }
}
