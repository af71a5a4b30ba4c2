/** 10-session-store §7.3: the session execution lease (claim, re-entry, renew, release, reclaim). */
import { expect, it } from 'vitest';
import {
  completionOf,
  fenceOf,
  type LeaseOwnerIdentity,
  localProcessIdentity,
  type SessionExecutionLease,
  type SessionExecutionLeaseClaimOutcome,
  turnCommitHash,
} from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { describeBackends } from '../support/backends.js';
import {
  base,
  deadHolder,
  E,
  fenced,
  lease,
  localOwner,
  owner,
  PID,
  rejectsWith,
  release,
  wake,
  X,
} from '../support/fixtures.js';
import { firstClaimExcludesConcurrentReopenHandles } from '../support/scenarios.js';

function acquired(outcome: SessionExecutionLeaseClaimOutcome): SessionExecutionLease {
  expect(outcome.kind).toBe('acquired');
  if (outcome.kind !== 'acquired') throw new Error('unreachable');
  return outcome.lease;
}

describeBackends('SessionExecutionLeaseStore', (backend) => {
  it('session_execution_lease_contract', async () => {
    const { store } = await backend.open({ clock: new ManualClock(1000) });
    const first = await lease(store, 'root', 'owner-a');
    const re = acquired(await store.tryClaimSessionExecutionLease('root', owner('owner-a'), 120_000));
    expect(re.leaseToken).toBe(first.leaseToken);
    expect(re.fencingToken).toBe(first.fencingToken);
    expect(re.expiresAtEpochMs).toBeGreaterThanOrEqual(first.expiresAtEpochMs);

    const nextIncarnation: LeaseOwnerIdentity = {
      ownerId: 'owner-a',
      incarnationId: 'owner-a:next-incarnation',
      liveness: { kind: 'opaque' },
    };
    expect((await store.tryClaimSessionExecutionLease('root', nextIncarnation, 60_000)).kind).toBe('busy');
    expect((await store.tryClaimSessionExecutionLease('root', owner('owner-b'), 60_000)).kind).toBe('busy');

    const renewed = await store.renewSessionExecutionLease(fenceOf(re), 120_000);
    expect(renewed.leaseToken).toBe(first.leaseToken);
    expect(renewed.expiresAtEpochMs).toBeGreaterThanOrEqual(re.expiresAtEpochMs);
    await rejectsWith(
      store.renewSessionExecutionLease({ ...fenceOf(re), leaseToken: `${first.leaseToken}:stale` }, 60_000),
      'SessionExecutionLeaseExpired',
    );

    await store.releaseSessionExecutionLease({
      sessionId: 'root',
      owner: first.owner,
      leaseToken: `${first.leaseToken}:stale`,
      fencingToken: first.fencingToken,
    });
    expect((await store.tryClaimSessionExecutionLease('root', owner('owner-b'), 60_000)).kind).toBe('busy');

    await release(store, renewed);
    const second = await lease(store, 'root', 'owner-b');
    expect(second.fencingToken).toBeGreaterThan(first.fencingToken);
    await release(store, first);
    expect((await store.tryClaimSessionExecutionLease('root', owner('owner-c'), 60_000)).kind).toBe('busy');
    await release(store, second);

    const expired = acquired(await store.tryClaimSessionExecutionLease('root', owner('owner-expired'), 0));
    const reclaimed = await lease(store, 'root', 'owner-reclaim');
    expect(reclaimed.fencingToken).toBeGreaterThan(expired.fencingToken);
    await release(store, reclaimed);

    await rejectsWith(store.commitRuntimeState(base('root')), 'SessionExecutionLeaseExpired');

    const cl = await lease(store, 'root', 'commit-owner');
    await store.commitRuntimeState(fenced(base('root'), cl));
    await release(store, await lease(store, 'root', 'after-commit'));

    const tc = base('root');
    tc.checkpoint.turnState.turnIndex = 1;
    const s = { ...tc, turnCommit: { sessionId: 'root', turnId: 'lease-replay-turn', turnCommitHash: turnCommitHash(tc) } };
    const tl = await lease(store, 'root', 'turn-owner');
    const r1 = await store.commitRuntimeState(fenced(s, tl));
    const r2 = await store.commitRuntimeState(s);
    expect(r2.headRevision).toBe(r1.headRevision);

    const b = await store.enqueueQueuedWork(wake('root', 'fenced queue', E, X));
    await rejectsWith(
      store.claimReadyQueuedWork('root', fenceOf(cl), owner('queue-owner'), 'idle', 1),
      'SessionExecutionLeaseExpired',
    );
    const ql = await lease(store, 'root', 'queue-owner');
    const claim = await store.claimReadyQueuedWork('root', fenceOf(ql), owner('queue-owner'), 'idle', 1);
    expect(claim?.batches[0]?.batchId).toBe(b.batchId);
    await release(store, ql);
  });

  it('session_execution_lease_reclaim_contract', async () => {
    const { store } = await backend.open({ clock: new ManualClock(1000) });
    const claimant = localOwner('claimant', 'claimant:incarnation', 'host-a', 'boot-a', PID, 'claimant-start');

    {
      const S = 'reclaim-dead';
      const h = acquired(await store.tryClaimSessionExecutionLease(S, deadHolder, 60_000));
      expect((await store.tryClaimSessionExecutionLease(S, claimant, 60_000)).kind).toBe('busy');
      const r = acquired(await store.reclaimSessionExecutionLease(S, claimant, fenceOf(h), 60_000));
      expect(r.fencingToken).toBeGreaterThan(h.fencingToken);
      const late = localOwner('late-claimant', 'late-claimant:incarnation', 'host-a', 'boot-a', PID, 'late-claimant-start');
      expect((await store.reclaimSessionExecutionLease(S, late, fenceOf(h), 60_000)).kind).toBe('busy');
      await store.releaseSessionExecutionLease(completionOf(r));
    }

    {
      const S = 'reclaim-race';
      const rh = acquired(await store.tryClaimSessionExecutionLease(S, deadHolder, 60_000));
      const left = localOwner('race-left', 'race-left:incarnation', 'host-a', 'boot-a', PID, 'race-left-start');
      const right = localOwner('race-right', 'race-right:incarnation', 'host-a', 'boot-a', PID, 'race-right-start');
      const outcomes = await Promise.all([
        store.reclaimSessionExecutionLease(S, left, fenceOf(rh), 60_000),
        store.reclaimSessionExecutionLease(S, right, fenceOf(rh), 60_000),
      ]);
      const winners = outcomes.filter((o) => o.kind === 'acquired');
      expect(winners).toHaveLength(1);
      const winner = acquired(winners[0] as SessionExecutionLeaseClaimOutcome);
      expect(winner.fencingToken).toBeGreaterThan(rh.fencingToken);
      await store.releaseSessionExecutionLease(completionOf(winner));
    }

    for (const [S, host, boot] of [
      ['reclaim-cross-host', 'host-b', 'boot-a'],
      ['reclaim-different-boot', 'host-a', 'boot-b'],
    ] as const) {
      const h = acquired(await store.tryClaimSessionExecutionLease(S, deadHolder, 60_000));
      const elsewhere = localOwner('claimant', 'claimant:incarnation', host, boot, PID, 'claimant-start');
      expect((await store.reclaimSessionExecutionLease(S, elsewhere, fenceOf(h), 60_000)).kind).toBe('busy');
      await store.releaseSessionExecutionLease(completionOf(h));
    }

    {
      const S = 'reclaim-opaque';
      const ho = acquired(await store.tryClaimSessionExecutionLease(S, owner('opaque-holder'), 60_000));
      expect((await store.reclaimSessionExecutionLease(S, claimant, fenceOf(ho), 60_000)).kind).toBe('busy');
      await store.releaseSessionExecutionLease(completionOf(ho));
    }

    const live = localProcessIdentity('live-holder', 'live-holder:incarnation', 'live-host');
    if (live.liveness.kind === 'localProcess') {
      const S = 'reclaim-live';
      const h = acquired(await store.tryClaimSessionExecutionLease(S, live, 60_000));
      const liveClaimant = localOwner(
        'live-claimant',
        'live-claimant:incarnation',
        'live-host',
        live.liveness.bootId,
        PID,
        'live-claimant-start',
      );
      expect((await store.reclaimSessionExecutionLease(S, liveClaimant, fenceOf(h), 60_000)).kind).toBe('busy');
      await store.releaseSessionExecutionLease(completionOf(h));
    }
  });

  if (backend.reopenable) {
    it('session_execution_lease_first_claim_excludes_concurrent_reopen_handles', async () => {
      const handle = await backend.open();
      await firstClaimExcludesConcurrentReopenHandles(handle.store, await handle.reopen());
    });
  }
});
