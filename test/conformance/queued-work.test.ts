/**
 * 10-session-store §7.3.4, §7.4 and Appendix C 2, 3, 17: queued work — source keys, ordered and
 * exact claims, the checkpoint probe, abandon, cancel, generation fencing and lease-less liveness.
 * Every suite runs on a file and a memory store; the harness verifies the projections after each test.
 */
import { describe, expect, it } from 'vitest';
import {
  type LeaseOwnerIdentity,
  processWakeSourceKey,
  type QueuedWorkBatchDraft,
  queuedWorkCompletionOf,
  type RuntimeCommit,
  type Store,
  turnCommitHash,
  turnInputCompletionOf,
} from '../../src/index.js';
import { fenceOf } from '../../src/leases/session-lease.js';
import { ManualClock } from '../../src/testing.js';
import { describeBackends, fileBackend } from '../support/backends.js';
import {
  A,
  activeIn,
  base,
  cmd,
  commitWith,
  DEAD,
  E,
  fenced,
  J,
  lease,
  localOwner,
  nextIn,
  owner,
  PID,
  rejectsWith,
  release,
  text,
  wake,
  X,
} from '../support/fixtures.js';

const ids = (x: { batches: Array<{ batchId: string }> } | null) => (x ? x.batches.map((b) => b.batchId) : null);
const grouped = (d: QueuedWorkBatchDraft, g: string): QueuedWorkBatchDraft => ({ ...d, mergeKey: { kind: 'group', group: g } });

/** `tryClaim` that must be acquired. */
async function acquire(store: Store, S: string, who: LeaseOwnerIdentity, ttl: number) {
  const outcome = await store.tryClaimSessionExecutionLease(S, who, ttl);
  expect(outcome.kind).toBe('acquired');
  if (outcome.kind !== 'acquired') throw new Error('unreachable');
  return outcome.lease;
}

/** The number of events in the log. */
async function eventCount(store: Store): Promise<number> {
  return (await store.readEvents()).length;
}

describeBackends('QueuedWorkStore', (backend) => {
  const open = async (clock = new ManualClock(1_000)) => (await backend.open({ clock })).store;

  it('runtime_persistence_clock_expiry', async () => {
    const clock = new ManualClock(20_000);
    const store = await open(clock);
    const S = 'clock-expiry';
    const stale = owner('clock-expiry-stale');
    const succ = owner('clock-expiry-successor');
    const b = await store.enqueueQueuedWork(wake(S, 'clock expiry queued work', E, X));
    const i = await store.enqueuePendingTurnInput(nextIn(S, 'clock expiry turn input'));
    const sl = await acquire(store, S, stale, 1000);
    const sq = await store.claimReadyQueuedWorkByBatchIds(S, fenceOf(sl), stale, 'idle', [b.batchId]);
    expect(sq).not.toBeNull();
    const si = await store.claimNextTurnInputs(S, fenceOf(sl), stale, 1);
    expect(si).not.toBeNull();
    clock.advance(1001);
    const nl = await acquire(store, S, succ, 1000);
    expect(nl.fencingToken).toBeGreaterThan(sl.fencingToken);
    const nq = await store.claimReadyQueuedWorkByBatchIds(S, fenceOf(nl), succ, 'idle', [b.batchId]);
    expect(nq).not.toBeNull();
    const ni = await store.claimNextTurnInputs(S, fenceOf(nl), succ, 1);
    expect(ni).not.toBeNull();
    expect(nq!.fencingToken).toBeGreaterThan(sq!.fencingToken);
    expect(ni!.fencingToken).toBeGreaterThan(si!.fencingToken);
    await rejectsWith(store.commitRuntimeState(fenced(base(S), sl, false)), 'SessionExecutionLeaseExpired');
    await store.commitRuntimeState({
      ...fenced(base(S), nl),
      completedQueueClaims: [queuedWorkCompletionOf(nq!)],
      completedTurnInputClaims: [turnInputCompletionOf(ni!)],
    });
    expect(sq!.batches[0]?.batchId).toBe(b.batchId);
    expect(si!.inputs[0]?.inputId).toBe(i.inputId);
    expect(await store.listQueuedWork(S)).toEqual([]);
  });

  it('queued_work_source_keys_are_idempotent_and_list_ordered', async () => {
    const store = await open();
    const first = await store.enqueueQueuedWork(wake('root', 'first', E, J, 'source:first'));
    const replay = await store.enqueueQueuedWork(wake('root', 'different replay payload', E, J, 'source:first'));
    const second = await store.enqueueQueuedWork(wake('root', 'second', E, X));
    await store.enqueueQueuedWork(wake('other', 'other session', E, X));
    expect(replay.batchId).toBe(first.batchId);
    expect(replay.items[0]?.itemId).toBe(first.items[0]?.itemId);
    expect(text(replay)).toBe('first');
    const listed = await store.listQueuedWork('root');
    expect(listed.map((b) => b.batchId)).toEqual([first.batchId, second.batchId]);
    expect(listed[0]!.enqueueSeq).toBeLessThan(listed[1]!.enqueueSeq);
  });

  it('concurrent_queue_and_turn_input_claims_have_one_owner', async () => {
    const store = await open();
    const S = 'concurrent-claim-races';
    const b = await store.enqueueQueuedWork(wake(S, 'single-owner queue batch', E, X));
    const i = await store.enqueuePendingTurnInput(nextIn(S, 'single-owner turn input'));
    const l = await lease(store, S, 'claim-race-lease');
    const queue = await Promise.all([
      store.claimReadyQueuedWork(S, fenceOf(l), owner('queue-left'), 'idle', 1),
      store.claimReadyQueuedWork(S, fenceOf(l), owner('queue-right'), 'idle', 1),
    ]);
    const queueWinners = queue.filter((c) => c !== null);
    expect(queueWinners).toHaveLength(1);
    expect(queueWinners[0]!.batches[0]?.batchId).toBe(b.batchId);
    expect(await store.listPendingQueuedWork(S)).toEqual([]);
    const inputs = await Promise.all([
      store.claimNextTurnInputs(S, fenceOf(l), owner('input-left'), 1),
      store.claimNextTurnInputs(S, fenceOf(l), owner('input-right'), 1),
    ]);
    const inputWinners = inputs.filter((c) => c !== null);
    expect(inputWinners).toHaveLength(1);
    expect(inputWinners[0]!.inputs[0]?.inputId).toBe(i.inputId);
    expect(queueWinners[0]!.owner.ownerId).not.toBe(inputWinners[0]!.owner.ownerId);
    await release(store, l);
  });

  it('checkpoint_work_claims_both_families_once', async () => {
    const store = await open();
    const S = 'checkpoint-work';
    const o = owner('checkpoint-owner');
    const i = await store.enqueuePendingTurnInput(activeIn(S, 'checkpoint-turn', 'afterWork', 'checkpoint input'));
    const b = await store.enqueueQueuedWork(wake(S, 'checkpoint queued work', E, X));
    const l = await acquire(store, S, o, 60_000);
    const [input, queue] = await store.claimCheckpointWork(S, fenceOf(l), o, 'checkpoint-turn', 'afterWork', 10, 10);
    expect(input).not.toBeNull();
    expect(queue).not.toBeNull();
    expect(input!.inputs[0]?.inputId).toBe(i.inputId);
    expect(input!.inputs[0]?.state).toBe('accepted');
    expect(input!.mode).toEqual({ kind: 'activeTurn', turnId: 'checkpoint-turn', checkpoint: 'afterWork' });
    expect(queue!.batches[0]?.batchId).toBe(b.batchId);
    expect(input!.sessionLeaseGeneration).toBe(l.fencingToken);
    expect(queue!.sessionLeaseGeneration).toBe(l.fencingToken);
    expect(await store.claimCheckpointWork(S, fenceOf(l), o, 'checkpoint-turn', 'afterWork', 10, 10)).toEqual([null, null]);
  });

  it('checkpoint_claim_probe_transaction_counts', async () => {
    const store = await open();
    const S = 'sqlite-checkpoint-counter';
    const counts = () => store.checkpointClaimCounts();
    expect(counts()).toEqual({ probeCount: 0, writeTransactionCount: 0 });
    const T = `${S}:counter-turn`;
    const o = owner(`${S}:checkpoint-counter-owner`);
    const l = await acquire(store, S, o, 60_000);
    const call = () => store.claimCheckpointWork(S, fenceOf(l), o, T, 'afterWork', 64, 64);
    // (a) empty queues
    const before = await eventCount(store);
    expect(await call()).toEqual([null, null]);
    expect(counts()).toEqual({ probeCount: 1, writeTransactionCount: 0 });
    expect(await eventCount(store)).toBe(before);
    // (b) a deferred head must not open a write transaction
    const d = await store.enqueueQueuedWork(wake(S, 'deferred checkpoint head', A, X));
    expect(await call()).toEqual([null, null]);
    expect(counts()).toEqual({ probeCount: 2, writeTransactionCount: 0 });
    // (c)
    const idle = await store.claimReadyQueuedWork(S, fenceOf(l), o, 'idle', 64);
    expect(idle?.batches[0]?.batchId).toBe(d.batchId);
    // (d)
    await store.enqueuePendingTurnInput(activeIn(S, T, 'afterWork', 'pending checkpoint input'));
    await store.enqueueQueuedWork(wake(S, 'pending checkpoint work', E, X));
    const [input, queue] = await call();
    expect(input).not.toBeNull();
    expect(queue).not.toBeNull();
    expect(counts()).toEqual({ probeCount: 3, writeTransactionCount: 1 });
  });

  it('queued_work_cancel_removes_only_unclaimed_batches', async () => {
    const store = await open();
    const c1 = await store.enqueueQueuedWork(wake('root', 'cancel me', A, X));
    const cancelled = await store.cancelQueuedWorkBatch('root', c1.batchId);
    expect(cancelled?.batchId).toBe(c1.batchId);
    expect(text(cancelled!)).toBe('cancel me');
    expect(await store.listQueuedWork('root')).toEqual([]);
    const c2 = await store.enqueueQueuedWork(wake('root', 'claimed', A, X));
    const l = await lease(store, 'root', 'owner');
    const claim = await store.claimReadyQueuedWork('root', fenceOf(l), owner('owner'), 'idle', 1);
    expect(claim?.batches[0]?.batchId).toBe(c2.batchId);
    expect(await store.listPendingQueuedWork('root')).toEqual([]);
    expect(await store.listQueuedWork('root')).toHaveLength(1);
    expect(await store.cancelQueuedWorkBatch('root', c2.batchId)).toBeNull();
    await store.abandonQueuedWorkClaim(claim!);
    await release(store, l);
    expect(await store.listPendingQueuedWork('root')).toHaveLength(1);
    expect(await store.cancelQueuedWorkBatch('root', c2.batchId)).not.toBeNull();
    // a second cancel finds nothing and appends nothing
    const events = await eventCount(store);
    expect(await store.cancelQueuedWorkBatch('root', c2.batchId)).toBeNull();
    expect(await eventCount(store)).toBe(events);
  });

  it('queued_work_classes_gate_command_and_turn_claims', async () => {
    const store = await open();
    const cmdB = await store.enqueueQueuedWork(cmd('root', 'refresh before turn'));
    const turnB = await store.enqueueQueuedWork(wake('root', 'user turn', A, X));
    const l = await lease(store, 'root', 'turn-owner');
    expect(await store.claimReadyQueuedWork('root', fenceOf(l), owner('turn-owner'), 'idle', 10)).toBeNull();
    await release(store, l);

    const cl = await lease(store, 'root', 'command-owner');
    const cc = await store.claimLeadingReadySessionCommand('root', fenceOf(cl), owner('command-owner'));
    expect(ids(cc)).toEqual([cmdB.batchId]);
    await store.commitRuntimeState({ ...fenced(base('root'), cl), completedQueueClaims: [queuedWorkCompletionOf(cc!)] });

    const tl = await lease(store, 'root', 'turn-owner');
    const tc = await store.claimReadyQueuedWorkByBatchIds('root', fenceOf(tl), owner('turn-owner'), 'idle', [turnB.batchId]);
    expect(ids(tc)).toEqual([turnB.batchId]);
    await release(store, tl);

    const ft = await store.enqueueQueuedWork(wake('turn-first', 'first turn', A, X));
    const sc = await store.enqueueQueuedWork(cmd('turn-first', 'later refresh'));
    const rl = await lease(store, 'turn-first', 'command-owner');
    expect(await store.claimLeadingReadySessionCommand('turn-first', fenceOf(rl), owner('command-owner'))).toBeNull();
    const first = await store.claimReadyQueuedWork('turn-first', fenceOf(rl), owner('command-owner'), 'idle', 10);
    expect(ids(first)).toEqual([ft.batchId]);
    await store.abandonQueuedWorkClaim(first!);
    await release(store, rl);
    expect((await store.listQueuedWork('turn-first')).map((b) => b.batchId)).toEqual([ft.batchId, sc.batchId]);
  });

  it('queued_work_claims_respect_boundaries_abandon_and_stale_completion', async () => {
    const store = await open();
    const ac = await store.enqueueQueuedWork(wake('root', 'after current commit', A, X));
    const ea = await store.enqueueQueuedWork(wake('root', 'earliest', E, X));
    const l = await lease(store, 'root', 'owner-a');
    const o = owner('owner-a');
    expect(await store.claimReadyQueuedWork('root', fenceOf(l), o, 'activeTurnCheckpoint', 10)).toBeNull();
    const idle = await store.claimReadyQueuedWork('root', fenceOf(l), o, 'idle', 10);
    expect(ids(idle)).toEqual([ac.batchId]);
    const cp = await store.claimReadyQueuedWork('root', fenceOf(l), o, 'activeTurnCheckpoint', 10);
    expect(cp?.batches[0]?.batchId).toBe(ea.batchId);
    await store.abandonQueuedWorkClaim(idle!);
    const re = await store.claimReadyQueuedWork('root', fenceOf(l), o, 'idle', 10);
    expect(re?.batches[0]?.batchId).toBe(ac.batchId);
    expect(re!.fencingToken).toBeGreaterThan(idle!.fencingToken);
    await release(store, l);
    await rejectsWith(
      commitWith(store, { ...base('root'), completedQueueClaims: [queuedWorkCompletionOf(idle!)] }, 'owner-d'),
      'QueuedWorkClaimSuperseded',
    );
    expect(await store.listQueuedWork('root')).toHaveLength(2);
  });

  it('queued_work_claims_supersede_across_session_lease_generations', async () => {
    const store = await open();
    const b = await store.enqueueQueuedWork(wake('root', 'generation work', E, X));
    // (a)
    const la = await lease(store, 'root', 'gen-owner-a');
    const ca = await store.claimReadyQueuedWork('root', fenceOf(la), owner('gen-owner-a'), 'idle', 10);
    expect(ids(ca)).toEqual([b.batchId]);
    expect(ca!.sessionLeaseGeneration).toBe(la.fencingToken);
    expect(await store.claimReadyQueuedWork('root', fenceOf(la), owner('gen-owner-a'), 'idle', 10)).toBeNull();
    // (b)
    await release(store, la);
    const lb = await lease(store, 'root', 'gen-owner-b');
    expect(lb.fencingToken).toBeGreaterThan(la.fencingToken);
    const cb = await store.claimReadyQueuedWork('root', fenceOf(lb), owner('gen-owner-b'), 'idle', 10);
    expect(ids(cb)).toEqual([b.batchId]);
    expect(cb!.fencingToken).toBeGreaterThan(ca!.fencingToken);
    await rejectsWith(
      store.commitRuntimeState({ ...fenced(base('root'), lb, false), completedQueueClaims: [queuedWorkCompletionOf(ca!)] }),
      'QueuedWorkClaimSuperseded',
    );
    await release(store, lb);
    // (c)
    const dead = localOwner('gen-dead', 'gen-dead:incarnation', 'host-a', 'boot-a', PID, DEAD);
    const dl = await acquire(store, 'root', dead, 60_000);
    const cd = await store.claimReadyQueuedWork('root', fenceOf(dl), dead, 'idle', 10);
    expect(cd).not.toBeNull();
    const taker = localOwner('gen-taker', 'gen-taker:incarnation', 'host-a', 'boot-a', PID, 'gen-taker-start');
    const tl = await store.reclaimSessionExecutionLease('root', taker, fenceOf(dl), 60_000);
    expect(tl.kind).toBe('acquired');
    if (tl.kind !== 'acquired') return;
    expect(tl.lease.fencingToken).toBeGreaterThan(dl.fencingToken);
    const ct = await store.claimReadyQueuedWork('root', fenceOf(tl.lease), taker, 'idle', 10);
    expect(ids(ct)).toEqual([b.batchId]);
    await rejectsWith(
      store.commitRuntimeState({ ...fenced(base('root'), tl.lease, false), completedQueueClaims: [queuedWorkCompletionOf(cd!)] }),
      'QueuedWorkClaimSuperseded',
    );
  });

  describe('claim_liveness_for_lease_less_paths_tracks_session_generations', () => {
    async function claimBothLanes(store: Store, S: string, who: LeaseOwnerIdentity, ttl: number) {
      const batch = await store.enqueueQueuedWork(wake(S, 'lease-less liveness work', E, X));
      const input = await store.enqueuePendingTurnInput(nextIn(S, 'lease-less liveness input'));
      const l = await acquire(store, S, who, ttl);
      expect(await store.claimReadyQueuedWork(S, fenceOf(l), who, 'idle', 1)).not.toBeNull();
      expect(await store.claimNextTurnInputs(S, fenceOf(l), who, 1)).not.toBeNull();
      // while the generation is live, both claims are live
      expect(await store.listPendingQueuedWork(S)).toEqual([]);
      expect(await store.listPendingTurnInputs(S)).toEqual([]);
      return { l, batch: batch.batchId, input: input.inputId };
    }
    async function assertBothRetainedClaimsVisibleAndCancellable(store: Store, S: string, batch: string, input: string) {
      expect((await store.listPendingQueuedWork(S)).map((b) => b.batchId)).toEqual([batch]);
      expect((await store.listPendingTurnInputs(S)).map((i) => i.inputId)).toEqual([input]);
      expect((await store.cancelQueuedWorkBatch(S, batch))?.batchId).toBe(batch);
      const outcome = await store.cancelPendingTurnInput(S, input);
      expect(outcome.kind).toBe('cancelled');
    }

    it('(a) release', async () => {
      const store = await open();
      const S = 'lease-less-release';
      const { l, batch, input } = await claimBothLanes(store, S, owner('lease-less-release-owner'), 60_000);
      await release(store, l);
      await assertBothRetainedClaimsVisibleAndCancellable(store, S, batch, input);
    });

    it('(b) expiry', async () => {
      const clock = new ManualClock(5_000);
      const store = await open(clock);
      const S = 'lease-less-expiry';
      const { batch, input } = await claimBothLanes(store, S, owner('lease-less-expiry-owner'), 1000);
      clock.advance(1100);
      await assertBothRetainedClaimsVisibleAndCancellable(store, S, batch, input);
    });

    it('(c) takeover', async () => {
      const store = await open();
      const S = 'lease-less-takeover';
      const dead = localOwner('lease-less-dead', 'lease-less-dead:incarnation', 'host-a', 'boot-a', PID, DEAD);
      const { l, batch, input } = await claimBothLanes(store, S, dead, 60_000);
      const taker = localOwner(
        'lease-less-taker',
        'lease-less-taker:incarnation',
        'host-a',
        'boot-a',
        PID,
        'lease-less-taker-start',
      );
      const tl = await store.reclaimSessionExecutionLease(S, taker, fenceOf(l), 60_000);
      expect(tl.kind).toBe('acquired');
      if (tl.kind !== 'acquired') return;
      await assertBothRetainedClaimsVisibleAndCancellable(store, S, batch, input);
      await release(store, tl.lease);
    });
  });

  describe('same_generation_claim_scans_reach_rows_beyond_the_scan_surplus', () => {
    it('(a) queue', async () => {
      const store = await open();
      const S = 'bounded-scan-queue';
      const batches = [];
      for (let i = 0; i < 34; i++) batches.push(await store.enqueueQueuedWork(wake(S, `bounded queue ${i}`, E, X)));
      const l = await lease(store, S, 'bounded-owner');
      const o = owner('bounded-owner');
      for (let k = 0; k < 34; k++) {
        const c = await store.claimReadyQueuedWork(S, fenceOf(l), o, 'idle', 1);
        expect(ids(c)).toEqual([batches[k]!.batchId]);
      }
      expect(await store.claimReadyQueuedWork(S, fenceOf(l), o, 'idle', 1)).toBeNull();
      await release(store, l);
    });

    it('(b) command', async () => {
      const store = await open();
      const S = 'bounded-scan-command';
      const batches = [];
      for (let i = 0; i < 34; i++) batches.push(await store.enqueueQueuedWork(cmd(S, `bounded command ${i}`)));
      const l = await lease(store, S, 'bounded-owner');
      for (let k = 0; k < 34; k++) {
        const c = await store.claimLeadingReadySessionCommand(S, fenceOf(l), owner('bounded-owner'));
        expect(ids(c)).toEqual([batches[k]!.batchId]);
      }
      await release(store, l);
    });

    it('(c) turn input', async () => {
      const store = await open();
      const S = 'bounded-scan-turn-input';
      const inputs = [];
      for (let i = 0; i < 34; i++) inputs.push(await store.enqueuePendingTurnInput(nextIn(S, `bounded turn input ${i}`)));
      const l = await lease(store, S, 'bounded-owner');
      for (let k = 0; k < 34; k++) {
        const c = await store.claimNextTurnInputs(S, fenceOf(l), owner('bounded-owner'), 1);
        expect(c?.inputs.map((i) => i.inputId)).toEqual([inputs[k]!.inputId]);
      }
      await release(store, l);
    });
  });

  it('queued_work_join_groups_by_delivery_policy_and_merge_key', async () => {
    const store = await open();
    const a1 = await store.enqueueQueuedWork(grouped(wake('root', 'group a one', E, J), 'a'));
    const a2 = await store.enqueueQueuedWork(grouped(wake('root', 'group a two', E, J), 'a'));
    const bb = await store.enqueueQueuedWork(grouped(wake('root', 'group b', E, J), 'b'));
    const ad = await store.enqueueQueuedWork(grouped(wake('root', 'after commit', A, J), 'a'));
    const l = await lease(store, 'root', 'owner-a');
    const o = owner('owner-a');
    expect(ids(await store.claimReadyQueuedWork('root', fenceOf(l), o, 'idle', 10))).toEqual([a1.batchId, a2.batchId]);
    expect((await store.claimReadyQueuedWork('root', fenceOf(l), o, 'idle', 10))?.batches[0]?.batchId).toBe(bb.batchId);
    expect((await store.claimReadyQueuedWork('root', fenceOf(l), o, 'idle', 10))?.batches[0]?.batchId).toBe(ad.batchId);
    await release(store, l);
  });

  it('queued_work_completion_is_lease_guarded', async () => {
    const store = await open();
    const j1 = await store.enqueueQueuedWork(grouped(wake('root', 'join one', E, J), 'joined'));
    const j2 = await store.enqueueQueuedWork(grouped(wake('root', 'join two', E, J), 'joined'));
    const l = await lease(store, 'root', 'owner-a');
    const c = await store.claimReadyQueuedWork('root', fenceOf(l), owner('owner-a'), 'idle', 10);
    expect(ids(c)).toEqual([j1.batchId, j2.batchId]);
    const stale = { ...queuedWorkCompletionOf(c!), leaseToken: `${c!.leaseToken}:stale` };
    await rejectsWith(
      store.commitRuntimeState({ ...fenced(base('root'), l, false), completedQueueClaims: [stale] }),
      'QueuedWorkClaimSuperseded',
    );
    expect(await store.listQueuedWork('root')).toHaveLength(2);
    await store.commitRuntimeState({ ...fenced(base('root'), l), completedQueueClaims: [queuedWorkCompletionOf(c!)] });
    expect(await store.listQueuedWork('root')).toEqual([]);
  });

  it('queued_wake_delivery_is_source_key_idempotent_and_claimed_once', async () => {
    const store = await open();
    const w = {
      wakeId: 'wake-1',
      targetSessionId: 'root',
      processId: 'process-1',
      sequence: 7,
      eventType: 'process.wake',
      dedupeKey: 'wake-dedupe-1',
      input: 'wake payload',
      createdAtMs: 1,
    };
    const draft: QueuedWorkBatchDraft = {
      sessionId: w.targetSessionId,
      sourceKey: processWakeSourceKey(w.processId, w.sequence),
      deliveryPolicy: E,
      slotPolicy: X,
      mergeKey: { kind: 'never' },
      availableAtMs: 0,
      payloads: [{ kind: 'processWake', wake: w }],
    };
    expect(draft.sourceKey).toBe('process:process-1:event:7:wake');
    const first = await store.enqueueQueuedWork(draft);
    const events = await eventCount(store);
    const again = await store.enqueueQueuedWork(draft);
    expect(again.batchId).toBe(first.batchId);
    expect(await eventCount(store)).toBe(events); // a source-key replay appends nothing
    expect(await store.listQueuedWork('root')).toHaveLength(1);
    const l = await lease(store, 'root', 'wake-owner');
    const c = await store.claimReadyQueuedWork('root', fenceOf(l), owner('wake-owner'), 'idle', 10);
    expect(c?.batches).toHaveLength(1);
    expect(c!.batches[0]!.items).toHaveLength(1);
    expect(c!.batches[0]!.items[0]!.payload.kind).toBe('processWake');
    await store.commitRuntimeState({ ...fenced(base('root'), l), completedQueueClaims: [queuedWorkCompletionOf(c!)] });
    expect(await store.listQueuedWork('root')).toEqual([]);
  });

  it('queue_completion_and_turn_commit_stamp_are_atomic', async () => {
    const store = await open();
    const b = await store.enqueueQueuedWork(wake('root', 'atomic queue', E, X));
    const l = await lease(store, 'root', 'queue-owner');
    const qc = await store.claimReadyQueuedWork('root', fenceOf(l), owner('queue-owner'), 'idle', 1);
    expect(ids(qc)).toEqual([b.batchId]);
    const i = await store.enqueuePendingTurnInput(nextIn('root', 'atomic pending input'));
    const ic = await store.claimNextTurnInputs('root', fenceOf(l), owner('queue-owner'), 1);
    expect(ic?.inputs.map((x) => x.inputId)).toEqual([i.inputId]);
    const bc: RuntimeCommit = base('root');
    bc.checkpoint.turnState.turnIndex = 41;
    bc.enqueuedQueueBatches = [
      {
        sessionId: 'root',
        sourceKey: 'agent-frame-handoff:turn-atomic',
        deliveryPolicy: A,
        slotPolicy: X,
        mergeKey: { kind: 'never' },
        availableAtMs: 0,
        payloads: [{ kind: 'agentFrameTask', frameId: 'follow-frame', task: 'follow-on task', protocolTurnOptions: null }],
      },
    ];
    const h = turnCommitHash(bc);
    const st = { turnCommit: { sessionId: 'root', turnId: 'turn-atomic', turnCommitHash: h } };
    // (a)
    await rejectsWith(
      store.commitRuntimeState({
        ...fenced(bc, l, false),
        ...st,
        completedTurnInputClaims: [turnInputCompletionOf(ic!)],
        completedQueueClaims: [{ ...queuedWorkCompletionOf(qc!), leaseToken: `${qc!.leaseToken}:stale` }],
      }),
      'QueuedWorkClaimSuperseded',
    );
    expect(await store.loadSession({ kind: 'fullGraph' })).toBeNull();
    expect(await store.listQueuedWork('root')).toHaveLength(1);
    // (b)
    await rejectsWith(
      store.commitRuntimeState({
        ...fenced(bc, l, false),
        enqueuedQueueBatches: [{ ...bc.enqueuedQueueBatches[0]!, sessionId: 'other-session' }],
        completedQueueClaims: [queuedWorkCompletionOf(qc!)],
        completedTurnInputClaims: [turnInputCompletionOf(ic!)],
      }),
      'SessionBindingMismatch',
    );
    expect(await store.loadSession({ kind: 'fullGraph' })).toBeNull();
    expect(await store.listQueuedWork('root')).toHaveLength(1);
    // (c)
    const full: RuntimeCommit = {
      ...fenced(bc, l),
      ...st,
      completedTurnInputClaims: [turnInputCompletionOf(ic!)],
      completedQueueClaims: [queuedWorkCompletionOf(qc!)],
    };
    const first = await store.commitRuntimeState(full);
    const retry = await store.commitRuntimeState(full);
    expect(retry.headRevision).toBe(first.headRevision);
    expect(retry.checkpointRef).toBe(first.checkpointRef);
    expect(first.enqueuedQueueBatches).toHaveLength(1);
    expect(retry.enqueuedQueueBatches).toHaveLength(1);
    expect(retry.enqueuedQueueBatches[0]!.batchId).toBe(first.enqueuedQueueBatches[0]!.batchId);
    expect(await store.loadSession({ kind: 'fullGraph' })).not.toBeNull();
    expect((await store.listQueuedWork('root')).map((x) => x.batchId)).toEqual([first.enqueuedQueueBatches[0]!.batchId]);
    expect(await store.listPendingTurnInputs('root')).toEqual([]);
  });

  // ---------------------------------------------------------------- Appendix C

  it('second_claim_on_held_batch_is_not_won (App. C 2)', async () => {
    const store = await open();
    await store.enqueueQueuedWork(wake('root', 'held once', E, X));
    const l = await lease(store, 'root', 'owner-a');
    expect(await store.claimReadyQueuedWork('root', fenceOf(l), owner('owner-a'), 'idle', 10)).not.toBeNull();
    expect(await store.claimReadyQueuedWork('root', fenceOf(l), owner('owner-b'), 'idle', 10)).toBeNull();
    expect(await store.listPendingQueuedWork('root')).toEqual([]);
  });

  it('in_memory_claim_validation_serializes_takeover_before_mutation (App. C 17)', async () => {
    const store = await open();
    const S = 'atomic-generation-claim';
    const b = await store.enqueueQueuedWork(wake(S, 'atomic generation claim', E, X));
    const stale = localOwner('atomic-stale-owner', 'atomic-stale-owner:incarnation', 'atomic-host', 'atomic-boot', PID, DEAD);
    const live = localOwner(
      'atomic-live-owner',
      'atomic-live-owner:incarnation',
      'atomic-host',
      'atomic-boot',
      PID,
      'atomic-live-start',
    );
    const sl = await acquire(store, S, stale, 60_000);
    const [sc, tl] = await Promise.all([
      store.claimReadyQueuedWork(S, fenceOf(sl), stale, 'idle', 1),
      store.reclaimSessionExecutionLease(S, live, fenceOf(sl), 60_000),
    ]);
    expect(sc?.batches[0]?.batchId).toBe(b.batchId);
    expect(tl.kind).toBe('acquired');
    if (tl.kind !== 'acquired') return;
    expect(tl.lease.fencingToken).toBeGreaterThan(sl.fencingToken);
    const lc = await store.claimReadyQueuedWork(S, fenceOf(tl.lease), live, 'idle', 1);
    expect(lc?.batches[0]?.batchId).toBe(b.batchId);
    expect(lc!.fencingToken).toBeGreaterThan(sc!.fencingToken);
    await rejectsWith(
      store.commitRuntimeState({ ...fenced(base(S), tl.lease, false), completedQueueClaims: [queuedWorkCompletionOf(sc!)] }),
      'QueuedWorkClaimSuperseded',
    );
  });
});

describeBackends(
  'QueuedWorkStore across handles',
  (backend) => {
    it('concurrent_claims_never_double_own_a_batch (App. C 3)', async () => {
      const clock = new ManualClock(1_000);
      const handle = await backend.open({ clock });
      const first = handle.store;
      const second = await handle.reopen({ clock });
      await first.enqueueQueuedWork(wake('root', 'one batch', E, X));
      const l = await lease(first, 'root', 'race-owner');
      const results = await Promise.all([
        first.claimReadyQueuedWork('root', fenceOf(l), owner('left'), 'idle', 10),
        second.claimReadyQueuedWork('root', fenceOf(l), owner('right'), 'idle', 10),
      ]);
      const winners = results.filter((r) => r !== null);
      expect(winners.length).toBeLessThanOrEqual(1);
      if (winners.length === 1) {
        expect(await first.listPendingQueuedWork('root')).toEqual([]);
        expect(await second.listPendingQueuedWork('root')).toEqual([]);
      }
    });
  },
  [fileBackend],
);

describeBackends('QueuedWorkStore details', (backend) => {
  const open = async (clock = new ManualClock(1_000)) => (await backend.open({ clock })).store;

  it('exact-id claims are all-or-nothing, order-sensitive and may bypass earlier work', async () => {
    const store = await open();
    const command = await store.enqueueQueuedWork(cmd('root', 'earlier command'));
    const x1 = await store.enqueueQueuedWork(wake('root', 'exclusive one', E, X));
    const j1 = await store.enqueueQueuedWork(grouped(wake('root', 'join one', E, J), 'g'));
    const j2 = await store.enqueueQueuedWork(grouped(wake('root', 'join two', E, J), 'g'));
    const jOther = await store.enqueueQueuedWork(grouped(wake('root', 'join other group', E, J), 'h'));
    const late = await store.enqueueQueuedWork(grouped(wake('root', 'after commit join', A, J), 'g'));
    const other = await store.enqueueQueuedWork(wake('other', 'other session', E, X));
    const l = await lease(store, 'root', 'o');
    const o = owner('o');
    const byIds = (list: string[], boundary: 'idle' | 'activeTurnCheckpoint' = 'idle') =>
      store.claimReadyQueuedWorkByBatchIds('root', fenceOf(l), o, boundary, list);
    const before = await eventCount(store);
    expect(await byIds([command.batchId])).toBeNull(); // session commands are never claimed by id
    expect(await byIds([x1.batchId, j1.batchId])).toBeNull(); // an exclusive first batch allows one id
    expect(await byIds([j1.batchId, jOther.batchId])).toBeNull(); // merge keys differ
    expect(await byIds([j1.batchId, late.batchId])).toBeNull(); // delivery policies differ
    expect(await byIds([late.batchId], 'activeTurnCheckpoint')).toBeNull(); // boundary gate
    expect(await byIds([j1.batchId, j1.batchId])).toBeNull(); // duplicates
    expect(await byIds([other.batchId])).toBeNull(); // another session's batch
    expect(await byIds(['missing'])).toBeNull();
    expect(await eventCount(store)).toBe(before);
    // given order, first given batch heads the claim id; earlier ready work is bypassed
    const claim = await byIds([j2.batchId, j1.batchId]);
    expect(ids(claim)).toEqual([j2.batchId, j1.batchId]);
    expect(claim!.claimId).toBe(`qwc:${j2.enqueueSeq}:1`);
    // rows held by this generation are not claimable by id again
    expect(await byIds([j1.batchId])).toBeNull();
    expect(await store.claimReadyQueuedWorkByBatchIds('root', fenceOf(l), o, 'idle', [])).toBeNull();
  });

  it('availableAtMs gates claims but not listing or cancelling', async () => {
    const clock = new ManualClock(1_000);
    const store = await open(clock);
    const soon = await store.enqueueQueuedWork({ ...wake('root', 'soon', E, X), availableAtMs: 2_000 });
    const now = await store.enqueueQueuedWork(wake('root', 'now', E, X));
    const never = await store.enqueueQueuedWork({ ...wake('root', 'far future', E, X), availableAtMs: Number.POSITIVE_INFINITY });
    expect(never.availableAtMs).toBe(Number.MAX_SAFE_INTEGER);
    const l = await acquire(store, 'root', owner('o'), Number.POSITIVE_INFINITY);
    const o = owner('o');
    // the not-yet-available head neither blocks nor is claimed
    expect(ids(await store.claimReadyQueuedWork('root', fenceOf(l), o, 'idle', 10))).toEqual([now.batchId]);
    expect(await store.claimReadyQueuedWork('root', fenceOf(l), o, 'idle', 10)).toBeNull();
    expect(await store.claimReadyQueuedWorkByBatchIds('root', fenceOf(l), o, 'idle', [soon.batchId])).toBeNull();
    expect((await store.listPendingQueuedWork('root')).map((b) => b.batchId)).toEqual([soon.batchId, never.batchId]);
    clock.set(2_000);
    expect(ids(await store.claimReadyQueuedWork('root', fenceOf(l), o, 'idle', 10))).toEqual([soon.batchId]);
    expect((await store.cancelQueuedWorkBatch('root', never.batchId))?.batchId).toBe(never.batchId);
  });

  it('a join run stops at the first non-matching candidate and respects maxBatches past the first page', async () => {
    const store = await open();
    const run = [];
    for (let i = 0; i < 70; i++) run.push(await store.enqueueQueuedWork(grouped(wake('root', `j${i}`, E, J), 'g')));
    const tail = await store.enqueueQueuedWork(grouped(wake('root', 'other group', E, J), 'h'));
    const l = await lease(store, 'root', 'o');
    const o = owner('o');
    const first = await store.claimReadyQueuedWork('root', fenceOf(l), o, 'idle', 50);
    expect(ids(first)).toEqual(run.slice(0, 50).map((b) => b.batchId));
    const rest = await store.claimReadyQueuedWork('root', fenceOf(l), o, 'idle', Number.POSITIVE_INFINITY);
    expect(ids(rest)).toEqual(run.slice(50).map((b) => b.batchId));
    expect(ids(await store.claimReadyQueuedWork('root', fenceOf(l), o, 'idle', Number.POSITIVE_INFINITY))).toEqual([
      tail.batchId,
    ]);
  });

  it('claims interleave stale generations and unclaimed rows in enqueue order', async () => {
    const store = await open();
    const batches = [];
    for (let i = 0; i < 6; i++) batches.push(await store.enqueueQueuedWork(grouped(wake('root', `b${i}`, E, J), 'g')));
    // generation 1 claims b0, b1; generation 2 claims b2; both released without completing
    const l1 = await lease(store, 'root', 'one');
    await store.claimReadyQueuedWork('root', fenceOf(l1), owner('one'), 'idle', 2);
    await release(store, l1);
    const l2 = await lease(store, 'root', 'two');
    const c2 = await store.claimReadyQueuedWorkByBatchIds('root', fenceOf(l2), owner('two'), 'idle', [batches[2]!.batchId]);
    expect(c2).not.toBeNull();
    await release(store, l2);
    // generation 3 sees every row again, in enqueue order, across the stale partitions
    const l3 = await lease(store, 'root', 'three');
    const c3 = await store.claimReadyQueuedWork('root', fenceOf(l3), owner('three'), 'idle', 10);
    expect(ids(c3)).toEqual(batches.map((b) => b.batchId));
    expect(c3!.claimId).toBe(`qwc:${batches[0]!.enqueueSeq}:2`);
  });

  it('maxBatches 0 and an empty id list return null before the fence is checked; a bad fence rejects otherwise', async () => {
    const store = await open();
    await store.enqueueQueuedWork(wake('root', 'x', E, X));
    const l = await lease(store, 'root', 'o');
    await release(store, l);
    const o = owner('o');
    expect(await store.claimReadyQueuedWork('root', fenceOf(l), o, 'idle', 0)).toBeNull();
    expect(await store.claimReadyQueuedWork('root', fenceOf(l), o, 'idle', -3)).toBeNull();
    expect(await store.claimReadyQueuedWorkByBatchIds('root', fenceOf(l), o, 'idle', [])).toBeNull();
    await rejectsWith(store.claimReadyQueuedWork('root', fenceOf(l), o, 'idle', 1), 'SessionExecutionLeaseExpired');
    await rejectsWith(store.claimLeadingReadySessionCommand('root', fenceOf(l), o), 'SessionExecutionLeaseExpired');
    const error = await rejectsWith(
      store.claimReadyQueuedWorkByBatchIds('root', fenceOf(l), o, 'idle', ['x']),
      'SessionExecutionLeaseExpired',
    );
    expect(error.sessionId).toBe('root');
    // the checkpoint claim validates the fence only when its probe found work
    await rejectsWith(store.claimCheckpointWork('root', fenceOf(l), o, 't', 'afterWork', 1, 1), 'SessionExecutionLeaseExpired');
    expect(await store.claimCheckpointWork('root', fenceOf(l), o, 't', 'afterWork', 0, 0)).toEqual([null, null]);
    expect(store.checkpointClaimCounts()).toEqual({ probeCount: 2, writeTransactionCount: 1 });
  });

  it('bad arguments are InvalidArgument and change nothing', async () => {
    const store = await open();
    const l = await lease(store, 'root', 'o');
    const o = owner('o');
    const before = await eventCount(store);
    const nan = await rejectsWith(store.claimReadyQueuedWork('root', fenceOf(l), o, 'idle', Number.NaN), 'InvalidArgument');
    expect(nan).toMatchObject({ argument: 'maxBatches', expected: 'a number' });
    await rejectsWith(store.claimReadyQueuedWork('root', fenceOf(l), o, 'sometimes' as 'idle', 1), 'InvalidArgument');
    await rejectsWith(store.claimCheckpointWork('root', fenceOf(l), o, 't', 'afterWork', 1, Number.NaN), 'InvalidArgument');
    await rejectsWith(
      store.claimReadyQueuedWorkByBatchIds('root', fenceOf(l), o, 'idle', [3] as unknown as string[]),
      'InvalidArgument',
    );
    await rejectsWith(store.abandonQueuedWorkClaim({} as never), 'InvalidArgument');
    await rejectsWith(store.cancelQueuedWorkBatch('root', 7 as unknown as string), 'InvalidArgument');
    expect(await eventCount(store)).toBe(before);
    expect(store.checkpointClaimCounts()).toEqual({ probeCount: 0, writeTransactionCount: 0 });
  });

  it('claims, abandons and cancels append the Appendix A events with every generated value; no-ops append none', async () => {
    const clock = new ManualClock(7_000);
    const store = await open(clock);
    const b = await store.enqueueQueuedWork(wake('root', 'x', E, X));
    const l = await lease(store, 'root', 'o');
    const o = owner('o');
    const before = await eventCount(store);
    expect(await store.claimLeadingReadySessionCommand('root', fenceOf(l), o)).toBeNull();
    await store.abandonQueuedWorkClaims([]);
    const c = await store.claimReadyQueuedWork('root', fenceOf(l), o, 'idle', 1);
    expect(c).toMatchObject({ sessionId: 'root', claimId: `qwc:${b.enqueueSeq}:1`, fencingToken: 1, owner: o });
    expect(await eventCount(store)).toBe(before + 1);
    await store.abandonQueuedWorkClaim(c!);
    await store.abandonQueuedWorkClaim(c!); // nothing left to abandon
    await store.cancelQueuedWorkBatch('root', b.batchId);
    const events = await store.readEvents({ stream: 'queue:root' });
    expect(events.map((e) => e.type)).toEqual([
      'QueuedWorkEnqueued',
      'QueuedWorkClaimed',
      'QueuedWorkClaimAbandoned',
      'QueuedWorkCancelled',
    ]);
    expect(events[1]!.data).toMatchObject({
      claimId: c!.claimId,
      leaseToken: c!.leaseToken,
      fencingToken: 1,
      sessionLeaseGeneration: l.fencingToken,
      owner: o,
      batchIds: [b.batchId],
      rowFencingTokens: [1],
    });
    expect(events[1]!.recordedAtMs).toBe(7_000);
    expect(events[2]!.data).toMatchObject({ claimId: c!.claimId, batchIds: [b.batchId] });
  });

  it('rebuildProjections reproduces claim columns exactly', async () => {
    const store = await open();
    const a = await store.enqueueQueuedWork(wake('root', 'a', E, X));
    await store.enqueueQueuedWork(wake('root', 'b', E, X));
    const l = await lease(store, 'root', 'o');
    const c = await store.claimReadyQueuedWork('root', fenceOf(l), owner('o'), 'idle', 1);
    await store.abandonQueuedWorkClaim(c!);
    const again = await store.claimReadyQueuedWork('root', fenceOf(l), owner('o'), 'idle', 1);
    expect(again!.fencingToken).toBe(2);
    expect(ids(again)).toEqual([a.batchId]);
    await store.rebuildProjections();
    expect((await store.verifyProjections()).ok).toBe(true);
    // after the rebuild the claim still holds, and the next claim continues the fencing sequence
    expect(ids(await store.claimReadyQueuedWork('root', fenceOf(l), owner('o'), 'idle', 5))).toHaveLength(1);
    await store.commitRuntimeState({ ...fenced(base('root'), l), completedQueueClaims: [queuedWorkCompletionOf(again!)] });
    expect(await store.listQueuedWork('root')).toHaveLength(1);
  });
});

describeBackends(
  'QueuedWorkStore corrupt rows',
  (backend) => {
    it('a scanned candidate with an undefined class is CorruptData and the claim changes nothing', async () => {
      const handle = await backend.open({ clock: new ManualClock(1_000) });
      const { store, path } = handle;
      const b = await store.enqueueQueuedWork(wake('root', 'x', E, X));
      const l = await lease(store, 'root', 'o');
      const { default: Database } = await import('better-sqlite3');
      const raw = new Database(path as string);
      raw.prepare("UPDATE queued_work_batches SET work_class = 'mixed' WHERE batch_id = ?").run(b.batchId);
      try {
        const before = await eventCount(store);
        const error = await rejectsWith(store.claimReadyQueuedWork('root', fenceOf(l), owner('o'), 'idle', 1), 'CorruptData');
        expect(error).toMatchObject({ table: 'queued_work_batches', key: b.batchId });
        expect(await eventCount(store)).toBe(before);
      } finally {
        raw.prepare("UPDATE queued_work_batches SET work_class = 'turnWork' WHERE batch_id = ?").run(b.batchId);
        raw.close();
      }
    });
  },
  [fileBackend],
);
