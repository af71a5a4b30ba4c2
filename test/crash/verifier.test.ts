/**
 * The campaign's checks must be able to fail: each test hands the verifier a state that breaks one
 * invariant — an acknowledged operation that never happened, a commit whose stamp record is missing,
 * events deleted without an archive, a feed that repeats or skips, a lease held by a live stranger —
 * and expects the matching finding. The in-flight retry predictions are checked both ways too.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { describe, expect, test } from 'vitest';
import { DatabaseWatch, type LogHandle } from '../../src/crash/history.js';
import type { Findings, InFlightResolution, OpRecord, RecoveryContext } from '../../src/crash/module.js';
import { sessionWorkloadModule } from '../../src/crash/modules.js';
import { Prng } from '../../src/crash/prng.js';
import { crashRegistration, processWorkloadModule } from '../../src/crash/process-workload.js';
import { fromWire, MessageReader, toWire } from '../../src/crash/protocol.js';
import { sessionDbPath } from '../../src/crash/session-shared.js';
import {
  completionOf,
  fenceOf,
  localProcessIdentity,
  type RuntimeCommit,
  SqliteProcessRegistry,
  Store,
  type StoredEvent,
  turnCommitHash,
} from '../../src/index.js';
import { campaignDir } from './support.js';

class Collected implements Findings {
  readonly lostMessages: string[] = [];
  readonly divergences: string[] = [];
  readonly counters: Record<string, number> = {};
  lost(message: string): void {
    this.lostMessages.push(message);
  }
  divergence(message: string): void {
    this.divergences.push(message);
  }
  count(name: string, by = 1): void {
    this.counters[name] = (this.counters[name] ?? 0) + by;
  }
}

function context(findings: Findings, ops: OpRecord[], resolutions: InFlightResolution[] = []): RecoveryContext {
  let n = 0;
  return {
    round: 0,
    ops,
    deadPids: new Set(),
    identity: localProcessIdentity('verifier-test', `verifier-test:${process.pid}`, hostname()),
    findings,
    nextOpId: () => `test${n++}`,
    record: () => {},
    resolved: (r) => resolutions.push(r),
  };
}

function op(fields: Partial<OpRecord> & Pick<OpRecord, 'id' | 'op' | 'args' | 'status'>): OpRecord {
  return { module: 'session', db: 'alpha', digest: '', round: 0, child: 0, pid: 1, ...fields };
}

function commitBody(opId: string, expectedHeadRevision: number): RuntimeCommit {
  return {
    sessionId: 'alpha',
    expectedHeadRevision,
    sessionExecutionLease: null,
    releaseSessionExecutionLease: null,
    config: { providerId: 'crash', model: { id: 'm' } },
    agentFrames: [{ frameId: 'main', op: opId }],
    currentAgentFrameId: 'main',
    graph: { kind: 'unchanged', leafNodeId: null },
    checkpoint: {
      turnState: {
        turnIndex: 1,
        tokenUsage: {
          inputTokens: 0,
          outputTokens: 0,
          cacheReadInputTokens: 0,
          cacheWriteInputTokens: 0,
          reasoningOutputTokens: 0,
        },
        lastPromptUsage: null,
        protocolTurnOptions: null,
      },
      toolStateRef: null,
      toolState: { op: opId },
      pluginSnapshotRef: null,
      pluginSnapshot: null,
      pluginSnapshotRevision: null,
      executionStateRef: null,
      executionState: null,
    },
    usageDeltas: [],
    turnCommit: null,
    completedQueueClaims: [],
    completedTurnInputClaims: [],
    enqueuedQueueBatches: [],
    interruptedTurnInputTurnId: null,
    committedAttachmentIds: [],
  };
}

/** A release marker: the verifier retries with a completion of its own lease when the original had one. */
function completionOfPlaceholder(): RuntimeCommit['releaseSessionExecutionLease'] {
  const owner = { ownerId: 'child', incarnationId: 'child', liveness: { kind: 'opaque' as const } };
  return { sessionId: 'alpha', owner, leaseToken: 'child-token', fencingToken: 1 };
}

function stamped(body: RuntimeCommit): RuntimeCommit {
  return {
    ...body,
    turnCommit: { sessionId: body.sessionId, turnId: String(body.agentFrames[0]?.op), turnCommitHash: turnCommitHash(body) },
  };
}

/** Commits `commit` under a fresh lease of an opaque owner, releasing it; returns the result. */
async function commitDirectly(dir: string, commit: RuntimeCommit) {
  const store = await Store.open(sessionDbPath(dir, 'alpha'));
  try {
    const owner = { ownerId: 'direct', incarnationId: 'direct', liveness: { kind: 'opaque' as const } };
    const claim = await store.tryClaimSessionExecutionLease('alpha', owner, 60_000);
    if (claim.kind !== 'acquired') throw new Error('lease busy');
    return await store.commitRuntimeState({
      ...commit,
      sessionExecutionLease: fenceOf(claim.lease),
      releaseSessionExecutionLease: completionOf(claim.lease),
    });
  } finally {
    await store.close();
  }
}

describe('session verifier', () => {
  test('a clean acknowledged commit and blob are found', async () => {
    const dir = campaignDir();
    const findings = new Collected();
    const verifier = await sessionWorkloadModule.openVerifier({ dir, findings });
    const commit = stamped(commitBody('c1', 0));
    const result = await commitDirectly(dir, commit);
    const bytes = randomBytes(100);
    const store = await Store.open(sessionDbPath(dir, 'alpha'));
    const ref = await store.putBlob(bytes);
    await store.close();
    await verifier.recover(
      context(findings, [
        op({ id: 'c1', op: 'commit', args: commit, status: 'acked', result }),
        op({ id: 'b1', op: 'putBlob', args: { descriptor: null, bytes }, status: 'acked', result: { ref } }),
      ]),
    );
    await verifier.finalCheck(context(findings, []));
    await verifier.close();
    expect(findings.lostMessages).toEqual([]);
    expect(findings.divergences).toEqual([]);
    expect(findings.counters['recoveries.databases']).toBe(3);
  });

  test('an acknowledged commit and blob that are not in the data are lost', async () => {
    const dir = campaignDir();
    const findings = new Collected();
    const verifier = await sessionWorkloadModule.openVerifier({ dir, findings });
    const commit = stamped(commitBody('ghost', 0));
    const bytes = randomBytes(64);
    const fakeResult = {
      headRevision: 1,
      checkpointRef: '0'.repeat(64),
      manifest: { toolStateRef: null, pluginSnapshotRef: null, executionStateRef: null },
      enqueuedQueueBatches: [],
    };
    await verifier.recover(
      context(findings, [
        op({ id: 'ghost', op: 'commit', args: commit, status: 'acked', result: fakeResult }),
        op({
          id: 'b',
          op: 'putBlob',
          args: { descriptor: null, bytes },
          status: 'acked',
          result: { ref: createHash('sha256').update(bytes).digest('hex') },
        }),
      ]),
    );
    await verifier.close();
    expect(findings.lostMessages).toHaveLength(2);
    expect(findings.lostMessages[0]).toContain('acknowledged commit ghost');
    expect(findings.lostMessages[1]).toContain('is missing');
  });

  test('a stamped commit without its turn record is a partial operation', async () => {
    const dir = campaignDir();
    const findings = new Collected();
    const verifier = await sessionWorkloadModule.openVerifier({ dir, findings });
    const body = commitBody('split', 0);
    // The data holds the commit without its stamp: as if the record had been a second transaction.
    await commitDirectly(dir, body);
    await verifier.recover(context(findings, [op({ id: 'split', op: 'commit', args: stamped(body), status: 'begun' })]));
    await verifier.close();
    expect(findings.divergences.some((d) => d.includes('commit split at seq') && d.includes('is partial'))).toBe(true);
  });

  test('events deleted without an archive are lost, and the gap is reported', async () => {
    const dir = campaignDir();
    const findings = new Collected();
    const verifier = await sessionWorkloadModule.openVerifier({ dir, findings });
    const store = await Store.open(sessionDbPath(dir, 'beta'));
    for (let i = 0; i < 5; i++) await store.putBlob(randomBytes(10));
    await store.compactEventLog({ throughSeq: 3 });
    await store.close();
    await verifier.recover(context(findings, []));
    await verifier.close();
    expect(findings.lostMessages.filter((m) => m.includes('neither in the log nor in any compaction archive'))).toHaveLength(3);
    expect(findings.divergences.some((d) => d.includes('deleted events without an archive'))).toBe(true);
  });

  test('in-flight commits: not committed → the retry commits; committed and stamped → it replays', async () => {
    const dir = campaignDir();
    const findings = new Collected();
    const resolutions: InFlightResolution[] = [];
    const verifier = await sessionWorkloadModule.openVerifier({ dir, findings });
    const done = stamped(commitBody('done', 0));
    await commitDirectly(dir, done);
    const pending = stamped(commitBody('pending', 1));
    await verifier.recover(
      context(
        findings,
        [
          op({ id: 'done', op: 'commit', args: done, status: 'begun' }),
          op({ id: 'pending', op: 'commit', args: pending, status: 'begun' }),
        ],
        resolutions,
      ),
    );
    await verifier.close();
    expect(findings.divergences).toEqual([]);
    expect(resolutions.map((r) => [r.op.id, r.committedBeforeKill, r.outcome])).toEqual([
      ['done', true, 'replayed'],
      ['pending', false, 'committed'],
    ]);
  });

  test('an unstamped in-flight commit that had committed conflicts on the head revision', async () => {
    const dir = campaignDir();
    const findings = new Collected();
    const resolutions: InFlightResolution[] = [];
    const verifier = await sessionWorkloadModule.openVerifier({ dir, findings });
    const body = commitBody('blind', 0);
    await commitDirectly(dir, body);
    await verifier.recover(context(findings, [op({ id: 'blind', op: 'commit', args: body, status: 'begun' })], resolutions));
    await verifier.close();
    expect(findings.divergences).toEqual([]);
    expect(resolutions.map((r) => [r.committedBeforeKill, r.outcome])).toEqual([[true, 'conflicted']]);
  });

  test('an in-flight commit completing a claim: committed if the claim still holds, superseded once re-claimed (R6)', async () => {
    for (const reclaimed of [false, true]) {
      const dir = campaignDir();
      const findings = new Collected();
      const resolutions: InFlightResolution[] = [];
      const verifier = await sessionWorkloadModule.openVerifier({ dir, findings });
      const store = await Store.open(sessionDbPath(dir, 'alpha'));
      await store.enqueueQueuedWork({
        sessionId: 'alpha',
        sourceKey: 'work',
        deliveryPolicy: 'earliestSafeBoundary',
        slotPolicy: 'exclusive',
        payloads: [{ kind: 'agentFrameTask', frameId: 'main', task: 't', protocolTurnOptions: null }],
      });
      const claimUnder = async (id: string) => {
        const owner = { ownerId: id, incarnationId: id, liveness: { kind: 'opaque' as const } };
        const lease = await store.tryClaimSessionExecutionLease('alpha', owner, 60_000);
        if (lease.kind !== 'acquired') throw new Error('lease busy');
        const claim = await store.claimReadyQueuedWork('alpha', fenceOf(lease.lease), owner, 'idle', 1);
        await store.releaseSessionExecutionLease(completionOf(lease.lease));
        if (!claim) throw new Error('nothing claimed');
        return claim;
      };
      const first = await claimUnder('first');
      if (reclaimed) await claimUnder('second'); // a newer generation takes the batch over
      await store.close();
      const body: RuntimeCommit = {
        ...commitBody('completes', 0),
        completedQueueClaims: [
          {
            sessionId: 'alpha',
            claimId: first.claimId,
            leaseToken: first.leaseToken,
            batchIds: first.batches.map((b) => b.batchId),
          },
        ],
      };
      await verifier.recover(
        context(findings, [op({ id: 'completes', op: 'commit', args: stamped(body), status: 'begun' })], resolutions),
      );
      await verifier.close();
      expect(findings.divergences).toEqual([]);
      expect(resolutions.map((r) => r.outcome)).toEqual([reclaimed ? 'conflicted' : 'committed']);
    }
  });

  test('two in-flight commits on one session: the first retry commits, the second conflicts on the head it moved', async () => {
    const dir = campaignDir();
    const findings = new Collected();
    const resolutions: InFlightResolution[] = [];
    const verifier = await sessionWorkloadModule.openVerifier({ dir, findings });
    const first = stamped({ ...commitBody('first', 0), releaseSessionExecutionLease: completionOfPlaceholder() });
    const second = stamped(commitBody('second', 0));
    await verifier.recover(
      context(
        findings,
        [
          op({ id: 'first', op: 'commit', args: first, status: 'begun' }),
          op({ id: 'second', op: 'commit', args: second, status: 'begun' }),
        ],
        resolutions,
      ),
    );
    await verifier.recover(context(findings, [])); // the next round ingests the retries' events
    await verifier.close();
    expect(findings.divergences).toEqual([]);
    expect(resolutions.map((r) => [r.op.id, r.outcome])).toEqual([
      ['first', 'committed'],
      ['second', 'conflicted'],
    ]);
  });

  test('an in-flight release of the held lease is retried, and the campaign then claims the free lease', async () => {
    const dir = campaignDir();
    const findings = new Collected();
    const resolutions: InFlightResolution[] = [];
    const verifier = await sessionWorkloadModule.openVerifier({ dir, findings });
    const store = await Store.open(sessionDbPath(dir, 'alpha'));
    const owner = { ownerId: 'child', incarnationId: 'child', liveness: { kind: 'opaque' as const } };
    const claim = await store.tryClaimSessionExecutionLease('alpha', owner, 60_000);
    await store.close();
    if (claim.kind !== 'acquired') throw new Error('busy');
    await verifier.recover(
      context(findings, [op({ id: 'rel', op: 'release', args: completionOf(claim.lease), status: 'begun' })], resolutions),
    );
    await verifier.close();
    expect(findings.divergences).toEqual([]);
    expect(resolutions.map((r) => [r.committedBeforeKill, r.outcome])).toEqual([[false, 'committed']]);
  });

  test('a lease held by a live process that is not a killed child is reported', async () => {
    const dir = campaignDir();
    const findings = new Collected();
    const verifier = await sessionWorkloadModule.openVerifier({ dir, findings });
    const store = await Store.open(sessionDbPath(dir, 'gamma'));
    const stranger = localProcessIdentity('stranger', `stranger:${process.pid}`, hostname());
    expect((await store.tryClaimSessionExecutionLease('gamma', stranger, 60_000)).kind).toBe('acquired');
    await store.close();
    await verifier.recover(context(findings, []));
    await verifier.close();
    expect(findings.divergences.some((d) => d.includes('lease held by stranger, which is not a killed child'))).toBe(true);
  });
});

describe('process registry verifier', () => {
  test('an in-flight leased completion: replays if it was written, conflicts if another output completed the process', async () => {
    const dir = campaignDir();
    const findings = new Collected();
    const resolutions: InFlightResolution[] = [];
    const verifier = await processWorkloadModule.openVerifier({ dir, findings });
    const registry = await SqliteProcessRegistry.open(join(dir, 'process', 'registry.db'));
    const owner = (id: string) => ({ ownerId: id, incarnationId: id, liveness: { kind: 'opaque' as const } });
    const success = (op: string) => ({ kind: 'success' as const, value: { op }, control: null });
    await registry.registerProcess(crashRegistration('p-own'));
    await registry.registerProcess(crashRegistration('p-taken'));
    // p-own: the child's completion was written before the kill.
    const own = await registry.claimProcessLease('p-own', owner('child'), 60_000);
    if (own.kind !== 'acquired') throw new Error('busy');
    await registry.completeProcessWithLease(own.lease, success('done'));
    // p-taken: the child's lease expired, a sibling claimed the process and completed it itself.
    const stale = await registry.claimProcessLease('p-taken', owner('child'), 1);
    if (stale.kind !== 'acquired') throw new Error('busy');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const sibling = await registry.claimProcessLease('p-taken', owner('sibling'), 60_000);
    if (sibling.kind !== 'acquired') throw new Error('busy');
    await registry.completeProcessWithLease(sibling.lease, success('sibling-op'));
    await registry.close();
    const ops = [
      op({
        id: 'done',
        module: 'process',
        db: 'registry',
        op: 'complete',
        args: { lease: own.lease, output: success('done') },
        status: 'begun',
      }),
      op({
        id: 'late',
        module: 'process',
        db: 'registry',
        op: 'complete',
        args: { lease: stale.lease, output: success('late') },
        status: 'begun',
      }),
    ];
    await verifier.recover(context(findings, ops, resolutions));
    await verifier.close();
    expect(findings.divergences).toEqual([]);
    expect(findings.lostMessages).toEqual([]);
    expect(resolutions.map((r) => [r.op.id, r.committedBeforeKill, r.outcome])).toEqual([
      ['done', true, 'replayed'],
      ['late', false, 'conflicted'],
    ]);
  });
});

describe('database watch', () => {
  function fakeHandle(events: StoredEvent[], feed: Subject<StoredEvent>): LogHandle {
    return {
      readEvents: async (o) => events.filter((e) => e.seq > (o?.afterSeq ?? 0)).slice(0, o?.limit ?? events.length),
      events$: () => feed.asObservable(),
      verifyProjections: async () => ({ ok: true, eventCount: events.length, mismatches: [] }),
      close: async () => {},
    };
  }

  async function watchWith(events: StoredEvent[], delivered: number[]): Promise<Collected> {
    const dir = campaignDir();
    const findings = new Collected();
    // A real, empty database file for SQLite's own check; the events come from the fake handle.
    const store = await Store.open(join(dir, 'x.db'));
    await store.close();
    const feed = new Subject<StoredEvent>();
    const handle = fakeHandle(events, feed);
    const watch = new DatabaseWatch('x.db', join(dir, 'x.db'), join(dir, 'archives'), findings);
    await watch.start(async () => handle);
    for (const seq of delivered) feed.next(events.find((e) => e.seq === seq) as StoredEvent);
    await watch.check(handle);
    await watch.close();
    return findings;
  }

  const events: StoredEvent[] = [1, 2, 3].map((seq) => ({
    seq,
    stream: 's',
    version: seq,
    type: 'T',
    data: { seq },
    recordedAtMs: 1,
  }));

  test('a feed that delivers every event once is clean', async () => {
    const findings = await watchWith(events, [1, 2, 3]);
    expect(findings.divergences).toEqual([]);
  });

  test('a repeated event is a divergence', async () => {
    const findings = await watchWith(events, [1, 2, 2, 3]);
    expect(findings.divergences).toEqual(['x.db: events$ delivered seq 2 after 2 (repeat or reorder)']);
  });

  test('a skipped event that was never compacted is a divergence', async () => {
    const findings = await watchWith(events, [1, 3]);
    expect(findings.divergences).toEqual(['x.db: events$ skipped seq 2, which was never compacted']);
  });
});

describe('plumbing', () => {
  test('the PRNG is deterministic per seed and differs across seeds', () => {
    const a = new Prng('s');
    const b = new Prng('s');
    const c = new Prng('t');
    const draw = (p: Prng) => Array.from({ length: 8 }, () => p.nextUint32());
    const first = draw(a);
    expect(draw(b)).toEqual(first);
    expect(draw(c)).not.toEqual(first);
    const r = new Prng('range');
    for (let i = 0; i < 1000; i++) {
      const x = r.between(3, 5);
      expect(x >= 3 && x <= 5).toBe(true);
    }
  });

  test('wire JSON round-trips byte strings and the reader ignores a torn last line', () => {
    const value = { bytes: new Uint8Array([0, 1, 255]), list: [1, 'a', null], nested: { deep: true } };
    expect(fromWire(toWire(value))).toEqual(value);
    const reader = new MessageReader();
    const line = JSON.stringify({ t: 'ready', pid: 7 });
    expect(reader.push(`${line}\n{"t":"beg`)).toEqual([{ t: 'ready', pid: 7 }]);
    expect(reader.push('')).toEqual([]);
  });
});
