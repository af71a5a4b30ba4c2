/**
 * The event-log API (00-overview §1, §3.1): append-only guards, readEvents, no-op and failed
 * commands, rebuild and verify after tampering, compaction with and without an archive, corrupt
 * payloads, and the live `events$` feed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { BlobArtifactDescriptor, completionOf, fenceOf, type RuntimeCommit, Store, type StoredEvent } from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { describeBackends, fileBackend, type StoreBackend, tempDir } from '../support/backends.js';
import { base, bytes, commitWith, E, fenced, lease, node, owner, rejectsWith, release, wake, X } from '../support/fixtures.js';
import { withRaw } from '../support/raw.js';

const META = {
  sessionId: 'root',
  sessionName: 'Event Log',
  createdAt: '2026-06-02T00:00:00Z',
  model: 'gpt-5.4-mini',
  cwd: null,
  relation: { kind: 'root' as const },
};

function withNodes(sessionId: string, ids: string[]): RuntimeCommit {
  const c = base(sessionId);
  const nodes = ids.map((id, i) => node(id, i === 0 ? null : (ids[i - 1] as string)));
  c.graph = { kind: 'replaceFull', graph: { nodes, leafNodeId: ids[ids.length - 1] ?? null } };
  return c;
}

/** A little history on several streams: lease, commit (+release), meta, enqueue, a second commit. */
async function history(store: Store, clock: ManualClock): Promise<void> {
  await commitWith(store, withNodes('root', ['n1', 'n2']), 'history-1');
  clock.advance(10);
  await store.saveSessionMeta(META);
  clock.advance(10);
  await store.enqueueQueuedWork(wake('root', 'history work', E, X));
  clock.advance(10);
  const c = withNodes('root', ['n1', 'n2', 'n3']);
  c.agentFrames = [{ frameId: 'frame-1', executionStateSnapshot: bytes('frame-bytes') }];
  c.usageDeltas = [
    {
      source: 'turn',
      model: 'm',
      usage: { inputTokens: 1, outputTokens: 2, cacheReadInputTokens: 0, cacheWriteInputTokens: 0, reasoningOutputTokens: 0 },
    },
  ];
  await commitWith(store, c, 'history-2');
}

/** What a reader can see of a session store without writing, for before/after comparisons. */
async function observable(store: Store) {
  return {
    session: await store.loadSession({ kind: 'fullGraph' }),
    head: await store.loadSessionHead(),
    meta: await store.loadSessionMeta(),
    queue: await store.listQueuedWork('root'),
  };
}

describeBackends('event log', (backend: StoreBackend) => {
  it('readEvents: seq gap-free from 1, per-stream versions, clock times, afterSeq / limit / stream', async () => {
    const clock = new ManualClock(5_000);
    const { store } = await backend.open({ clock });
    await history(store, clock);
    const all = await store.readEvents();
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    expect(all.map((e) => [e.stream, e.type])).toEqual([
      ['lease:root', 'SessionExecutionLeaseAcquired'],
      ['session:root', 'RuntimeStateCommitted'],
      ['lease:root', 'SessionExecutionLeaseReleased'],
      ['session:root', 'SessionMetaSaved'],
      ['queue:root', 'QueuedWorkEnqueued'],
      ['lease:root', 'SessionExecutionLeaseAcquired'],
      ['session:root', 'RuntimeStateCommitted'],
      ['lease:root', 'SessionExecutionLeaseReleased'],
    ]);
    const versions = new Map<string, number>();
    for (const e of all) {
      const v = (versions.get(e.stream) ?? 0) + 1;
      versions.set(e.stream, v);
      expect(e.version, `version of seq ${e.seq}`).toBe(v);
    }
    expect(all.map((e) => e.recordedAtMs)).toEqual([5000, 5000, 5000, 5010, 5020, 5030, 5030, 5030]);
    const committed = all[6]?.data as { head: { agentFrames: Array<{ executionStateSnapshot: Uint8Array }> } };
    const frames = committed.head.agentFrames;
    expect(frames[0]?.executionStateSnapshot).toEqual(bytes('frame-bytes'));

    expect(await store.readEvents({ afterSeq: 3 })).toEqual(all.slice(3));
    expect(await store.readEvents({ limit: 2 })).toEqual(all.slice(0, 2));
    expect(await store.readEvents({ afterSeq: 2, limit: 3 })).toEqual(all.slice(2, 5));
    expect(await store.readEvents({ limit: 0 })).toEqual([]);
    expect(await store.readEvents({ afterSeq: all.length })).toEqual([]);
    expect(await store.readEvents({ afterSeq: -4, limit: Number.POSITIVE_INFINITY })).toEqual(all);
    expect(await store.readEvents({ afterSeq: 2.9 })).toEqual(all.slice(2));
    expect(await store.readEvents({ stream: 'lease:root' })).toEqual(all.filter((e) => e.stream === 'lease:root'));
    expect(await store.readEvents({ stream: 'lease:root', afterSeq: 3, limit: 2 })).toEqual(
      all.filter((e) => e.stream === 'lease:root' && e.seq > 3).slice(0, 2),
    );
    expect(await store.readEvents({ stream: 'no-such-stream' })).toEqual([]);
  });

  it('commands that change nothing append no event', async () => {
    const clock = new ManualClock(5_000);
    const { store } = await backend.open({ clock });
    const l = await lease(store, 'root', 'owner-a');
    const s = { ...withNodes('root', ['n1']), turnCommit: { sessionId: 'root', turnId: 't', turnCommitHash: 'h' } };
    await store.commitRuntimeState(fenced(s, l, false));
    const blobRef = await store.putBlob(bytes('kept'));
    const queued = await store.enqueueQueuedWork(wake('root', 'keyed', E, X, 'key-1'));
    const idle = await lease(store, 'idle', 'idle-owner');
    const before = await store.readEvents();

    await store.releaseSessionExecutionLease({ ...completionOf(l), leaseToken: `${l.leaseToken}:stale` });
    await store.releaseSessionExecutionLease({ ...completionOf(l), fencingToken: l.fencingToken + 1 });
    await store.tombstoneNodes(['no-such-node', 'another-unknown']);
    await store.tombstoneNodes([]);
    expect(await store.vacuum()).toEqual({ removedNodeCount: 0, removedPendingTurnInputTombstoneCount: 0 });
    expect((await store.gcUnreachable()).deletedBlobCount).toBe(1); // the standalone putBlob
    const afterGc = await store.readEvents();
    expect(afterGc.slice(before.length).map((e) => e.type)).toEqual(['BlobsCollected']);
    expect((await store.gcUnreachable()).deletedBlobCount).toBe(0);
    expect(await store.putBlob(bytes('kept'))).toBe(blobRef); // re-inserted: one BlobStored
    expect(await store.putBlob(bytes('kept'))).toBe(blobRef); // already there: nothing
    expect((await store.tryClaimSessionExecutionLease('root', owner('owner-b'), 60_000)).kind).toBe('busy');
    await rejectsWith(
      store.renewSessionExecutionLease({ ...fenceOf(l), leaseToken: 'stale' }, 60_000),
      'SessionExecutionLeaseExpired',
    );
    expect((await store.enqueueQueuedWork(wake('root', 'keyed again', E, X, 'key-1'))).batchId).toBe(queued.batchId);
    expect((await store.commitRuntimeState(s)).headRevision).toBe(1); // idempotent replay without a release
    // Claims that find nothing, abandons and cancels that match nothing.
    const o = owner('idle-owner');
    expect(await store.claimReadyQueuedWork('idle', fenceOf(idle), o, 'idle', 10)).toBeNull();
    expect(await store.claimLeadingReadySessionCommand('idle', fenceOf(idle), o)).toBeNull();
    expect(await store.claimNextTurnInputs('idle', fenceOf(idle), o, 10)).toBeNull();
    expect(await store.claimCheckpointWork('idle', fenceOf(idle), o, 'turn', 'afterWork', 10, 10)).toEqual([null, null]);
    await store.abandonQueuedWorkClaim({
      sessionId: 'root',
      claimId: 'qwc:1:1',
      owner: o,
      leaseToken: 'never-granted',
      fencingToken: 1,
      sessionLeaseGeneration: 1,
      batches: [queued],
    });
    expect(await store.cancelQueuedWorkBatch('root', 'no-such-batch')).toBeNull();
    expect(await store.cancelPendingTurnInput('root', 'no-such-input')).toEqual({ kind: 'notFound' });
    await store.readEvents();
    await store.loadSession({ kind: 'fullGraph' });
    await store.verifyProjections();

    const after = await store.readEvents();
    expect(after.slice(afterGc.length).map((e) => e.type)).toEqual(['BlobStored']);
  });

  it('a failed commit appends no event and writes no blob row', async () => {
    const clock = new ManualClock(5_000);
    const { store } = await backend.open({ clock });
    await commitWith(store, withNodes('root', ['n1']), 'first');
    const l = await lease(store, 'root', 'second');
    const events = await store.readEvents();
    const seen = await observable(store);
    const toolState = { generation: 'never committed' };
    // The ref this tool state would have: the same canonical encoding in a scratch store.
    const scratch = await Store.memory();
    const toolRef = await scratch.putTypedArtifactBlob(BlobArtifactDescriptor.toolStateSnapshot(), toolState);
    await scratch.close();

    const failing: Array<[string, RuntimeCommit]> = [];
    const duplicate = withNodes('root', ['d1', 'd1']);
    duplicate.checkpoint.toolState = toolState;
    failing.push(['Backend', duplicate]);
    // An empty outbox batch fails only after RuntimeStateCommitted was appended and applied.
    const emptyOutbox = withNodes('root', ['o1']);
    emptyOutbox.checkpoint.toolState = toolState;
    emptyOutbox.enqueuedQueueBatches = [{ ...wake('root', 'empty', E, X), payloads: [] }];
    failing.push(['InvalidQueuedWorkBatch', emptyOutbox]);
    const appendExisting = withNodes('root', ['n1']);
    appendExisting.graph = { kind: 'append', nodes: [node('n1', null)], leafNodeId: 'n1' };
    appendExisting.checkpoint.toolState = toolState;
    failing.push(['Backend', appendExisting]);

    const fed: StoredEvent[] = [];
    const sub = store.events$({ afterSeq: events.length, pollIntervalMs: 60_000 }).subscribe((e) => fed.push(e));
    for (const [code, commit] of failing) {
      await rejectsWith(store.commitRuntimeState(fenced(commit, l)), code);
      expect(await store.readEvents()).toEqual(events);
      expect(await store.getBlob(toolRef)).toBeNull();
      expect(await observable(store)).toEqual(seen);
    }
    sub.unsubscribe();
    expect(fed, 'nothing of a failed commit is published').toEqual([]);
    // The fenced release each failed commit carried was rolled back with it: the lease is still live.
    await store.renewSessionExecutionLease(fenceOf(l), 60_000);
    // Rolled-back appends leave no gap: the next committed event takes the next seq.
    expect((await store.readEvents({ afterSeq: events.length })).map((e) => e.seq)).toEqual([events.length + 1]);
    await release(store, l);
  });

  it('events$ delivers the backlog, then this handle’s commits without waiting for the poll', async () => {
    const clock = new ManualClock(5_000);
    const { store } = await backend.open({ clock });
    await commitWith(store, withNodes('root', ['n1']), 'backlog');
    const backlog = await store.readEvents();
    const fed: StoredEvent[] = [];
    const sub = store.events$({ pollIntervalMs: 3_600_000 }).subscribe((e) => fed.push(e));
    expect(fed).toEqual(backlog);
    await store.saveSessionMeta(META);
    await commitWith(store, withNodes('root', ['n1', 'n2']), 'live');
    expect(fed, 'delivered as the commits resolve, with no poll in between').toEqual(await store.readEvents());
    const tail: StoredEvent[] = [];
    const sub2 = store.events$({ afterSeq: backlog.length, pollIntervalMs: 3_600_000 }).subscribe((e) => tail.push(e));
    expect(tail).toEqual((await store.readEvents()).slice(backlog.length));
    sub.unsubscribe();
    const delivered = fed.length;
    await store.saveSessionMeta({ ...META, sessionName: 'after unsubscribe' });
    expect(fed, 'an unsubscribed observer gets nothing more').toHaveLength(delivered);
    expect(tail).toEqual((await store.readEvents()).slice(backlog.length));
    sub2.unsubscribe();
  });

  it('events$ completes when the store closes', async () => {
    const { store } = await backend.open();
    await store.saveSessionMeta(META);
    const seen: StoredEvent[] = [];
    let completed = false;
    let failed: unknown = null;
    store.events$().subscribe({
      next: (e) => seen.push(e),
      complete: () => {
        completed = true;
      },
      error: (e) => {
        failed = e;
      },
    });
    expect(seen).toHaveLength(1);
    expect(completed).toBe(false);
    await store.close();
    expect(completed).toBe(true);
    expect(failed).toBeNull();
    await rejectsWith(store.readEvents(), 'Closed');
  });

  it('rebuild and verify stay clean after a compaction, and later commits verify too', async () => {
    const clock = new ManualClock(5_000);
    const { store } = await backend.open({ clock });
    await history(store, clock);
    const all = await store.readEvents();
    const seen = await observable(store);
    const report = await store.compactEventLog({ throughSeq: 5 });
    expect(report).toEqual({ deletedEventCount: 5, snapshotSeq: 5 });
    const remaining = await store.readEvents();
    expect(remaining.slice(0, -1)).toEqual(all.slice(5));
    expect(remaining.at(-1)).toMatchObject({
      seq: all.length + 1,
      stream: 'maintenance',
      type: 'EventLogCompacted',
      data: { throughSeq: 5, deletedEventCount: 5, archivePath: null },
    });
    expect(await store.verifyProjections()).toEqual({ ok: true, eventCount: remaining.length, mismatches: [] });
    expect(await store.rebuildProjections()).toEqual({ eventCount: remaining.length });
    expect(await observable(store)).toEqual(seen);

    clock.advance(100);
    const next = await commitWith(store, withNodes('root', ['n1', 'n2', 'n3', 'n4']), 'after-compaction');
    expect(next.headRevision).toBe(3);
    const later = await store.readEvents({ afterSeq: all.length + 1 });
    expect(later[0]?.seq).toBe(all.length + 2);
    expect((await store.verifyProjections()).ok).toBe(true);

    // A second compaction past the first, and one that has nothing left to do.
    const maxSeq = (await store.readEvents()).at(-1)?.seq as number;
    expect(await store.compactEventLog({ throughSeq: Number.MAX_SAFE_INTEGER })).toEqual({
      deletedEventCount: maxSeq - 5,
      snapshotSeq: maxSeq,
    });
    expect(await store.compactEventLog({ throughSeq: 3 })).toEqual({ deletedEventCount: 0, snapshotSeq: maxSeq });
    expect((await store.readEvents()).map((e) => e.type)).toEqual(['EventLogCompacted']);
    expect(await store.rebuildProjections()).toEqual({ eventCount: 1 });
    expect((await store.loadSession({ kind: 'fullGraph' }))?.graph.nodes.map((n) => n.nodeId)).toEqual(['n1', 'n2', 'n3', 'n4']);
    expect((await store.verifyProjections()).ok).toBe(true);
  });

  it('a handle with a small inflation bound reads back its own large events and snapshots', async () => {
    const { store } = await backend.open({ clock: new ManualClock(5_000), maxInflatedBlobBytes: 2048 });
    const c = base('root');
    c.agentFrames = [{ frameId: 'big', text: 'lash '.repeat(2000) }];
    await commitWith(store, c, 'big');
    const events = await store.readEvents();
    expect(events[1]?.data).toMatchObject({ head: { agentFrames: c.agentFrames } });
    expect((await store.loadSession({ kind: 'fullGraph' }))?.agentFrames).toEqual(c.agentFrames);
    expect((await store.verifyProjections()).ok).toBe(true);
    expect(await store.compactEventLog({ throughSeq: events.length })).toEqual({
      deletedEventCount: events.length,
      snapshotSeq: events.length,
    });
    expect(await store.rebuildProjections()).toEqual({ eventCount: 1 });
    expect((await store.verifyProjections()).ok).toBe(true);
    expect((await store.loadSession({ kind: 'fullGraph' }))?.agentFrames).toEqual(c.agentFrames);
  });

  it('compactEventLog writes one NDJSON line per deleted event to the archive', async () => {
    const clock = new ManualClock(5_000);
    const { store } = await backend.open({ clock });
    await history(store, clock);
    const all = await store.readEvents();
    const archivePath = join(tempDir(), 'archive.ndjson');
    const report = await store.compactEventLog({ throughSeq: 7, archivePath });
    expect(report).toEqual({ deletedEventCount: 7, snapshotSeq: 7 });
    const lines = readFileSync(archivePath, 'utf8').split('\n');
    expect(lines.at(-1)).toBe('');
    const archived = lines.slice(0, -1).map((line) => JSON.parse(line));
    expect(archived).toHaveLength(report.deletedEventCount);
    expect(archived.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    for (const [i, line] of archived.entries()) {
      const event = all[i] as StoredEvent;
      expect(line).toMatchObject({ seq: event.seq, stream: event.stream, version: event.version, type: event.type });
      expect(line.recordedAtMs).toBe(event.recordedAtMs);
    }
    const frame = archived[6].data.head.agentFrames[0];
    expect(frame.executionStateSnapshot).toEqual({ $bytes: Buffer.from(bytes('frame-bytes')).toString('base64') });
    expect(archived[3].data).toEqual({ meta: META });
    expect((await store.readEvents()).at(-1)?.data).toMatchObject({ throughSeq: 7, archivePath });
    expect((await store.verifyProjections()).ok).toBe(true);
    await commitWith(store, withNodes('root', ['n9']), 'after-archive');
    expect((await store.verifyProjections()).ok).toBe(true);
  });
});

describe('event log through a raw connection (file Store)', () => {
  async function fileStore(clock = new ManualClock(5_000)) {
    const handle = await fileBackend.open({ clock });
    await history(handle.store, clock);
    return { ...handle, path: handle.path as string, clock };
  }

  it('large event payloads are zlib-coded within the inflation bound and stored as is beyond it', async () => {
    const c = base('root');
    c.agentFrames = [{ frameId: 'big', text: 'lash '.repeat(2000) }];
    for (const [maxInflatedBlobBytes, codec] of [
      [undefined, 1],
      [2048, 0],
    ] as const) {
      const { store, path } = await fileBackend.open(
        maxInflatedBlobBytes === undefined
          ? { clock: new ManualClock(5_000) }
          : { clock: new ManualClock(5_000), maxInflatedBlobBytes },
      );
      await commitWith(store, c, 'big');
      const codecs = withRaw(path as string, (db) => db.prepare('SELECT codec FROM events ORDER BY seq').pluck().all());
      expect(codecs, `bound ${maxInflatedBlobBytes}`).toEqual([0, codec, 0]);
    }
  });

  it('UPDATE and DELETE on events fail (append-only triggers)', async () => {
    const { store, path } = await fileStore();
    const before = await store.readEvents();
    withRaw(path, (db) => {
      expect(() => db.prepare("UPDATE events SET type = 'Tampered' WHERE seq = 1").run()).toThrow(/immutable/);
      expect(() => db.prepare('UPDATE events SET payload = payload').run()).toThrow(/immutable/);
      expect(() => db.prepare('DELETE FROM events WHERE seq = 1').run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM events').run()).toThrow(/append-only/);
    });
    expect(await store.readEvents()).toEqual(before);
  });

  it('verifyProjections reports a tampered projection row; rebuildProjections restores it', async () => {
    const { store, path } = await fileStore();
    const seen = await observable(store);
    const head = await store.loadSessionHead();
    const eventCount = (await store.readEvents()).length;
    const original = withRaw(path, (db) => {
      const row = db.prepare("SELECT * FROM session_execution_leases WHERE session_id = 'root'").get() as Record<string, unknown>;
      db.prepare("UPDATE session_execution_leases SET fencing_token = 99 WHERE session_id = 'root'").run();
      const nodeSeq = db.prepare("SELECT seq FROM graph_nodes WHERE node_id = 'n2'").pluck().get() as number;
      db.prepare("DELETE FROM graph_nodes WHERE node_id = 'n2'").run();
      return { row, nodeSeq };
    });
    const report = await store.verifyProjections();
    expect(report.ok).toBe(false);
    expect(report.eventCount).toBe(eventCount);
    const leaseRow = report.mismatches.find((m) => m.table === 'session_execution_leases');
    expect(leaseRow?.key).toBe('root');
    expect(leaseRow?.expected).toMatchObject({ fencing_token: original.row.fencing_token });
    expect(leaseRow?.actual).toMatchObject({ fencing_token: 99 });
    const missing = report.mismatches.find((m) => m.table === 'graph_nodes');
    expect(missing?.key).toBe(String(original.nodeSeq));
    expect(missing?.actual).toBeNull();
    expect(missing?.expected).toMatchObject({ node_id: 'n2' });

    expect(await store.rebuildProjections()).toEqual({ eventCount });
    expect(await store.verifyProjections()).toEqual({ ok: true, eventCount, mismatches: [] });
    expect(await observable(store)).toEqual(seen);
    expect(await store.loadSessionHead()).toEqual(head);
    const next = await lease(store, 'root', 'after-rebuild');
    expect(next.fencingToken).toBe((original.row.fencing_token as number) + 1);
  });

  it('a corrupt event payload is CorruptData for readEvents, verify and rebuild, and rebuild changes nothing', async () => {
    const { store, path } = await fileStore();
    const seen = await observable(store);
    const events = await store.readEvents();
    const saved = withRaw(path, (db) => {
      const row = db.prepare('SELECT codec, payload FROM events WHERE seq = 4').get() as { codec: number; payload: Buffer };
      db.exec('DROP TRIGGER events_no_update');
      db.prepare('UPDATE events SET payload = ? WHERE seq = 4').run(Buffer.from([0xc1]));
      return row;
    });
    const check = async (promise: Promise<unknown>) => {
      const error = await rejectsWith(promise, 'CorruptData');
      expect(error.table).toBe('events');
      expect(error.key).toBe('4');
      expect(error.message).toContain('corrupt data in table events at key 4');
    };
    await check(store.readEvents());
    await check(store.readEvents({ stream: 'session:root' }));
    await check(store.verifyProjections());
    await check(store.rebuildProjections());
    expect(await observable(store), 'a failed rebuild rolls back').toEqual(seen);
    expect(await store.readEvents({ afterSeq: 4 })).toEqual(events.slice(4));

    // A zlib-coded payload that does not inflate, and an unknown codec, are corrupt too.
    withRaw(path, (db) =>
      db.prepare('UPDATE events SET codec = 1, payload = ? WHERE seq = 4').run(Buffer.from([0x78, 0x9c, 1, 2])),
    );
    await check(store.readEvents());
    withRaw(path, (db) => db.prepare('UPDATE events SET codec = 7, payload = ? WHERE seq = 4').run(saved.payload));
    await check(store.readEvents());
    // Well-formed msgpack that is not a map (nil, an array) is not an event payload either.
    for (const payload of [[0xc0], [0x90]]) {
      withRaw(path, (db) => db.prepare('UPDATE events SET codec = 0, payload = ? WHERE seq = 4').run(Buffer.from(payload)));
      await check(store.readEvents());
      await check(store.verifyProjections());
    }

    // Put the row back (and the guard) so the store verifies again.
    withRaw(path, (db) => {
      db.prepare('UPDATE events SET codec = ?, payload = ? WHERE seq = 4').run(saved.codec, saved.payload);
      db.exec(`CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are immutable: UPDATE is not allowed'); END`);
    });
    expect(await store.readEvents()).toEqual(events);
    expect((await store.verifyProjections()).ok).toBe(true);
  });

  it('events$ delivers events committed by another handle on the same file by polling', async () => {
    const handle = await fileStore();
    const other = await handle.reopen({ clock: handle.clock });
    const fed: StoredEvent[] = [];
    const sub = handle.store.events$({ pollIntervalMs: 5 }).subscribe((e) => fed.push(e));
    const backlog = fed.length;
    await other.saveSessionMeta({ ...META, sessionName: 'from the other handle' });
    await vi.waitFor(() => expect(fed).toHaveLength(backlog + 1), { timeout: 5_000, interval: 5 });
    // Interleaved commits of both handles arrive once each, in seq order.
    await handle.store.saveSessionMeta({ ...META, sessionName: 'mine' });
    await other.enqueueQueuedWork(wake('root', 'theirs', E, X));
    await handle.store.saveSessionMeta({ ...META, sessionName: 'mine again' });
    const all = await other.readEvents();
    await vi.waitFor(() => expect(fed).toEqual(all), { timeout: 5_000, interval: 5 });
    sub.unsubscribe();
  });
});
