/** 10-session-store §7.2: head commit, reads, metadata and turn-commit stamps. */
import { expect, it } from 'vitest';
import { turnCommitHash } from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { describeBackends } from '../support/backends.js';
import { base, bytes, commitWith, fenced, lease, node, rejectsWith, release } from '../support/fixtures.js';

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
});
