/**
 * Tombstones, vacuum, blob GC and auto-GC: 10-session-store §7.6.1 and 20-blobs-attachments-lifecycle
 * §10.2 entries 5–6, §10.3 entry 10, §10.13 entry 63, §10.14 entries 70–73 and 75.
 */
import { describe, expect, it } from 'vitest';
import {
  BlobArtifactDescriptor,
  fenceOf,
  type HydratedSessionCheckpoint,
  type RuntimeCommit,
  type SessionHead,
  type Store,
} from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { describeBackends, fileBackend, type StoreBackend } from '../support/backends.js';
import { base, bytes, commitWith, E, fenced, lease, nextIn, node, rejectsWith, wake, X, zeros } from '../support/fixtures.js';
import { deleteRawBlob, rawBlob, rawBlobCount, rawMaxEventSeq, setRawBlob, sha256hex } from '../support/raw.js';

function checkpoint(overrides: Partial<HydratedSessionCheckpoint>): HydratedSessionCheckpoint {
  return { ...base('x').checkpoint, ...overrides };
}

function headFor(sessionId: string, checkpointRef: string): SessionHead {
  return {
    sessionId,
    headRevision: 0,
    config: { providerId: 'openai-compatible', model: 'gpt-5.4-mini' },
    agentFrames: [],
    currentAgentFrameId: '',
    checkpointRef,
    graph: { nodes: [], leafNodeId: null },
    tokenLedger: [],
  };
}

function orphan(store: Store, text: string): Promise<string> {
  return store.putArtifactBlob(BlobArtifactDescriptor.pluginSessionSnapshot(), bytes(text));
}

function withToolState(sessionId: string, generation: number): RuntimeCommit {
  const c = base(sessionId);
  c.checkpoint.toolState = { generation };
  return c;
}

describeBackends('StoreMaintenance and blob GC', (backend: StoreBackend) => {
  it('tombstone_vacuum_and_gc_are_minimally_consistent', async () => {
    const { store } = await backend.open({ clock: new ManualClock(1000) });
    const c = base('root');
    c.graph = {
      kind: 'replaceFull',
      graph: { nodes: [node('node-live', null), node('node-delete', 'node-live')], leafNodeId: 'node-delete' },
    };
    await commitWith(store, c, 'tombstone');
    expect(await store.loadNode('node-delete')).not.toBeNull();
    await store.tombstoneNodes(['node-delete']);
    expect(await store.loadNode('node-delete')).toBeNull();
    const read = await store.loadSession({ kind: 'fullGraph' });
    expect(read?.graph.nodes.map((n) => n.nodeId)).not.toContain('node-delete');
    expect((await store.vacuum()).removedNodeCount).toBe(1);
    await expect(store.gcUnreachable()).resolves.toBeDefined();
  });

  it('gc_unreachable_keeps_rooted_checkpoint_blobs', async () => {
    const { store } = await backend.open({ blobProfile: 'lowLatency' });
    const stored = await store.putCheckpoint(
      checkpoint({
        turnState: { turnIndex: 1, tokenUsage: { ...zeros }, lastPromptUsage: null, protocolTurnOptions: {} },
        toolState: { generation: 7, tools: [] },
        pluginSnapshot: {},
        pluginSnapshotRevision: 11,
      }),
    );
    await store.saveSessionHead(headFor('root', stored.checkpointRef));
    const orphanRef = await orphan(store, 'orphan');
    expect(await store.gcUnreachable()).toEqual({ rootCount: 1, retainedBlobCount: 3, danglingRefCount: 0, deletedBlobCount: 1 });
    const cp = await store.getCheckpoint(stored.checkpointRef);
    expect(cp).not.toBeNull();
    expect(cp?.toolStateRef).not.toBeNull();
    expect(cp?.pluginSnapshotRef).not.toBeNull();
    for (const ref of [stored.checkpointRef, cp?.toolStateRef as string, cp?.pluginSnapshotRef as string]) {
      expect(await store.getBlob(ref)).not.toBeNull();
    }
    expect(await store.getBlob(orphanRef)).toBeNull();
  });

  it('auto_gc_runs_after_commit_without_reentrant_locking', async () => {
    const { store } = await backend.open({ blobProfile: 'lowLatency', gcPolicy: { autoRunEveryCommits: 1 } });
    const orphanRef = await orphan(store, 'orphan');
    await expect(commitWith(store, base('auto-gc'), 'auto-gc-test')).resolves.toBeDefined();
    expect(await store.getBlob(orphanRef)).toBeNull();
  });

  it('gc_keeps_live_committed_checkpoint_blobs', async () => {
    const { store } = await backend.open();
    const orphanRef = await orphan(store, 'orphan-blob');
    const c = base('root');
    c.expectedHeadRevision = 0;
    c.checkpoint.toolState = { generation: 3 };
    c.checkpoint.pluginSnapshot = {};
    c.checkpoint.pluginSnapshotRevision = 5;
    c.checkpoint.executionState = Uint8Array.from([0xde, 0xad, 0xbe, 0xef]);
    const result = await commitWith(store, c, 'gc-test');
    const report = await store.gcUnreachable();
    expect(report.deletedBlobCount).toBeGreaterThanOrEqual(1);
    expect(await store.getBlob(orphanRef)).toBeNull();
    expect(await store.getBlob(result.checkpointRef)).not.toBeNull();
    const cp = await store.getCheckpoint(result.checkpointRef);
    for (const ref of [cp?.toolStateRef, cp?.pluginSnapshotRef, cp?.executionStateRef]) {
      expect(ref).toEqual(expect.any(String));
      expect(await store.getBlob(ref as string)).not.toBeNull();
    }
    expect(cp?.executionState).toEqual(Uint8Array.from([0xde, 0xad, 0xbe, 0xef]));
  });

  it('gc_reclaims_unreachable_checkpoint_blobs_and_preserves_live', async () => {
    const { store } = await backend.open();
    await commitWith(store, withToolState('gc-blobs', 1), 'gc-blobs-v1');
    await commitWith(store, withToolState('gc-blobs', 2), 'gc-blobs-v2');
    const report = await store.gcUnreachable();
    expect(report.rootCount).toBeGreaterThanOrEqual(1);
    expect(report.retainedBlobCount).toBeGreaterThanOrEqual(1);
    expect(report.deletedBlobCount).toBeGreaterThanOrEqual(1);
    const read = await store.loadSession({ kind: 'fullGraph' });
    expect(read?.checkpoint?.toolState).toMatchObject({ generation: 2 });
    expect((await store.gcUnreachable()).deletedBlobCount).toBe(0);
  });

  it('gc_report_counts_dangling_refs_separately', async () => {
    const { store } = await backend.open();
    const missing = sha256hex(bytes('never stored'));
    const stored = await store.putCheckpoint(
      checkpoint({ toolState: null, toolStateRef: missing, pluginSnapshot: {}, pluginSnapshotRevision: 1 }),
    );
    await store.saveSessionHead(headFor('root', stored.checkpointRef));
    await orphan(store, 'orphan');
    expect(await store.gcUnreachable()).toEqual({ rootCount: 1, retainedBlobCount: 2, danglingRefCount: 1, deletedBlobCount: 1 });
    const cp = await store.getCheckpoint(stored.checkpointRef);
    expect(cp?.toolStateRef).toBe(missing);
    expect(cp?.toolState).toBeNull();
  });

  it('auto_gc_counter_counts_only_successful_commits', async () => {
    const { store } = await backend.open({ gcPolicy: { autoRunEveryCommits: 2 } });
    const orphan1 = await orphan(store, 'orphan1');
    const c1 = await lease(store, 'cadence', 'c1');
    await store.commitRuntimeState(fenced(base('cadence'), c1));
    expect(await store.getBlob(orphan1)).not.toBeNull();
    // Enqueues are not commits: they must not advance the auto-GC counter.
    await store.enqueueQueuedWork(wake('cadence', 'cadence work', E, X));
    await store.enqueuePendingTurnInput(nextIn('cadence', 'cadence input one'));
    await store.enqueuePendingTurnInput(nextIn('cadence', 'cadence input two'));
    await rejectsWith(
      store.commitRuntimeState({ ...base('cadence'), sessionExecutionLease: fenceOf(c1) }),
      'SessionExecutionLeaseExpired',
    );
    expect(await store.getBlob(orphan1)).not.toBeNull();
    await commitWith(store, base('cadence'), 'c2');
    expect(await store.getBlob(orphan1)).toBeNull();
    const orphan2 = await orphan(store, 'orphan2');
    await commitWith(store, base('cadence'), 'c3');
    expect(await store.getBlob(orphan2)).not.toBeNull();
    await commitWith(store, base('cadence'), 'c4');
    expect(await store.getBlob(orphan2)).toBeNull();
  });

  it('far_future_cutoffs_mean_everything (auto-GC cadence part)', async () => {
    // The manifest part of this entry (listUncommitted / hasLiveRefForId / forgetAgedUncommittedIntents
    // with far-future cutoffs) is in attachment-manifest.test.ts with the other manifest cases.
    const { store } = await backend.open({ gcPolicy: { autoRunEveryCommits: Number.MAX_SAFE_INTEGER } });
    const orphanRef = await orphan(store, 'orphan');
    await commitWith(store, base('far'), 'far');
    await commitWith(store, base('far'), 'far-again');
    expect(await store.getBlob(orphanRef)).not.toBeNull();
  });
});

describe('StoreMaintenance with a damaged file (raw connection)', () => {
  it('gc_with_undecodable_rooted_manifest_rejects_and_deletes_nothing', async () => {
    const handle = await fileBackend.open();
    const path = handle.path as string;
    const result = await commitWith(handle.store, withToolState('root', 1), 'gc-corrupt');
    const orphanRef = await orphan(handle.store, 'orphan');
    await handle.store.close();
    const n = rawBlobCount(path);
    const maxSeq = rawMaxEventSeq(path);
    setRawBlob(path, result.checkpointRef, Uint8Array.from([0xc1]));
    const store = await handle.reopen();
    const error = await rejectsWith(store.gcUnreachable(), 'CorruptData');
    expect(error.key).toBe(result.checkpointRef);
    expect(rawBlobCount(path)).toBe(n);
    expect(rawBlob(path, orphanRef)).toBeDefined();
    expect(rawMaxEventSeq(path)).toBe(maxSeq);
  });

  it('checkpoint_child_missing_is_null_but_undecodable_is_corrupt', async () => {
    const handle = await fileBackend.open();
    const path = handle.path as string;
    const c = withToolState('root', 4);
    c.checkpoint.pluginSnapshot = {};
    const result = await commitWith(handle.store, c, 'child');
    const T = result.manifest.toolStateRef as string;
    const P = result.manifest.pluginSnapshotRef as string;
    expect(T).toEqual(expect.any(String));
    expect(P).toEqual(expect.any(String));
    await handle.store.close();
    deleteRawBlob(path, T);

    let store = await handle.reopen();
    const read = await store.loadSession({ kind: 'fullGraph' });
    expect(read?.checkpoint?.toolState).toBeNull();
    expect(read?.checkpoint?.toolStateRef).toBe(T);
    const cp = await store.getCheckpoint(result.checkpointRef);
    expect(cp?.toolState).toBeNull();
    expect(cp?.toolStateRef).toBe(T);
    expect(cp?.pluginSnapshot).toEqual({});
    await store.close();

    setRawBlob(path, P, Uint8Array.from([0xc1]));
    store = await handle.reopen();
    expect((await rejectsWith(store.getCheckpoint(result.checkpointRef), 'CorruptData')).key).toBe(P);
    expect((await rejectsWith(store.loadSession({ kind: 'fullGraph' }), 'CorruptData')).key).toBe(P);
  });
});
