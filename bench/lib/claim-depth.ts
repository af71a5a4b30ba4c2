/**
 * Claim latency on a deep queue: a fixture holds `depth` ready batches; each measured step claims
 * the head of the queue (`claimReadyQueuedWork`, max 1) and abandons the claim, so the depth stays
 * constant. The notes give the claim's p50/p99 (the abandon is not in the samples).
 */
import { completionOf, fenceOf, Store } from 'lash-event-store';
import { type BenchCase, defineCase, timed } from './case.js';
import { jobDraft } from './jobs.js';
import { quantile } from './latency.js';
import { LONG_TTL_MS, OWNER, SESSION_ID, turnCommit } from './session.js';

export interface ClaimDepthParams {
  depth: number;
  claims: number;
  [key: string]: number;
}

/** Batches enqueued per fixture commit (its outbox). */
const PER_COMMIT = 1_000;

/** Enqueues `depth` batches through commit outboxes (1,000 per transaction), then releases the lease. */
async function buildQueue(path: string, p: ClaimDepthParams) {
  const store = await Store.open(path);
  try {
    const claim = await store.tryClaimSessionExecutionLease(SESSION_ID, OWNER, LONG_TTL_MS);
    if (claim.kind !== 'acquired') throw new Error('fixture: lease busy');
    let turn = 0;
    for (let from = 0; from < p.depth; from += PER_COMMIT) {
      turn++;
      const last = turn * PER_COMMIT >= p.depth;
      const drafts = Array.from({ length: Math.min(PER_COMMIT, p.depth - from) }, (_, i) => jobDraft(from + i));
      await store.commitRuntimeState({
        ...turnCommit(turn, fenceOf(claim.lease), last ? completionOf(claim.lease) : null),
        enqueuedQueueBatches: drafts,
      });
    }
    const pending = (await store.listPendingQueuedWork(SESSION_ID)).length;
    if (pending !== p.depth) throw new Error(`fixture: ${pending} pending batches, expected ${p.depth}`);
    return { depth: pending, commits: turn };
  } finally {
    await store.close();
  }
}

export function claimDepthCase(
  name: string,
  p: ClaimDepthParams,
  quick: ClaimDepthParams | undefined,
  extra: Partial<BenchCase<ClaimDepthParams>>,
) {
  return defineCase<ClaimDepthParams>({
    name,
    section: 'ours',
    title: `claim latency at queue depth ${p.depth.toLocaleString('en-US')}: \`claimReadyQueuedWork(max 1)\` of the queue's head, then \`abandonQueuedWorkClaim\` (depth stays constant); rate = claim + abandon cycles, \`p50Ms\`/\`p99Ms\` = the claim alone; peak RSS includes the check afterwards that the depth is unchanged (\`listPendingQueuedWork\` reads every batch)`,
    durability: 'WAL, synchronous=NORMAL (Store default)',
    unit: 'claims/s',
    params: quick ? { full: p, quick } : { full: p },
    fixture: buildQueue,
    async measure(ctx, params) {
      const store = await Store.open(ctx.dbPath);
      try {
        const lease = await store.tryClaimSessionExecutionLease(SESSION_ID, OWNER, LONG_TTL_MS);
        if (lease.kind !== 'acquired') throw new Error('could not claim the session lease');
        const fence = fenceOf(lease.lease);
        const samples: number[] = [];
        const { ms, cpuMs, io } = await timed(async () => {
          for (let i = 0; i < params.claims; i++) {
            const t0 = performance.now();
            const claim = await store.claimReadyQueuedWork(SESSION_ID, fence, OWNER, 'idle', 1);
            samples.push(performance.now() - t0);
            if (claim === null || claim.batches.length !== 1) throw new Error('the queue head could not be claimed');
            await store.abandonQueuedWorkClaim(claim);
          }
        });
        const pending = (await store.listPendingQueuedWork(SESSION_ID)).length;
        if (pending !== params.depth) throw new Error(`depth ${pending} after the run, expected ${params.depth}`);
        const round3 = (x: number) => Math.round(x * 1000) / 1000;
        return {
          ops: params.claims,
          ms,
          cpuMs,
          io,
          notes: { depth: pending, p50Ms: round3(quantile(samples, 0.5)), p99Ms: round3(quantile(samples, 0.99)) },
        };
      } finally {
        await store.close();
      }
    },
    ...extra,
  });
}
