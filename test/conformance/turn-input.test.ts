/**
 * 10-session-store §7.5: pending user turn input — source keys, ordering, cancellation (by id, by
 * source key, suffix), active and next-turn claims, abandon, completion and generation fencing.
 * Every suite runs on a file and a memory store; the harness verifies the projections after each test.
 */
import { describe, expect, it } from 'vitest';
import {
  type InputItem,
  type PendingTurnInput,
  type PendingTurnInputCancelOutcome,
  type PendingTurnInputDraft,
  type Store,
  turnInputCompletionOf,
} from '../../src/index.js';
import { fenceOf } from '../../src/leases/session-lease.js';
import { ManualClock } from '../../src/testing.js';
import { describeBackends, fileBackend } from '../support/backends.js';
import {
  activeIn,
  base,
  DEAD,
  fenced,
  lease,
  localOwner,
  nextIn,
  owner,
  PID,
  rejectsWith,
  release,
} from '../support/fixtures.js';

/** `png(bs)` of §7.0. */
function png(bs: number[]): InputItem {
  return { kind: 'attachment', source: { kind: 'inline', mediaType: 'image/png', bytes: Uint8Array.from(bs) } };
}

/** `isCancelled(o, id)` of §7.0. */
function isCancelled(o: PendingTurnInputCancelOutcome | undefined, id: string): boolean {
  return o?.kind === 'cancelled' && o.input.inputId === id && o.input.state === 'cancelled';
}

const inputIds = (x: { inputs: PendingTurnInput[] } | null) => (x ? x.inputs.map((i) => i.inputId) : null);
const firstText = (i: PendingTurnInput) => (i.input.items[0] as { text?: string }).text;

async function listIds(store: Store, S: string): Promise<string[]> {
  return (await store.listPendingTurnInputs(S)).map((i) => i.inputId);
}

describeBackends('TurnInputStore', (backend) => {
  const open = async (clock = new ManualClock(1_000)) => (await backend.open({ clock })).store;

  it('pending_turn_inputs_source_keys_order_cancel_and_cross_session', async () => {
    const store = await open();
    const first = await store.enqueuePendingTurnInput(nextIn('root', 'first', 'source:first'));
    const replay = await store.enqueuePendingTurnInput(nextIn('root', 'first', 'source:first'));
    const conflict = await rejectsWith(
      store.enqueuePendingTurnInput(nextIn('root', 'different replay payload', 'source:first')),
      'PendingTurnInputSourceKeyConflict',
    );
    expect(conflict.sessionId).toBe('root');
    expect(conflict.sourceKey).toBe('source:first');
    expect(conflict.existingInputId).toBe(first.inputId);
    const second = await store.enqueuePendingTurnInput(nextIn('root', 'second'));
    await store.enqueuePendingTurnInput(nextIn('other', 'other session'));
    expect(replay.inputId).toBe(first.inputId);
    expect(firstText(replay)).toBe('first');
    const listed = await store.listPendingTurnInputs('root');
    expect(listed.map((i) => i.inputId)).toEqual([first.inputId, second.inputId]);
    expect(listed[0]!.enqueueSeq).toBeLessThan(listed[1]!.enqueueSeq);
    expect(listed.every((i) => i.sessionId === 'root')).toBe(true);

    expect(isCancelled(await store.cancelPendingTurnInput('root', second.inputId), second.inputId)).toBe(true);
    const again = await store.cancelPendingTurnInput('root', second.inputId);
    expect(again.kind).toBe('alreadyCancelled');
    expect(again.kind === 'alreadyCancelled' && again.input.inputId).toBe(second.inputId);
    expect(await listIds(store, 'root')).toEqual([first.inputId]);
    expect(isCancelled(await store.cancelPendingTurnInput('root', first.inputId), first.inputId)).toBe(true);
    const tombstone = await store.enqueuePendingTurnInput(nextIn('root', 'first', 'source:first'));
    expect(tombstone.inputId).toBe(first.inputId);
    expect(tombstone.state).toBe('cancelled');
    expect(await store.listPendingTurnInputs('root')).toEqual([]);
    expect(await store.vacuum()).toEqual({ removedNodeCount: 0, removedPendingTurnInputTombstoneCount: 2 });
    expect(await store.cancelPendingTurnInput('root', second.inputId)).toEqual({ kind: 'notFound' });
    expect(await store.listPendingTurnInputs('other')).toHaveLength(1);
    // after vacuum the source key is free again
    const fresh = await store.enqueuePendingTurnInput(nextIn('root', 'new content', 'source:first'));
    expect(fresh.inputId).not.toBe(first.inputId);
    expect(fresh.enqueueSeq).toBeGreaterThan(second.enqueueSeq);
  });

  it('pending_turn_input_bulk_and_suffix_cancellation', async () => {
    const store = await open();
    const f = await store.enqueuePendingTurnInput(nextIn('root', 'bulk first', 'bulk:first'));
    const s = await store.enqueuePendingTurnInput(nextIn('root', 'bulk second', 'bulk:second'));
    const t = await store.enqueuePendingTurnInput(nextIn('root', 'bulk third'));
    const results = await store.cancelPendingTurnInputs('root', [
      { kind: 'sourceKey', value: 'bulk:first' },
      { kind: 'inputId', value: t.inputId },
      { kind: 'sourceKey', value: 'bulk:missing' },
      { kind: 'sourceKey', value: 'bulk:first' },
    ]);
    expect(results).toHaveLength(4);
    expect(results[0]!.target).toEqual({ kind: 'sourceKey', value: 'bulk:first' });
    expect(isCancelled(results[0]!.outcome, f.inputId)).toBe(true);
    expect(isCancelled(results[1]!.outcome, t.inputId)).toBe(true);
    expect(results[2]!.outcome).toEqual({ kind: 'notFound' });
    expect(results[3]!.outcome.kind).toBe('alreadyCancelled');
    expect(results[3]!.outcome.kind === 'alreadyCancelled' && results[3]!.outcome.input.inputId).toBe(f.inputId);
    expect(await listIds(store, 'root')).toEqual([s.inputId]);

    // suffix by source key
    const an = await store.enqueuePendingTurnInput(nextIn('root', 'suffix anchor', 'suffix:anchor'));
    const ac = await store.enqueuePendingTurnInput(
      activeIn('root', 'suffix-active-turn', 'afterWork', 'suffix accepted active', 'suffix:claimed'),
    );
    const la = await store.enqueuePendingTurnInput(nextIn('root', 'suffix later', 'suffix:later'));
    const l = await lease(store, 'root', 'suffix-cancel-owner');
    const activeClaim = await store.claimActiveTurnInputs(
      'root',
      fenceOf(l),
      owner('suffix-cancel-owner'),
      'suffix-active-turn',
      'afterWork',
      10,
    );
    expect(inputIds(activeClaim)).toEqual([ac.inputId]);
    const bySource = await store.cancelPendingTurnInputSuffix('root', { kind: 'sourceKey', value: 'suffix:anchor' });
    expect(bySource.kind).toBe('outcomes');
    if (bySource.kind !== 'outcomes') return;
    expect(bySource.anchor).toEqual({ kind: 'sourceKey', value: 'suffix:anchor' });
    expect(bySource.outcomes).toHaveLength(3);
    expect(isCancelled(bySource.outcomes[0], an.inputId)).toBe(true);
    const claimed = bySource.outcomes[1]!;
    expect(claimed.kind).toBe('alreadyClaimed');
    if (claimed.kind !== 'alreadyClaimed') return;
    expect(claimed.input.inputId).toBe(ac.inputId);
    expect(claimed.claim?.claimId).toBe(activeClaim!.claimId);
    expect(claimed.claim).toMatchObject({
      state: 'accepted',
      claimOwner: owner('suffix-cancel-owner'),
      claimSessionLeaseGeneration: l.fencingToken,
      claimFencingToken: 1,
    });
    expect(isCancelled(bySource.outcomes[2], la.inputId)).toBe(true);

    // suffix by id
    const ba = await store.enqueuePendingTurnInput(nextIn('root', 'suffix by id anchor'));
    const bl = await store.enqueuePendingTurnInput(nextIn('root', 'suffix by id later', 'suffix:id-later'));
    const byId = await store.cancelPendingTurnInputSuffix('root', { kind: 'inputId', value: ba.inputId });
    expect(byId.kind === 'outcomes' && byId.outcomes.length).toBe(2);
    if (byId.kind !== 'outcomes') return;
    expect(isCancelled(byId.outcomes[0], ba.inputId)).toBe(true);
    expect(isCancelled(byId.outcomes[1], bl.inputId)).toBe(true);
    const missing = await store.cancelPendingTurnInputSuffix('root', { kind: 'sourceKey', value: 'suffix:missing' });
    expect(missing).toEqual({ kind: 'anchorNotFound', anchor: { kind: 'sourceKey', value: 'suffix:missing' } });
    expect(await listIds(store, 'root')).toEqual([s.inputId]);
  });

  it('pending_turn_input_claims_reclaim_complete_and_fence', async () => {
    const store = await open();
    const fDraft: PendingTurnInputDraft = {
      sessionId: 'root',
      inputId: null,
      sourceKey: 'next:first',
      ingress: { kind: 'nextTurn' },
      input: { items: [{ kind: 'text', text: 'first next' }, png([1, 2, 3])], protocolTurnOptions: null, traceTurnId: null },
    };
    const f = await store.enqueuePendingTurnInput(fDraft);
    const s = await store.enqueuePendingTurnInput(nextIn('root', 'second next'));
    const l = await lease(store, 'root', 'turn-input-owner');
    const o = owner('turn-input-owner');
    const c = await store.claimNextTurnInputs('root', fenceOf(l), o, 10);
    expect(inputIds(c)).toEqual([f.inputId, s.inputId]);
    expect(c!.mode).toEqual({ kind: 'nextTurn' });
    expect(c!.inputs.every((i) => i.state === 'deferredNextTurn')).toBe(true);
    const attachment = c!.inputs[0]!.input.items[1] as unknown as { source: { bytes: Uint8Array } };
    expect(attachment.source.bytes).toBeInstanceOf(Uint8Array);
    expect(Array.from(attachment.source.bytes)).toEqual([1, 2, 3]);

    const locked = await store.cancelPendingTurnInput('root', f.inputId);
    expect(locked.kind).toBe('alreadyClaimed');
    expect(locked.kind === 'alreadyClaimed' && locked.claim?.claimId).toBe(c!.claimId);
    expect(await store.listPendingTurnInputs('root')).toEqual([]);
    await store.abandonTurnInputClaim(c!);
    expect(await store.listPendingTurnInputs('root')).toHaveLength(2);
    const r = await store.claimNextTurnInputs('root', fenceOf(l), o, 10);
    expect(r!.fencingToken).toBeGreaterThan(c!.fencingToken);
    await rejectsWith(
      store.commitRuntimeState({ ...fenced(base('root'), l, false), completedTurnInputClaims: [turnInputCompletionOf(c!)] }),
      'TurnInputClaimSuperseded',
    );
    expect(await store.listPendingTurnInputs('root')).toEqual([]);
    await store.commitRuntimeState({ ...fenced(base('root'), l), completedTurnInputClaims: [turnInputCompletionOf(r!)] });
    expect(await store.listPendingTurnInputs('root')).toEqual([]);
    const done = await store.cancelPendingTurnInput('root', f.inputId);
    expect(done.kind).toBe('alreadyCompleted');
    expect(done.kind === 'alreadyCompleted' && done.input.inputId).toBe(f.inputId);
    const replay = await store.enqueuePendingTurnInput(fDraft);
    expect(replay.inputId).toBe(f.inputId);
    expect(replay.state).toBe('completed');
    const pl = await lease(store, 'root', 'post-completion-owner');
    expect(await store.claimNextTurnInputs('root', fenceOf(pl), owner('post-completion-owner'), 10)).toBeNull();
  });

  it('turn_input_claims_supersede_across_session_lease_generations', async () => {
    const store = await open();
    const i = await store.enqueuePendingTurnInput(nextIn('root', 'generation next input'));
    // (a)
    const la = await lease(store, 'root', 'tin-owner-a');
    const ca = await store.claimNextTurnInputs('root', fenceOf(la), owner('tin-owner-a'), 10);
    expect(inputIds(ca)).toEqual([i.inputId]);
    expect(ca!.sessionLeaseGeneration).toBe(la.fencingToken);
    expect(await store.claimNextTurnInputs('root', fenceOf(la), owner('tin-owner-a'), 10)).toBeNull();
    // (b)
    await release(store, la);
    const lb = await lease(store, 'root', 'tin-owner-b');
    const cb = await store.claimNextTurnInputs('root', fenceOf(lb), owner('tin-owner-b'), 10);
    expect(inputIds(cb)).toEqual([i.inputId]);
    expect(cb!.fencingToken).toBeGreaterThan(ca!.fencingToken);
    await rejectsWith(
      store.commitRuntimeState({ ...fenced(base('root'), lb, false), completedTurnInputClaims: [turnInputCompletionOf(ca!)] }),
      'TurnInputClaimSuperseded',
    );
    await release(store, lb);
    // (c)
    const dead = localOwner('tin-dead', 'tin-dead:incarnation', 'host-a', 'boot-a', PID, DEAD);
    const dl = await store.tryClaimSessionExecutionLease('root', dead, 60_000);
    expect(dl.kind).toBe('acquired');
    if (dl.kind !== 'acquired') return;
    const cd = await store.claimNextTurnInputs('root', fenceOf(dl.lease), dead, 10);
    expect(cd).not.toBeNull();
    const taker = localOwner('tin-taker', 'tin-taker:incarnation', 'host-a', 'boot-a', PID, 'tin-taker-start');
    const tl = await store.reclaimSessionExecutionLease('root', taker, fenceOf(dl.lease), 60_000);
    expect(tl.kind).toBe('acquired');
    if (tl.kind !== 'acquired') return;
    const ct = await store.claimNextTurnInputs('root', fenceOf(tl.lease), taker, 10);
    expect(inputIds(ct)).toEqual([i.inputId]);
    await rejectsWith(
      store.commitRuntimeState({
        ...fenced(base('root'), tl.lease, false),
        completedTurnInputClaims: [turnInputCompletionOf(cd!)],
      }),
      'TurnInputClaimSuperseded',
    );
  });

  it('pending_turn_input_cancel_covers_active_and_deferred_states', async () => {
    const store = await open();
    const T = 'cancel-active-turn';
    const keep = await store.enqueuePendingTurnInput(activeIn('root', T, 'afterWork', 'active that defers'));
    const ac = await store.enqueuePendingTurnInput(activeIn('root', T, 'afterWork', 'active cancelled before interrupt'));
    const nc = await store.enqueuePendingTurnInput(nextIn('root', 'next cancelled before claim'));
    const acOutcome = await store.cancelPendingTurnInput('root', ac.inputId);
    expect(isCancelled(acOutcome, ac.inputId)).toBe(true);
    expect(acOutcome.kind === 'cancelled' && acOutcome.input.ingress.kind).toBe('activeTurn');
    expect(isCancelled(await store.cancelPendingTurnInput('root', nc.inputId), nc.inputId)).toBe(true);
    const l = await lease(store, 'root', 'cancel-input-owner');
    await store.commitRuntimeState({ ...fenced(base('root'), l, false), interruptedTurnInputTurnId: T });
    const listed = await store.listPendingTurnInputs('root');
    expect(listed.map((i) => i.inputId)).toEqual([keep.inputId]);
    expect(listed[0]!.ingress).toEqual({ kind: 'nextTurn' });
    expect(listed[0]!.state).toBe('deferredNextTurn');
    expect(isCancelled(await store.cancelPendingTurnInput('root', keep.inputId), keep.inputId)).toBe(true);
    expect(await store.claimNextTurnInputs('root', fenceOf(l), owner('cancel-input-owner'), 10)).toBeNull();
  });
});

describeBackends('TurnInputStore details', (backend) => {
  const open = async (clock = new ManualClock(1_000)) => (await backend.open({ clock })).store;

  it('active claims honour the turn, the minimum boundary and maxInputs; accepted rows are never re-selected', async () => {
    const store = await open();
    const T = 'turn-1';
    const aw = await store.enqueuePendingTurnInput(activeIn('root', T, 'afterWork', 'after work'));
    const bc = await store.enqueuePendingTurnInput(activeIn('root', T, 'beforeCompletion', 'before completion'));
    const other = await store.enqueuePendingTurnInput(activeIn('root', 'turn-2', 'afterWork', 'other turn'));
    const next = await store.enqueuePendingTurnInput(nextIn('root', 'next'));
    const l = await lease(store, 'root', 'o');
    const o = owner('o');
    expect(await store.claimActiveTurnInputs('root', fenceOf(l), o, T, 'afterWork', 0)).toBeNull();
    const atWork = await store.claimActiveTurnInputs('root', fenceOf(l), o, T, 'afterWork', 10);
    expect(inputIds(atWork)).toEqual([aw.inputId]);
    expect(atWork!.inputs[0]!.state).toBe('accepted');
    expect(atWork!.claimId).toBe(`tic:${aw.enqueueSeq}:1`);
    const atCompletion = await store.claimActiveTurnInputs('root', fenceOf(l), o, T, 'beforeCompletion', 10);
    expect(inputIds(atCompletion)).toEqual([bc.inputId]);
    expect(await store.claimActiveTurnInputs('root', fenceOf(l), o, T, 'beforeCompletion', 10)).toBeNull();
    // a new generation does not re-select accepted rows either
    await release(store, l);
    const l2 = await lease(store, 'root', 'o2');
    expect(await store.claimActiveTurnInputs('root', fenceOf(l2), owner('o2'), T, 'beforeCompletion', 10)).toBeNull();
    expect((await store.listPendingTurnInputs('root')).map((i) => i.inputId)).toEqual([other.inputId, next.inputId]);
    // abandon restores accepted rows to pendingActive; the claim fencing token keeps counting
    await store.abandonTurnInputClaims([atWork!, atCompletion!]);
    const again = await store.claimActiveTurnInputs('root', fenceOf(l2), owner('o2'), T, 'beforeCompletion', 1);
    expect(inputIds(again)).toEqual([aw.inputId]);
    expect(again!.fencingToken).toBe(2);
  });

  it('maxInputs 0 returns null before the fence is checked; a bad fence rejects otherwise', async () => {
    const store = await open();
    await store.enqueuePendingTurnInput(nextIn('root', 'x'));
    const l = await lease(store, 'root', 'o');
    await release(store, l);
    expect(await store.claimNextTurnInputs('root', fenceOf(l), owner('o'), 0)).toBeNull();
    await rejectsWith(store.claimNextTurnInputs('root', fenceOf(l), owner('o'), 1), 'SessionExecutionLeaseExpired');
    await rejectsWith(
      store.claimActiveTurnInputs('root', fenceOf(l), owner('o'), 't', 'afterWork', 1),
      'SessionExecutionLeaseExpired',
    );
    // a fence for another session is refused too
    const other = await lease(store, 'other', 'o');
    await rejectsWith(store.claimNextTurnInputs('root', fenceOf(other), owner('o'), 1), 'SessionExecutionLeaseExpired');
  });

  it('source-key replay treats absent and null members alike and compares ingress', async () => {
    const store = await open();
    const draft = activeIn('root', 'turn', 'afterWork', 'hello', 'k');
    const first = await store.enqueuePendingTurnInput(draft);
    const sparse = {
      sessionId: 'root',
      sourceKey: 'k',
      ingress: { kind: 'activeTurn', turnId: 'turn' },
      input: { items: [{ kind: 'text', text: 'hello' }] },
    } as unknown as PendingTurnInputDraft;
    expect((await store.enqueuePendingTurnInput(sparse)).inputId).toBe(first.inputId);
    await rejectsWith(
      store.enqueuePendingTurnInput(activeIn('root', 'turn', 'beforeCompletion', 'hello', 'k')),
      'PendingTurnInputSourceKeyConflict',
    );
    await rejectsWith(store.enqueuePendingTurnInput(nextIn('root', 'hello', 'k')), 'PendingTurnInputSourceKeyConflict');
    // the same key in another session is independent
    expect((await store.enqueuePendingTurnInput(nextIn('other', 'hello', 'k'))).inputId).not.toBe(first.inputId);
    // after interrupt deferral the stored ingress is nextTurn, so the replay compares against that
    const l = await lease(store, 'root', 'o');
    await store.commitRuntimeState({ ...fenced(base('root'), l), interruptedTurnInputTurnId: 'turn' });
    await rejectsWith(store.enqueuePendingTurnInput(draft), 'PendingTurnInputSourceKeyConflict');
    const deferred = await store.enqueuePendingTurnInput(nextIn('root', 'hello', 'k'));
    expect(deferred.inputId).toBe(first.inputId);
    expect(deferred.state).toBe('deferredNextTurn');
  });

  it('caller-supplied input ids are kept and must be unique across the store', async () => {
    const store = await open();
    const mine = await store.enqueuePendingTurnInput({ ...nextIn('root', 'a'), inputId: 'input-1' });
    expect(mine.inputId).toBe('input-1');
    expect(mine.enqueuedAtMs).toBe(1_000);
    const error = await rejectsWith(store.enqueuePendingTurnInput({ ...nextIn('other', 'b'), inputId: 'input-1' }), 'Backend');
    expect(error.detail).toBe("pending turn input 'input-1' already exists");
    expect(await store.listPendingTurnInputs('other')).toEqual([]);
  });

  it('bad arguments are InvalidArgument and change nothing', async () => {
    const store = await open();
    const l = await lease(store, 'root', 'o');
    const before = (await store.readEvents()).length;
    await rejectsWith(store.claimNextTurnInputs('root', fenceOf(l), owner('o'), Number.NaN), 'InvalidArgument');
    await rejectsWith(
      store.claimActiveTurnInputs('root', fenceOf(l), owner('o'), 't', 'sometime' as 'afterWork', 1),
      'InvalidArgument',
    );
    await rejectsWith(
      store.enqueuePendingTurnInput({ ...nextIn('root', 'x'), ingress: { kind: 'later' } } as unknown as PendingTurnInputDraft),
      'InvalidArgument',
    );
    const bad = await rejectsWith(
      store.enqueuePendingTurnInput({
        ...nextIn('root', 'x'),
        input: { items: [{ kind: 'text', text: 3 }] },
      } as unknown as PendingTurnInputDraft),
      'InvalidArgument',
    );
    expect(bad.argument).toBe('draft.input.items[0].text');
    await rejectsWith(store.cancelPendingTurnInputs('root', [{ kind: 'nope', value: 'x' }] as unknown as []), 'InvalidArgument');
    expect((await store.readEvents()).length).toBe(before);
  });

  it('commands that change nothing append no event; changes append the Appendix A events', async () => {
    const store = await open();
    const l = await lease(store, 'root', 'o');
    const o = owner('o');
    const count = async () => (await store.readEvents()).length;
    let before = await count();
    expect(await store.claimNextTurnInputs('root', fenceOf(l), o, 10)).toBeNull();
    expect(await store.cancelPendingTurnInput('root', 'missing')).toEqual({ kind: 'notFound' });
    expect(await store.cancelPendingTurnInputSuffix('root', { kind: 'inputId', value: 'missing' })).toMatchObject({
      kind: 'anchorNotFound',
    });
    await store.abandonTurnInputClaims([]);
    expect(await count()).toBe(before);

    const i = await store.enqueuePendingTurnInput(nextIn('root', 'x'));
    const c = await store.claimNextTurnInputs('root', fenceOf(l), o, 10);
    await store.abandonTurnInputClaim(c!);
    before = await count();
    await store.abandonTurnInputClaim(c!); // matches nothing now
    expect(await count()).toBe(before);
    await store.cancelPendingTurnInput('root', i.inputId);
    const types = (await store.readEvents({ stream: 'input:root' })).map((e) => e.type);
    expect(types).toEqual(['TurnInputEnqueued', 'TurnInputsClaimed', 'TurnInputClaimAbandoned', 'TurnInputsCancelled']);
    const claimed = (await store.readEvents({ stream: 'input:root' }))[1]!.data as Record<string, unknown>;
    expect(claimed).toMatchObject({ claimId: c!.claimId, leaseToken: c!.leaseToken, inputIds: [i.inputId] });
  });
});

describe('TurnInputStore replay', () => {
  it('rebuildProjections reproduces claims, cancels and abandons exactly', async () => {
    const { store } = await fileBackend.open({ clock: new ManualClock(1_000) });
    const l = await lease(store, 'root', 'o');
    const a = await store.enqueuePendingTurnInput(activeIn('root', 't', 'afterWork', 'a'));
    await store.enqueuePendingTurnInput(nextIn('root', 'b'));
    const ca = await store.claimActiveTurnInputs('root', fenceOf(l), owner('o'), 't', 'afterWork', 5);
    const cn = await store.claimNextTurnInputs('root', fenceOf(l), owner('o'), 5);
    await store.abandonTurnInputClaim(ca!);
    await store.cancelPendingTurnInput('root', a.inputId);
    const before = await store.listPendingTurnInputs('root');
    await store.rebuildProjections();
    expect(await store.listPendingTurnInputs('root')).toEqual(before);
    expect((await store.verifyProjections()).ok).toBe(true);
    await store.commitRuntimeState({ ...fenced(base('root'), l), completedTurnInputClaims: [turnInputCompletionOf(cn!)] });
  });
});
