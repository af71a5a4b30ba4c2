/**
 * 20-blobs-attachments-lifecycle §4.3–§4.5 and §10.13: the attachment manifest on `Store` —
 * write-ahead intents, commit stamps, listings, reconciliation with owner-death proofs, and
 * commit-time adoption. Every case runs on each backend; the harness verifies the projections
 * against the replayed log after each test.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { type AttachmentIntent, type Store, turnCommitHash } from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { FakeProcessRegistry, intent } from '../support/attachments.js';
import { describeBackends, fileBackend } from '../support/backends.js';
import { base, commitWith, rejectsWith } from '../support/fixtures.js';

async function eventTypes(store: Store, afterSeq = 0): Promise<string[]> {
  return (await store.readEvents({ afterSeq })).map((e) => e.type);
}

async function lastSeq(store: Store): Promise<number> {
  return (await store.readEvents()).at(-1)?.seq ?? 0;
}

function owned(sessionId: string, id: string, at: number, kind: 'turn' | 'process', ownerId: string): AttachmentIntent {
  return { ...intent(sessionId, id, at), ownerKind: kind, ownerId };
}

/** A stamped commit of `turnId` in `sessionId` (lease-committed). */
async function commitTurn(store: Store, sessionId: string, turnId: string, owner: string, attach: string[] = []) {
  const c = { ...base(sessionId), committedAttachmentIds: attach };
  const stamped = { ...c, turnCommit: { sessionId, turnId, turnCommitHash: turnCommitHash(c) } };
  return { commit: stamped, result: await commitWith(store, stamped, owner) };
}

describeBackends('AttachmentManifest on Store', (backend) => {
  it('persistence_manifest_adapter_forwards_holds_ref (§10.5 #29)', async () => {
    const { store } = await backend.open();
    const id = 'adapter-forwarding';
    await store.recordIntent({
      attachmentId: id,
      sessionId: 'adapter-session',
      canonicalUri: 'lash-attachment://sha256/adapter-forwarding',
      intentAtEpochMs: 10,
      ownerKind: null,
      ownerId: null,
    });
    expect(await store.holdsRef('adapter-session', id)).toBe(true);
    expect(await store.holdsRef('other-session', id)).toBe(false);
    expect(await store.holdsRef('adapter-session', 'never-recorded')).toBe(false);
    expect(await store.listAllRefs()).toEqual([id]);
  });

  it('attachment_manifest_records_intent_and_commit_stamps (§10.13 #61)', async () => {
    const { store } = await backend.open({ clock: new ManualClock(1000) });
    for (const id of ['runtime-commit', 'manual-commit', 'orphan']) await store.recordIntent(intent('root', id, 100));
    expect(await store.listUncommitted(200)).toHaveLength(3);
    await store.commitRefs('root', ['manual-commit']);
    await commitWith(store, { ...base('root'), committedAttachmentIds: ['runtime-commit'] }, 'attachment-manifest');
    const left = await store.listUncommitted(200);
    expect(left).toHaveLength(1);
    expect(left[0]?.attachmentId).toBe('orphan');
    expect(left[0]?.committedAtEpochMs).toBeNull();
    await store.forget('root', 'orphan');
    expect(await store.listUncommitted(200)).toEqual([]);
  });

  it('attachment_manifest_keeps_same_content_ownership_per_session (§10.13 #62)', async () => {
    const { store } = await backend.open({ clock: new ManualClock(1000) });
    const id = 'same-content';
    await store.recordIntent(intent('committed-owner', id, 100));
    await store.recordIntent(intent('orphan-owner', id, 100));
    await store.commitRefs('committed-owner', [id]);
    const keys = async () => (await store.listUncommitted(200)).map((e) => `${e.sessionId}/${e.attachmentId}`);
    expect(await keys()).toContain(`orphan-owner/${id}`);
    expect(await keys()).not.toContain(`committed-owner/${id}`);
    await store.forget('orphan-owner', id);
    await store.recordIntent(intent('committed-owner', id, 150));
    expect(await keys()).not.toContain(`committed-owner/${id}`);
    expect(await store.holdsRef('committed-owner', id)).toBe(true);
  });

  it('far_future_cutoffs_mean_everything (§10.14 #75, manifest part)', async () => {
    const { store } = await backend.open();
    await store.recordIntent(intent('s', 'far', 5));
    expect((await store.listUncommitted(Number.MAX_SAFE_INTEGER)).map((e) => e.attachmentId)).toContain('far');
    expect((await store.listUncommitted(2 ** 64)).map((e) => e.attachmentId)).toContain('far');
    expect((await store.listUncommitted(Number.POSITIVE_INFINITY)).map((e) => e.attachmentId)).toContain('far');
    expect(await store.hasLiveRefForId('far', 2 ** 64)).toBe(false);
    await store.forgetAgedUncommittedIntents(Number.MAX_SAFE_INTEGER);
    expect(await store.listAllRefs()).toEqual([]);
  });

  it('listings_are_deterministic (§10.14 #77)', async () => {
    const { store } = await backend.open();
    await store.recordIntent(intent('s-b', 'id2', 100));
    await store.recordIntent(intent('s-a', 'id3', 100));
    await store.recordIntent(intent('s-a', 'id1', 100));
    await store.recordIntent(intent('s-a', 'id0', 99));
    const listed = (await store.listUncommitted(100)).map((e) => [e.sessionId, e.attachmentId]);
    expect(listed).toEqual([
      ['s-a', 'id0'],
      ['s-a', 'id1'],
      ['s-a', 'id3'],
      ['s-b', 'id2'],
    ]);
    expect(await store.listAllRefs()).toEqual(['id0', 'id1', 'id2', 'id3']);
  });

  it('listUncommitted returns whole entries, inclusive of the cutoff, in every session', async () => {
    const { store } = await backend.open();
    await store.recordIntent(owned('s1', 'a', 100, 'turn', 't1'));
    await store.recordIntent(intent('s2', 'b', 101));
    expect(await store.listUncommitted(100)).toEqual([
      {
        attachmentId: 'a',
        sessionId: 's1',
        canonicalUri: 'sha256:a',
        intentAtEpochMs: 100,
        ownerKind: 'turn',
        ownerId: 't1',
        committedAtEpochMs: null,
      },
    ]);
    expect(await store.listUncommitted(99)).toEqual([]);
    expect(await store.listUncommitted(-5)).toEqual([]);
    expect((await store.listUncommitted(101)).map((e) => e.attachmentId)).toEqual(['a', 'b']);
  });

  it('recordIntent is an upsert that never clears the commit stamp; an identical re-put appends nothing', async () => {
    const clock = new ManualClock(5000);
    const { store } = await backend.open({ clock });
    await store.recordIntent(intent('s', 'x', 300));
    await store.commitRefs('s', ['x']);
    const before = await lastSeq(store);
    // The intent time comes from the caller and may move backwards; owner and uri are replaced.
    await store.recordIntent({ ...owned('s', 'x', 200, 'process', 'p1'), canonicalUri: 'lash-attachment://sha256/x' });
    expect(await eventTypes(store, before)).toEqual(['AttachmentIntentRecorded']);
    const committed = await store.listUncommitted(Number.MAX_SAFE_INTEGER);
    expect(committed).toEqual([]);
    const seq = await lastSeq(store);
    await store.recordIntent({ ...owned('s', 'x', 200, 'process', 'p1'), canonicalUri: 'lash-attachment://sha256/x' });
    expect(await lastSeq(store)).toBe(seq);
    // Still committed after the refresh: reconciliation at any cutoff keeps it.
    await store.forgetAgedUncommittedIntents(Number.MAX_SAFE_INTEGER);
    expect(await store.holdsRef('s', 'x')).toBe(true);
    await store.recordIntent(intent('s', 'y', 1));
    const events = await store.readEvents({ afterSeq: seq });
    expect(events.map((e) => [e.type, e.stream])).toEqual([['AttachmentIntentRecorded', 'attachments:s']]);
  });

  it('recordIntent with a half-set or unknown owner rejects with Backend and changes nothing', async () => {
    const { store } = await backend.open();
    const seq = await lastSeq(store);
    await rejectsWith(store.recordIntent({ ...intent('s', 'x', 1), ownerKind: 'turn', ownerId: null }), 'Backend');
    await rejectsWith(store.recordIntent({ ...intent('s', 'x', 1), ownerKind: null, ownerId: 'p' }), 'Backend');
    await rejectsWith(store.recordIntent({ ...intent('s', 'x', 1), ownerKind: 'agent' as 'turn', ownerId: 'p' }), 'Backend');
    const nan = await rejectsWith(store.recordIntent(intent('s', 'x', Number.NaN)), 'InvalidArgument');
    expect(nan.expected).toBe('a number');
    await rejectsWith(store.recordIntent({ ...intent('s', 'x', 1), attachmentId: 7 as unknown as string }), 'InvalidArgument');
    expect(await lastSeq(store)).toBe(seq);
    expect(await store.listAllRefs()).toEqual([]);
  });

  it('commitRefs stamps only existing uncommitted rows, keeps the first stamp and never inserts', async () => {
    const clock = new ManualClock(7000);
    const { store } = await backend.open({ clock });
    await store.recordIntent(intent('s', 'a', 1));
    await store.recordIntent(intent('other', 'b', 1));
    const seq = await lastSeq(store);
    await store.commitRefs('s', []);
    expect(await lastSeq(store)).toBe(seq);
    await store.commitRefs('s', ['a', 'a', 'b', 'unknown']);
    const events = await store.readEvents({ afterSeq: seq });
    expect(events.map((e) => e.type)).toEqual(['AttachmentRefsCommitted']);
    expect(events[0]?.data).toEqual({ sessionId: 's', attachmentIds: ['a'], committedAtMs: 7000 });
    expect(events[0]?.stream).toBe('attachments:s');
    expect(await store.holdsRef('s', 'unknown')).toBe(false);
    expect(await store.holdsRef('s', 'b')).toBe(false);
    clock.advance(100);
    const again = await lastSeq(store);
    await store.commitRefs('s', ['a']);
    expect(await lastSeq(store)).toBe(again);
    expect((await store.listUncommitted(10)).map((e) => e.attachmentId)).toEqual(['b']);
  });

  it('forget deletes one row, committed or not; a missing row appends nothing', async () => {
    const { store } = await backend.open();
    await store.recordIntent(intent('s', 'a', 1));
    await store.recordIntent(intent('s', 'b', 1));
    await store.commitRefs('s', ['b']);
    await store.forget('s', 'b');
    await store.forget('s', 'a');
    const seq = await lastSeq(store);
    await store.forget('s', 'a');
    await store.forget('nobody', 'a');
    expect(await lastSeq(store)).toBe(seq);
    expect(await store.listAllRefs()).toEqual([]);
  });

  it('reconciliation: ownerless intents die by age alone, committed rows never', async () => {
    const { store } = await backend.open({ clock: new ManualClock(10_000) });
    await store.recordIntent(intent('s', 'old', 100));
    await store.recordIntent(intent('s', 'edge', 200));
    await store.recordIntent(intent('s', 'young', 201));
    await store.recordIntent(intent('s', 'kept', 50));
    await store.commitRefs('s', ['kept']);
    expect(await store.hasLiveRefForId('edge', 200)).toBe(false);
    expect(await store.hasLiveRefForId('young', 200)).toBe(true);
    expect(await store.hasLiveRefForId('kept', 200)).toBe(true);
    expect(await store.hasLiveRefForId('never', 200)).toBe(false);
    const seq = await lastSeq(store);
    await store.forgetAgedUncommittedIntents(200);
    const events = await store.readEvents({ afterSeq: seq });
    expect(events.map((e) => [e.type, e.stream])).toEqual([['AgedIntentsForgotten', 'attachments']]);
    expect(events[0]?.data).toEqual({
      cutoffEpochMs: 200,
      deadProcessIds: [],
      rows: [
        { sessionId: 's', attachmentId: 'edge' },
        { sessionId: 's', attachmentId: 'old' },
      ],
    });
    expect(await store.listAllRefs()).toEqual(['kept', 'young']);
    // Idempotent: nothing left to forget, nothing appended.
    const after = await lastSeq(store);
    await store.forgetAgedUncommittedIntents(200);
    expect(await lastSeq(store)).toBe(after);
  });

  it('reconciliation: a turn owner dies only through a later commit of a different turn of its session', async () => {
    const clock = new ManualClock(1000);
    const { store } = await backend.open({ clock });
    await store.recordIntent(owned('s', 'before', 500, 'turn', 'crashed'));
    await store.recordIntent(owned('s', 'same-ms', 1000, 'turn', 'crashed'));
    await store.recordIntent(owned('s', 'own-turn', 500, 'turn', 'later'));
    await store.recordIntent(owned('other', 'other-session', 500, 'turn', 'crashed'));
    // Age alone never kills a turn owner.
    await store.forgetAgedUncommittedIntents(Number.MAX_SAFE_INTEGER);
    expect(await store.listAllRefs()).toEqual(['before', 'other-session', 'own-turn', 'same-ms']);
    // Turn `later` of session `s` commits at 1000: strictly after 500, not after 1000. Its own rows get adopted.
    await commitTurn(store, 's', 'later', 'later-owner');
    // Ordered by intent time, then session id: `other` sorts before `s`.
    expect((await store.listUncommitted(Number.MAX_SAFE_INTEGER)).map((e) => e.attachmentId)).toEqual([
      'other-session',
      'before',
      'same-ms',
    ]);
    expect(await store.hasLiveRefForId('before', Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(await store.hasLiveRefForId('same-ms', Number.MAX_SAFE_INTEGER)).toBe(true);
    // The cutoff still applies: an intent younger than it survives.
    await store.forgetAgedUncommittedIntents(499);
    expect(await store.holdsRef('s', 'before')).toBe(true);
    await store.forgetAgedUncommittedIntents(Number.MAX_SAFE_INTEGER);
    expect(await store.listAllRefs()).toEqual(['other-session', 'own-turn', 'same-ms']);
  });

  it('reconciliation: process owners are immortal without a registry', async () => {
    const { store } = await backend.open();
    await store.recordIntent(owned('s', 'p-owned', 1, 'process', 'missing-process'));
    await store.forgetAgedUncommittedIntents(Number.MAX_SAFE_INTEGER);
    expect(await store.hasLiveRefForId('p-owned', Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(await store.listAllRefs()).toEqual(['p-owned']);
  });

  it('reconciliation: process owners die when the registry no longer has them; the dead set is in the event', async () => {
    const registry = new FakeProcessRegistry(['alive']);
    const { store } = await backend.open({ processRegistry: registry });
    await store.recordIntent(owned('s', 'of-alive', 1, 'process', 'alive'));
    await store.recordIntent(owned('s', 'of-pruned', 1, 'process', 'pruned'));
    await store.recordIntent(owned('s', 'young-pruned', 50, 'process', 'pruned-young'));
    await store.recordIntent(owned('s', 'committed-pruned', 1, 'process', 'pruned'));
    await store.commitRefs('s', ['committed-pruned']);
    expect(await store.hasLiveRefForId('of-pruned', 10)).toBe(false);
    expect(await store.hasLiveRefForId('of-alive', 10)).toBe(true);
    const seq = await lastSeq(store);
    registry.calls = [];
    await store.forgetAgedUncommittedIntents(10);
    // Only owners of aged uncommitted rows are asked.
    expect(registry.calls).toEqual(['alive', 'pruned']);
    const events = await store.readEvents({ afterSeq: seq });
    expect(events[0]?.data).toEqual({
      cutoffEpochMs: 10,
      deadProcessIds: ['pruned'],
      rows: [{ sessionId: 's', attachmentId: 'of-pruned' }],
    });
    expect(await store.listAllRefs()).toEqual(['committed-pruned', 'of-alive', 'young-pruned']);
    // A pruned id registered again is live again.
    registry.processes.add('pruned-young');
    await store.forgetAgedUncommittedIntents(100);
    expect(await store.holdsRef('s', 'young-pruned')).toBe(true);
  });

  it('reconciliation with an unusable registry rejects with Backend and deletes nothing', async () => {
    const registry = new FakeProcessRegistry();
    const { store } = await backend.open({ processRegistry: registry });
    await store.recordIntent(intent('s', 'ownerless', 1));
    await store.recordIntent(owned('s', 'p-owned', 1, 'process', 'p'));
    registry.closed = true;
    const seq = await lastSeq(store);
    const error = await rejectsWith(store.forgetAgedUncommittedIntents(10), 'Backend');
    expect(String(error.message)).toContain('configured Lash process registry is not available: process registry is closed');
    await rejectsWith(store.hasLiveRefForId('p-owned', 10), 'Backend');
    expect(await lastSeq(store)).toBe(seq);
    expect(await store.listAllRefs()).toEqual(['ownerless', 'p-owned']);
  });

  it('read-only probes append nothing; NaN cutoffs are InvalidArgument', async () => {
    const { store } = await backend.open();
    await store.recordIntent(intent('s', 'a', 1));
    const seq = await lastSeq(store);
    await store.hasLiveRefForId('a', 10);
    await store.holdsRef('s', 'a');
    await store.listAllRefs();
    await store.listUncommitted(10);
    expect(await lastSeq(store)).toBe(seq);
    await rejectsWith(store.listUncommitted(Number.NaN), 'InvalidArgument');
    await rejectsWith(store.forgetAgedUncommittedIntents(Number.NaN), 'InvalidArgument');
    await rejectsWith(store.hasLiveRefForId('a', Number.NaN), 'InvalidArgument');
    await rejectsWith(store.commitRefs('s', 'a' as unknown as string[]), 'InvalidArgument');
  });

  it('adoption stamps explicit ids and the stamped turn’s own intents; an idempotent replay stamps nothing', async () => {
    const clock = new ManualClock(2000);
    const { store } = await backend.open({ clock });
    await store.recordIntent(owned('s', 'json-only', 100, 'turn', 'turn-1'));
    await store.recordIntent(owned('s', 'other-turn', 100, 'turn', 'turn-2'));
    await store.recordIntent(intent('s', 'explicit', 100));
    await store.recordIntent(intent('elsewhere', 'cross-session', 100));
    const { commit } = await commitTurn(store, 's', 'turn-1', 'first', ['explicit', 'cross-session']);
    expect((await store.listUncommitted(Number.MAX_SAFE_INTEGER)).map((e) => e.attachmentId)).toEqual([
      'cross-session',
      'other-turn',
    ]);
    expect(await store.holdsRef('s', 'cross-session')).toBe(false);
    // A new intent of the same turn, then the exact replay: the replay path adopts nothing.
    await store.recordIntent(owned('s', 'after-commit', 150, 'turn', 'turn-1'));
    clock.advance(10);
    const seq = await lastSeq(store);
    await store.commitRuntimeState({ ...commit, sessionExecutionLease: null, releaseSessionExecutionLease: null });
    expect(await lastSeq(store)).toBe(seq);
    expect((await store.listUncommitted(Number.MAX_SAFE_INTEGER)).map((e) => e.attachmentId)).toContain('after-commit');
  });

  it('a closed store rejects manifest calls with Closed', async () => {
    const { store } = await backend.open();
    await store.close();
    await rejectsWith(store.recordIntent(intent('s', 'a', 1)), 'Closed');
    await rejectsWith(store.commitRefs('s', []), 'Closed');
    await rejectsWith(store.listAllRefs(), 'Closed');
    await rejectsWith(store.forgetAgedUncommittedIntents(1), 'Closed');
    await rejectsWith(store.hasLiveRefForId('a', 1), 'Closed');
  });
});

describe('AttachmentManifest on a damaged or read-only file', () => {
  it('the table refuses a half-set or unknown owner even from a raw connection', async () => {
    const handle = await fileBackend.open();
    await handle.store.recordIntent(intent('s', 'a', 1));
    const raw = new Database(handle.path as string);
    try {
      expect(() => raw.prepare("UPDATE attachment_manifest SET owner_kind = 'bogus', owner_id = 'x'").run()).toThrow(/CHECK/);
      expect(() => raw.prepare("UPDATE attachment_manifest SET owner_kind = 'turn'").run()).toThrow(/CHECK/);
    } finally {
      raw.close();
    }
  });

  it('a manifest row that cannot be mapped is CorruptData, never skipped', async () => {
    const handle = await fileBackend.open();
    await handle.store.recordIntent(intent('s', 'ok', 1));
    await handle.store.recordIntent(intent('s', 'bad', 1));
    await handle.store.close();
    const raw = new Database(handle.path as string);
    raw.prepare("UPDATE attachment_manifest SET intent_at_ms = 'not-a-time' WHERE attachment_id = 'bad'").run();
    raw.close();
    const store = await handle.reopen();
    const error = await rejectsWith(store.listUncommitted(10), 'CorruptData');
    expect(error.table).toBe('attachment_manifest');
    expect(error.key).toBe('s/bad');
    await rejectsWith(store.forgetAgedUncommittedIntents(10), 'CorruptData');
    await rejectsWith(store.hasLiveRefForId('bad', 10), 'CorruptData');
    expect(await store.listAllRefs()).toEqual(['bad', 'ok']);
    // Repair the row so the harness's replay check compares like with like.
    const fix = new Database(handle.path as string);
    fix.prepare("UPDATE attachment_manifest SET intent_at_ms = 1 WHERE attachment_id = 'bad'").run();
    fix.close();
  });

  it('survives reopen: intents written through one handle are listed by another (10-session-store §7.2.8)', async () => {
    const handle = await fileBackend.open();
    const reopen = await handle.reopen();
    await handle.store.recordIntent({
      attachmentId: 'reopen-attachment',
      sessionId: 'root',
      canonicalUri: 'sha256:reopen-attachment',
      intentAtEpochMs: 100,
      ownerKind: null,
      ownerId: null,
    });
    expect((await reopen.listUncommitted(200)).map((e) => e.attachmentId)).toContain('reopen-attachment');
  });

  it('a read-only store refuses manifest writes with Backend', async () => {
    const handle = await fileBackend.open();
    await handle.store.recordIntent(intent('s', 'a', 1));
    const { Store } = await import('../../src/index.js');
    const readonly = await Store.openReadonly(handle.path as string);
    try {
      await rejectsWith(readonly.recordIntent(intent('s', 'b', 1)), 'Backend');
      await rejectsWith(readonly.forgetAgedUncommittedIntents(10), 'Backend');
      expect(await readonly.holdsRef('s', 'a')).toBe(true);
    } finally {
      await readonly.close();
    }
  });
});
