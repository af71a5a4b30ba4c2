/**
 * Issue #3 item 4: queued work drained by several OS processes contending for ONE session's
 * execution lease on ONE session database (10-session-store §1 "one transactional domain", §3.3,
 * §4). The parent enqueues the batches through one commit's outbox; four child processes
 * (`test/support/workers/queue-drainer.ts`, started together by `runChildren`) loop over
 * acquire → claim 1–5 batches → settle them in `commitRuntimeState` → release, with a short TTL,
 * deliberate stalls past the TTL (so successors take over and the stalled holder is fenced out),
 * and voluntary releases.
 *
 * The contention pattern differs from run to run; the assertions are invariants that hold for every
 * interleaving: every batch is completed exactly once (by the children's account and by the event
 * log), the store holds no queued work afterwards, lease generations are handed out once each and in
 * order, every claim and commit runs under the generation current at that point of the log, the
 * head advanced once per successful commit, and the projections equal the replayed log.
 *
 * Children run on the real clock: lease expiry must be seen by several processes, and a
 * `ManualClock` exists in one process only.
 */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { completionOf, type LeaseOwnerIdentity, type QueuedWorkBatchDraft, Store } from '../../src/index.js';
import { tempDir, track } from '../support/backends.js';
import { base, fenced } from '../support/fixtures.js';
import { runChildren } from '../support/spawn.js';
import type { DrainReport } from '../support/workers/queue-drainer.js';

const SESSION = 'multiprocess-drain';
const BATCHES = 2000;
const CHILDREN = 4;
/** Short enough that stalled holders lose the lease quickly, long enough for a few commits under load. */
const TTL_MS = 250;
/** A child gives up (and fails the test with its counters) well before the test's own timeout. */
const CHILD_DEADLINE_MS = 90_000;
const TIMEOUT_MS = 180_000;

const enqueuer: LeaseOwnerIdentity = { ownerId: 'enqueuer', incarnationId: 'enqueuer:1', liveness: { kind: 'opaque' } };

function batch(i: number): QueuedWorkBatchDraft {
  return {
    sessionId: SESSION,
    sourceKey: `drain:${i}`,
    deliveryPolicy: 'earliestSafeBoundary',
    slotPolicy: 'join', // consecutive batches join, so one claim can take several
    mergeKey: { kind: 'never' },
    availableAtMs: 0,
    payloads: [{ kind: 'processWake', wake: { processId: `process:${i}`, input: `wake ${i}` } }],
  };
}

function strictlyIncreasing(values: number[]): boolean {
  return values.every((v, i) => i === 0 || v > (values[i - 1] as number));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

it(
  `${CHILDREN} OS processes drain ${BATCHES} queued-work batches under one session lease: each completed exactly once`,
  async () => {
    const started = performance.now();
    const path = join(tempDir('lash-drain-'), 'session.db');
    const store = track(await Store.open(path));

    // Enqueue every batch in one transaction: the outbox of a fenced commit (head revision 1, generation 1).
    const claim = await store.tryClaimSessionExecutionLease(SESSION, enqueuer, 60_000);
    if (claim.kind !== 'acquired') throw new Error('the enqueuer must get the fresh lease');
    expect(claim.lease.fencingToken).toBe(1);
    const seeded = await store.commitRuntimeState({
      ...fenced(base(SESSION), claim.lease),
      expectedHeadRevision: 0,
      enqueuedQueueBatches: Array.from({ length: BATCHES }, (_, i) => batch(i)),
    });
    expect(seeded.headRevision).toBe(1);
    const ids = seeded.enqueuedQueueBatches.map((b) => b.batchId);
    expect(new Set(ids).size).toBe(BATCHES);
    expect(await store.listPendingQueuedWork(SESSION)).toHaveLength(BATCHES);
    const enqueuedMs = performance.now() - started;

    const outcomes = await runChildren<DrainReport>(
      'test/support/workers/queue-drainer.ts',
      range(0, CHILDREN - 1).map((i) => [path, SESSION, String(i), String(TTL_MS), String(CHILD_DEADLINE_MS)]),
      TIMEOUT_MS - 10_000,
    );
    const drainedMs = performance.now() - started - enqueuedMs;
    const reports = outcomes.map((outcome, i) => {
      if (outcome.status !== 'fulfilled') throw new Error(`child ${i} failed: ${outcome.code} ${outcome.message}`);
      return outcome.value;
    });
    expect(reports).toHaveLength(CHILDREN);
    expect(new Set(reports.map((r) => r.pid)).size, 'one OS process per child').toBe(CHILDREN);

    // --- The children's account: every batch completed exactly once, by the union of the children.
    const completedBy = new Map<string, number[]>();
    for (const r of reports) {
      for (const id of r.completed) completedBy.set(id, [...(completedBy.get(id) ?? []), r.index]);
    }
    const twice = [...completedBy].filter(([, by]) => by.length > 1);
    expect(twice, 'batches completed more than once').toEqual([]);
    expect([...completedBy.keys()].sort()).toEqual([...ids].sort());
    const workers = reports.filter((r) => r.completed.length > 0);
    expect(workers.length, 'more than one process completed work').toBeGreaterThanOrEqual(2);

    // --- Fencing outcomes: a stalled holder is always taken over and refused; nothing else conflicts.
    const sum = (f: (r: DrainReport) => number) => reports.reduce((n, r) => n + f(r), 0);
    const stalls = sum((r) => r.stalls);
    expect(stalls, 'at least one holder stalled past its TTL').toBeGreaterThanOrEqual(1);
    expect(
      sum((r) => r.stallsTakenOver),
      'every stall ended in a takeover',
    ).toBe(stalls);
    expect(
      sum((r) => r.commitExpired),
      'a stalled holder cannot commit',
    ).toBeGreaterThanOrEqual(stalls);
    // Fence before CAS (§3.1.2 steps 4–5) and the head read after acquiring: a valid fence always
    // sees the latest head, and no other generation can move the claims a valid fence holds.
    expect(sum((r) => r.headConflicts)).toBe(0);
    expect(sum((r) => r.claimsSuperseded)).toBe(0);
    expect(sum((r) => r.nullClaimsWithWork)).toBe(0);

    // --- Generations: each child saw increasing tokens; no token was handed out twice; together
    // with the enqueuer's they are exactly 1..G; the next acquisition gets G + 1.
    for (const r of reports) {
      expect(strictlyIncreasing(r.generations), `child ${r.index} generations ${r.generations}`).toBe(true);
      expect(r.commitGenerations.every((g, i) => i === 0 || g >= (r.commitGenerations[i - 1] as number))).toBe(true);
      expect(r.commitGenerations.every((g) => r.generations.includes(g))).toBe(true);
    }
    const generations = [1, ...reports.flatMap((r) => r.generations)].sort((a, b) => a - b);
    const G = generations.at(-1) as number;
    expect(generations).toEqual(range(1, G));
    const after = await store.tryClaimSessionExecutionLease(SESSION, enqueuer, 60_000);
    if (after.kind !== 'acquired') throw new Error('every child released or lost its lease before exiting');
    expect(after.lease.fencingToken).toBe(G + 1);
    await store.releaseSessionExecutionLease(completionOf(after.lease));

    // --- The head advanced once per successful commit, and each revision came from one commit.
    const commits = sum((r) => r.commits);
    expect(reports.flatMap((r) => r.headRevisions).sort((a, b) => a - b)).toEqual(range(2, commits + 1));
    const head = await store.loadSession({ kind: 'activePath', leafNodeId: null });
    expect(head?.headRevision).toBe(commits + 1);

    // --- The store's own view: no queued work is left, pending or claimed.
    expect(await store.listQueuedWork(SESSION)).toEqual([]);
    expect(await store.listPendingQueuedWork(SESSION)).toEqual([]);
    expect(await store.cancelQueuedWorkBatch(SESSION, ids[0] as string)).toBeNull();

    // --- The event log: acquisitions in token order, every claim under the generation current at
    // that point, every batch completed exactly once, one RuntimeStateCommitted per commit.
    const events = await store.readEvents();
    let current = 0;
    let holder: string | null = null;
    let takeovers = 0;
    let selfReacquisitions = 0;
    let lastClaimGeneration = 0;
    let claimedBatches = 0;
    const completedInLog = new Map<string, number>();
    const acquired: number[] = [];
    for (const event of events) {
      const data = event.data as Record<string, unknown>;
      if (event.type === 'SessionExecutionLeaseAcquired') {
        const owner = (data.owner as LeaseOwnerIdentity).incarnationId;
        if (holder !== null) {
          // Acquired while the previous holder never released: its lease had expired.
          if (holder === owner) selfReacquisitions++;
          else takeovers++;
        }
        holder = owner;
        current = data.fencingToken as number;
        acquired.push(current);
      } else if (event.type === 'SessionExecutionLeaseReleased') {
        holder = null;
      } else if (event.type === 'QueuedWorkClaimed') {
        expect(data.sessionLeaseGeneration, `claim at seq ${event.seq}`).toBe(current);
        expect(current).toBeGreaterThanOrEqual(lastClaimGeneration);
        lastClaimGeneration = current;
        claimedBatches += (data.batchIds as string[]).length;
      } else if (event.type === 'QueuedWorkCompleted') {
        for (const id of data.batchIds as string[]) completedInLog.set(id, (completedInLog.get(id) ?? 0) + 1);
      }
    }
    expect(acquired).toEqual(range(1, G + 1));
    expect([...completedInLog.values()].every((n) => n === 1)).toBe(true);
    expect([...completedInLog.keys()].sort()).toEqual([...ids].sort());
    expect(events.filter((e) => e.type === 'RuntimeStateCommitted')).toHaveLength(commits + 1);
    expect(claimedBatches).toBe(sum((r) => r.claimedBatches));
    expect(takeovers, 'successors took over expired leases').toBeGreaterThanOrEqual(stalls);

    // --- The projections equal the replayed log.
    const verifyStarted = performance.now();
    const report = await store.verifyProjections();
    expect(report.mismatches).toEqual([]);
    expect(report.ok).toBe(true);
    const verifyMs = performance.now() - verifyStarted;

    const figures = {
      batches: BATCHES,
      processes: CHILDREN,
      completedPerProcess: reports.map((r) => r.completed.length),
      commitsPerProcess: reports.map((r) => r.commits),
      acquisitionsPerProcess: reports.map((r) => r.generations.length),
      commits,
      generations: G,
      takeovers,
      selfReacquisitions,
      stalls,
      lostAtCommit: sum((r) => r.commitExpired),
      lostAtClaim: sum((r) => r.claimExpired),
      reclaimedBatches: claimedBatches - BATCHES,
      busyAnswers: sum((r) => r.busy),
      events: events.length,
      enqueueMs: Math.round(enqueuedMs),
      drainMs: Math.round(drainedMs),
      verifyMs: Math.round(verifyMs),
      totalMs: Math.round(performance.now() - started),
    };
    console.log(`queued-work multiprocess drain: ${JSON.stringify(figures)}`);
  },
  TIMEOUT_MS,
);
