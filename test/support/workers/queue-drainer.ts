/**
 * Child process of `test/conformance/queued-work-multiprocess.test.ts`: one of several OS processes
 * that contend for ONE session's execution lease on ONE session database and drain its queued work.
 *
 * `node queue-drainer.js <path> <sessionId> <index> <ttlMs> <deadlineMs>` opens its own `Store`,
 * prints `ready`, starts when a line arrives on stdin, and prints its `DrainReport` as one JSON
 * outcome line (`settle`). Its loop:
 *
 * 1. `tryClaimSessionExecutionLease` with a short TTL; on `busy` back off a few ms and retry.
 * 2. Read the head revision (`loadSession`), the CAS expectation of the next commit.
 * 3. A "hold" of 1–4 turns; each turn claims 1–2 times 1–5 ready batches (`claimReadyQueuedWork`)
 *    and settles them with one `commitRuntimeState` (CAS on the head, fenced by the lease, the
 *    claims in `completedQueueClaims`). After the hold the lease is released voluntarily — in the
 *    last commit (`releaseSessionExecutionLease`) or by a separate release — so others get turns.
 * 4. A fencing error (`SessionExecutionLeaseExpired`) or a CAS/claim conflict means "lost the
 *    lease": the claims in hand are abandoned (a no-op if a successor re-claimed them) and the loop
 *    starts over without releasing (the lost lease is not ours to release).
 * 5. When a claim under a valid fence selects nothing, nothing claimable is left; the child checks
 *    `listQueuedWork` (settled batches are deleted) and stops when it is empty. A child that only
 *    sees `busy` checks the same every 100 ms.
 *
 * To make takeovers certain rather than likely, the child "stalls" holding claims before its 5th
 * commit attempt and every 50th after that: it sleeps past the TTL and keeps sleeping until the
 * event log shows another acquisition of the lease (a successor took over), then tries to commit,
 * which the store must refuse with `SessionExecutionLeaseExpired`.
 *
 * Real time (`systemClock`) on purpose: lease expiry has to be observed by several processes, and a
 * `ManualClock` lives in one process only.
 */
import { createInterface } from 'node:readline';
import { Prng } from '../../../src/crash/prng.js';
import {
  completionOf,
  fenceOf,
  type LeaseOwnerIdentity,
  type QueuedWorkClaim,
  queuedWorkCompletionOf,
  type RuntimeCommit,
  type SessionExecutionLease,
  Store,
} from '../../../src/index.js';
import { emptyRuntimeCommit } from '../../../src/testing.js';
import { settle } from './outcome.js';

/** What a child reports. Every list is in the order the child observed it. */
export interface DrainReport {
  index: number;
  pid: number;
  /** Batch ids settled by this child's successful commits. */
  completed: string[];
  /** Successful `commitRuntimeState` calls (each advanced the head by one). */
  commits: number;
  /** Fencing token of every lease acquisition. */
  generations: number[];
  /** Lease generation of every successful commit. */
  commitGenerations: number[];
  /** Head revision returned by every successful commit. */
  headRevisions: number[];
  /** Claims granted and the batches in them. */
  claims: number;
  claimedBatches: number;
  /** `busy` answers of `tryClaimSessionExecutionLease`. */
  busy: number;
  /** Lost-lease outcomes, by where they were noticed. */
  claimExpired: number;
  commitExpired: number;
  headConflicts: number;
  claimsSuperseded: number;
  /** Voluntary releases: inside the last commit of a hold, or by `releaseSessionExecutionLease`. */
  releasedInCommit: number;
  releasedSeparately: number;
  /** Deliberate stalls past the TTL, and how many of them saw another acquisition of the lease. */
  stalls: number;
  stallsTakenOver: number;
  /** Claims under a valid fence that selected nothing while batches were still stored (must stay 0). */
  nullClaimsWithWork: number;
  elapsedMs: number;
}

const [path, sessionId, indexArg, ttlArg, deadlineArg] = process.argv.slice(2);
const index = Number(indexArg);
const TTL_MS = Number(ttlArg);
const DEADLINE_MS = Number(deadlineArg);
const STALL_FIRST = 5;
const STALL_EVERY = 50;
const STALL_CAP_MS = 20_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Seeded per child, so a child's decisions (not its timing) are reproducible. */
const rng = new Prng(`queue-drainer:${index}`);
const random = () => rng.float();
const between = (lo: number, hi: number) => rng.between(lo, hi);

function codeOf(error: unknown): string | null {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : null;
}

function turn(
  expectedHeadRevision: number,
  lease: SessionExecutionLease,
  claims: QueuedWorkClaim[],
  release: boolean,
): RuntimeCommit {
  return {
    ...emptyRuntimeCommit(sessionId as string),
    expectedHeadRevision,
    sessionExecutionLease: fenceOf(lease),
    releaseSessionExecutionLease: release ? completionOf(lease) : null,
    config: { providerId: 'drainer', model: {} },
    completedQueueClaims: claims.map(queuedWorkCompletionOf),
  };
}

async function drain(store: Store): Promise<DrainReport> {
  const S = sessionId as string;
  const me: LeaseOwnerIdentity = {
    ownerId: `drainer-${index}`,
    incarnationId: `drainer-${index}:${process.pid}`,
    liveness: { kind: 'opaque' },
  };
  const report: DrainReport = {
    index,
    pid: process.pid,
    completed: [],
    commits: 0,
    generations: [],
    commitGenerations: [],
    headRevisions: [],
    claims: 0,
    claimedBatches: 0,
    busy: 0,
    claimExpired: 0,
    commitExpired: 0,
    headConflicts: 0,
    claimsSuperseded: 0,
    releasedInCommit: 0,
    releasedSeparately: 0,
    stalls: 0,
    stallsTakenOver: 0,
    nullClaimsWithWork: 0,
    elapsedMs: 0,
  };
  const started = Date.now();
  let commitAttempts = 0;
  let lastEmptyCheck = 0;
  const queueEmpty = async () => (await store.listQueuedWork(S)).length === 0;

  /** Sleeps past the TTL until the log shows an acquisition after `generation` (a takeover). */
  async function stall(generation: number): Promise<void> {
    report.stalls++;
    await sleep(TTL_MS + 20);
    const until = Date.now() + STALL_CAP_MS;
    let afterSeq = 0;
    while (Date.now() < until) {
      const events = await store.readEvents({ stream: `lease:${S}`, afterSeq });
      for (const event of events) {
        afterSeq = event.seq;
        const data = event.data as { fencingToken?: number };
        if (event.type === 'SessionExecutionLeaseAcquired' && (data.fencingToken ?? 0) > generation) {
          report.stallsTakenOver++;
          return;
        }
      }
      await sleep(10);
    }
  }

  for (;;) {
    if (Date.now() - started > DEADLINE_MS) {
      const { completed, generations, commitGenerations, headRevisions, ...counts } = report;
      const left = (await store.listQueuedWork(S)).length;
      throw new Error(
        `drainer ${index} did not finish within ${DEADLINE_MS} ms: ${left} batches left, ${completed.length} completed here, ` +
          `${generations.length} acquisitions, ${JSON.stringify(counts)}`,
      );
    }
    const outcome = await store.tryClaimSessionExecutionLease(S, me, TTL_MS);
    if (outcome.kind === 'busy') {
      report.busy++;
      if (Date.now() - lastEmptyCheck >= 100) {
        lastEmptyCheck = Date.now();
        if (await queueEmpty()) break;
      }
      await sleep(between(1, 6));
      continue;
    }
    const lease = outcome.lease;
    report.generations.push(lease.fencingToken);
    const fence = fenceOf(lease);
    const head = await store.loadSession({ kind: 'activePath', leafNodeId: null });
    let expected = head ? head.headRevision : 0;
    const turns = between(1, 4);
    const releaseInCommit = random() < 0.5;
    let held = true; // false once the lease is lost or released
    let drained = false;
    for (let t = 0; t < turns && held; t++) {
      // Claim 1–2 times 1–5 batches; a second claim skips the rows the first one holds (R4).
      const claims: QueuedWorkClaim[] = [];
      const wanted = between(1, 2);
      try {
        for (let c = 0; c < wanted; c++) {
          const claim = await store.claimReadyQueuedWork(S, fence, me, 'idle', between(1, 5));
          if (claim === null) break;
          claims.push(claim);
          report.claims++;
          report.claimedBatches += claim.batches.length;
        }
      } catch (error) {
        if (codeOf(error) !== 'SessionExecutionLeaseExpired') throw error;
        report.claimExpired++;
        await store.abandonQueuedWorkClaims(claims);
        held = false;
        break;
      }
      if (claims.length === 0) {
        // Nothing claimable under a valid fence: every batch is settled or held by this generation
        // (none: each turn settles its claims before the next), so the queue should be empty.
        drained = await queueEmpty();
        if (!drained) report.nullClaimsWithWork++;
        break;
      }
      commitAttempts++;
      if (commitAttempts === STALL_FIRST || (commitAttempts > STALL_FIRST && commitAttempts % STALL_EVERY === 0)) {
        await stall(lease.fencingToken);
      }
      const last = t === turns - 1;
      try {
        const result = await store.commitRuntimeState(turn(expected, lease, claims, last && releaseInCommit));
        expected = result.headRevision;
        report.commits++;
        report.commitGenerations.push(lease.fencingToken);
        report.headRevisions.push(result.headRevision);
        for (const claim of claims) for (const batch of claim.batches) report.completed.push(batch.batchId);
        if (last && releaseInCommit) {
          report.releasedInCommit++;
          held = false;
        }
      } catch (error) {
        const code = codeOf(error);
        if (code === 'SessionExecutionLeaseExpired') report.commitExpired++;
        else if (code === 'HeadRevisionConflict') report.headConflicts++;
        else if (code === 'QueuedWorkClaimSuperseded') report.claimsSuperseded++;
        else throw error;
        // Lost the lease: give back whatever a successor has not re-claimed, and start over.
        await store.abandonQueuedWorkClaims(claims);
        held = false;
      }
    }
    if (held) {
      await store.releaseSessionExecutionLease(completionOf(lease));
      report.releasedSeparately++;
    }
    if (drained) break;
    await sleep(between(0, 4)); // let the others in before trying again
  }
  report.elapsedMs = Date.now() - started;
  return report;
}

const lines = createInterface({ input: process.stdin });
const start = new Promise<void>((resolve) => lines.once('line', () => resolve()));
const store = await Store.open(path as string);
process.stdout.write('ready\n');
await start;
lines.close();
try {
  const outcome = await settle(drain(store));
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
} finally {
  await store.close();
}
