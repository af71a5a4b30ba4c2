/** 10-session-store §7.2: head commit, reads, metadata and turn-commit stamps. */
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { Store, turnCommitHash } from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { describeBackends, tempDir } from '../support/backends.js';
import { base, bytes, commitWith, E, fenced, lease, node, rejectsWith, release, text, wake, X } from '../support/fixtures.js';
import { firstClaimExcludesConcurrentReopenHandles } from '../support/scenarios.js';

describeBackends('SessionCommitStore', (backend) => {
  it('runtime_persistence_reports_declared_durability', async () => {
    const { store } = await backend.open();
    expect(store.durabilityTier()).toBe(backend.tier);
  });

  it('commit_increments_head_and_round_trips_agent_frames', async () => {
    const { store } = await backend.open({ clock: new ManualClock(1000) });
    const F1 = { frameId: 'frame-1', sessionId: 'root', reason: 'initial' };
    const F2 = {
      frameId: 'frame-2',
      sessionId: 'root',
      previousFrameId: 'frame-1',
      reason: 'plan_mode',
      executionStateSnapshot: bytes('frame-vm'),
    };
    const c = base('root');
    c.agentFrames = [F1, F2];
    c.currentAgentFrameId = 'frame-2';
    c.config = { providerId: 'openai-compatible', model: { id: 'gpt-5.4-mini', contextWindow: 128000 } };
    c.checkpoint.executionState = bytes('frame-vm');
    await commitWith(store, c, 'commit-round-trip');
    const read = await store.loadSession({ kind: 'fullGraph' });
    expect(read?.currentAgentFrameId).toBe('frame-2');
    expect(read?.agentFrames).toHaveLength(2);
    const f2 = read?.agentFrames.find((f) => f.frameId === 'frame-2');
    expect(f2?.reason).toBe('plan_mode');
    expect(f2?.executionStateSnapshot).toBeInstanceOf(Uint8Array);
    expect(f2?.executionStateSnapshot).toEqual(bytes('frame-vm'));
    expect(read?.checkpoint?.executionState).toEqual(bytes('frame-vm'));
  });

  it('concurrent_head_revision_cas_applies_exactly_once', async () => {
    const { store } = await backend.open({ clock: new ManualClock(1000) });
    const S = 'concurrent-head-cas';
    const l = await lease(store, S, 'cas-owner');
    const commit = (id: string) =>
      store.commitRuntimeState(
        fenced(
          {
            ...base(S),
            expectedHeadRevision: 0,
            graph: { kind: 'replaceFull', graph: { nodes: [node(id, null)], leafNodeId: id } },
          },
          l,
          false,
        ),
      );
    const results = await Promise.allSettled([commit('cas-left'), commit('cas-right')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.reason.code).toBe('HeadRevisionConflict');
    const read = await store.loadSession({ kind: 'fullGraph' });
    expect(read?.headRevision).toBe(1);
    expect(read?.graph.nodes).toHaveLength(1);
    expect(['cas-left', 'cas-right']).toContain(read?.graph.nodes[0]?.nodeId);
    await release(store, l);
  });

  it('commit_rejects_a_different_session_id', async () => {
    const { store } = await backend.open({ clock: new ManualClock(1000) });
    await commitWith(store, base('alpha'), 'bind-alpha');
    const error = await rejectsWith(commitWith(store, base('beta'), 'bind-beta'), 'SessionBindingMismatch');
    expect(error.boundSessionId).toBe('alpha');
    expect(error.attemptedSessionId).toBe('beta');
  });

  it('final_commit_stamp_is_idempotent_and_conflicts_on_changed_hash', async () => {
    const { store } = await backend.open({ clock: new ManualClock(1000) });
    const c = base('root');
    const h = turnCommitHash(c);
    const s = { ...c, turnCommit: { sessionId: 'root', turnId: 'provider-turn', turnCommitHash: h } };
    const l = await lease(store, 'root', 'provider-turn');
    const first = await store.commitRuntimeState(fenced(s, l));
    const retry = await store.commitRuntimeState(s);
    expect(retry.headRevision).toBe(first.headRevision);
    expect(retry.checkpointRef).toBe(first.checkpointRef);
    expect(turnCommitHash({ ...base('root'), expectedHeadRevision: first.headRevision })).toBe(h);
    const c2 = base('root');
    c2.checkpoint.turnState.turnIndex = 1;
    await rejectsWith(
      store.commitRuntimeState({
        ...c2,
        turnCommit: { sessionId: 'root', turnId: 'provider-turn', turnCommitHash: turnCommitHash(c2) },
      }),
      'RuntimeTurnCommitConflict',
    );
  });

  it('load_hydrates_checkpoint_and_usage', async () => {
    const { store } = await backend.open({ clock: new ManualClock(1000) });
    const c = base('hydrated');
    c.checkpoint.toolState = { generation: 9 };
    c.checkpoint.pluginSnapshot = { plugins: {} };
    c.checkpoint.pluginSnapshotRevision = 12;
    c.usageDeltas = [
      {
        source: 'turn',
        model: 'mock-model',
        usage: { inputTokens: 11, outputTokens: 7, cacheReadInputTokens: 3, cacheWriteInputTokens: 0, reasoningOutputTokens: 5 },
      },
    ];
    await commitWith(store, c, 'hydrate');
    const read = await store.loadSession({ kind: 'fullGraph' });
    expect(read?.sessionId).toBe('hydrated');
    expect(read?.checkpoint).not.toBeNull();
    expect(read?.checkpoint?.toolState).toMatchObject({ generation: 9 });
    expect(read?.checkpoint?.pluginSnapshotRevision).toBe(12);
    expect(read?.tokenLedger).toHaveLength(1);
    expect(read?.tokenLedger[0]?.usage.inputTokens).toBe(11);
  });

  it('session_metadata_round_trips', async () => {
    const { store } = await backend.open({ clock: new ManualClock(1000) });
    const meta = {
      sessionId: 'root',
      sessionName: 'Conformance Root',
      createdAt: '2026-06-02T00:00:00Z',
      model: 'gpt-5.4-mini',
      cwd: '/tmp/lash-conformance',
      relation: { kind: 'root' as const },
    };
    await store.saveSessionMeta(meta);
    const loaded = await store.loadSessionMeta();
    expect(loaded).not.toBeNull();
    expect(loaded).toEqual(meta);
  });

  if (backend.reopenable) {
    it('runtime_persistence_survives_reopen', async () => {
      const clock = new ManualClock(1000);
      const handle = await backend.open({ clock });
      const open = handle.store;
      const reopen = await handle.reopen({ clock });
      await firstClaimExcludesConcurrentReopenHandles(open, reopen);

      await open.saveSessionMeta({
        sessionId: 'root',
        sessionName: 'Durable Root',
        createdAt: '2026-06-02T00:00:00Z',
        model: 'gpt-5.4-mini',
        cwd: '/tmp/lash-reopen',
        relation: { kind: 'root' },
      });
      const c = base('root');
      c.checkpoint.toolState = { generation: 77 };
      await commitWith(open, c, 'reopen');
      const queued = await open.enqueueQueuedWork(wake('root', 'survives reopen', E, X, 'reopen:queued'));
      await open.recordIntent({
        attachmentId: 'reopen-attachment',
        sessionId: 'root',
        canonicalUri: 'sha256:reopen-attachment',
        intentAtEpochMs: 100,
        ownerKind: null,
        ownerId: null,
      });

      const check = async (store: Store) => {
        expect((await store.loadSessionMeta())?.sessionName).toBe('Durable Root');
        const read = await store.loadSession({ kind: 'fullGraph' });
        expect(read?.sessionId).toBe('root');
        expect(read?.checkpoint?.toolState).toMatchObject({ generation: 77 });
        const batches = await store.listQueuedWork('root');
        expect(batches).toHaveLength(1);
        expect(batches[0]?.batchId).toBe(queued.batchId);
        expect(text(batches[0] as (typeof batches)[number])).toBe('survives reopen');
        expect((await store.listUncommitted(200)).map((e) => e.attachmentId)).toContain('reopen-attachment');
      };
      await check(reopen);
      // And after both handles are gone, a fresh handle sees the same.
      await open.close();
      await reopen.close();
      await check(await handle.reopen({ clock }));
    });

    it('sqlite_store_schema_excludes_embedded_turn_replay_tables', async () => {
      const path = `${tempDir()}/session.db`;
      await (await Store.open(path)).close();
      const raw = new Database(path, { readonly: true });
      try {
        const tables = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
        expect(tables).not.toContain('runtime_turn_checkpoints');
        expect(tables).not.toContain('runtime_effect_journal');
        expect(tables.filter((t) => t === 'runtime_turn_commits')).toHaveLength(1);
      } finally {
        raw.close();
      }
    });
  }
});
