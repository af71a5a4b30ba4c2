/**
 * The job of the queue workloads (ours, plainjob, liteque): a ~256-byte JSON payload, enqueued one
 * call (one transaction) per job, then claimed and completed one at a time by one worker whose
 * handler only reads the payload.
 */
import {
  type QueuedWorkBatchDraft,
  type QueuedWorkClaim,
  queuedWorkCompletionOf,
  type RuntimeCommit,
  type SessionExecutionLeaseFence,
} from 'lash-event-store';
import { SESSION_ID, turnCommit } from './session.js';

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
