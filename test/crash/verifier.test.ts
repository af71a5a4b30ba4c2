/**
 * The campaign's checks must be able to fail: each test hands the verifier a state that breaks one
 * invariant — an acknowledged operation that never happened, a commit whose stamp record is missing,
 * events deleted without an archive, a feed that repeats or skips, a lease held by a live stranger,
 * a turn input completed twice or still listed as pending, two inputs under one source key, an
 * adopted attachment whose bytes are gone, a cancel outcome the log contradicts, a suffix cancel that
 * skips a row, a cancelled input or batch completed later, a vacuum that deletes a live node or a
 * pending input (or leaves a terminal one), an acknowledged tombstone or vacuum the data does not
 * show, a wake ack or wait the registry does not show, a wake acked twice — and expects the
 * matching finding. The in-flight retry
 * predictions are checked both ways too.
 */
import { createHash, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Subject } from 'rxjs';
import { describe, expect, test } from 'vitest';
import { DatabaseWatch, type HistoryEvent, type LogHandle } from '../../src/crash/history.js';
import type { Findings, InFlightResolution, OpRecord, RecoveryContext } from '../../src/crash/module.js';
import { sessionWorkloadModule } from '../../src/crash/modules.js';
import { Prng } from '../../src/crash/prng.js';
import { crashRegistration, ProcessIndex, processWorkloadModule } from '../../src/crash/process-workload.js';
import { fromWire, MessageReader, toWire } from '../../src/crash/protocol.js';
import { summarizeCancelOutcome } from '../../src/crash/session-child.js';
import { attachmentRoot, sessionDbPath } from '../../src/crash/session-shared.js';
import { SessionIndex } from '../../src/crash/session-verifier.js';
import {
  completionOf,
  FileAttachmentStore,
  fenceOf,
  localProcessIdentity,
  type PendingTurnInputDraft,
  type QueuedWorkBatchDraft,
  type RuntimeCommit,
  SessionAttachmentStore,
  type SessionExecutionLease,
  type SessionNodeRecord,
  SqliteProcessRegistry,
  Store,
  type StoredEvent,
  turnCommitHash,
  turnInputCompletionOf,
} from '../../src/index.js';
import { emptyRuntimeCommit } from '../../src/testing.js';
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
  const empty = emptyRuntimeCommit('alpha');
  return {
    ...empty,
    expectedHeadRevision,
    config: { providerId: 'crash', model: { id: 'm' } },
    agentFrames: [{ frameId: 'main', op: opId }],
    currentAgentFrameId: 'main',
    checkpoint: {
      ...empty.checkpoint,
      turnState: { ...empty.checkpoint.turnState, turnIndex: 1, protocolTurnOptions: null },
      toolState: { op: opId },
    },
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

/** A lease of `alpha` under an opaque owner, on an open store. */
async function leaseOf(store: Store, id: string): Promise<SessionExecutionLease> {
  const owner = { ownerId: id, incarnationId: id, liveness: { kind: 'opaque' as const } };
  const claim = await store.tryClaimSessionExecutionLease('alpha', owner, 60_000);
  if (claim.kind !== 'acquired') throw new Error('lease busy');
  return claim.lease;
}

function inputDraft(key: string | null, text: string): PendingTurnInputDraft {
  return {
    sessionId: 'alpha',
    inputId: null,
    sourceKey: key,
    ingress: { kind: 'activeTurn', turnId: 'turn-a', minBoundary: 'afterWork' },
    input: { items: [{ kind: 'text', text }], protocolTurnOptions: null, traceTurnId: null },
  };
}

/** One history event of `alpha`'s input stream, as the campaign reads it. */
function historyEvent(seq: number, type: string, data: unknown): HistoryEvent {
  return { seq, stream: 'input:alpha', version: seq, type, recordedAtMs: seq, data: toWire(data) };
}

describe('session verifier: pending turn input and attachments', () => {
  /**
   * In `alpha`: a keyed input enqueued, claimed at a checkpoint of its turn, and completed by a stamped
   * commit that also adopts an attachment put through the session facade (ownerless, listed).
   */
  async function settleOneInput(dir: string) {
    const store = await Store.open(sessionDbPath(dir, 'alpha'));
    try {
      const draft = inputDraft('key-1', 'hello');
      const input = await store.enqueuePendingTurnInput(draft);
      const bytes = randomBytes(300);
      const facade = new SessionAttachmentStore(new FileAttachmentStore(attachmentRoot(dir)), store, 'alpha');
      const attachment = await facade.put(bytes, { mediaType: 'application/octet-stream' });
      const lease = await leaseOf(store, 'child');
      const claim = await store.claimActiveTurnInputs('alpha', fenceOf(lease), lease.owner, 'turn-a', 'afterWork', 5);
      if (!claim) throw new Error('nothing claimed');
      const body: RuntimeCommit = {
        ...commitBody('settle', 0),
        completedTurnInputClaims: [turnInputCompletionOf(claim)],
        committedAttachmentIds: [attachment.id],
      };
      const commit = {
        ...stamped(body),
        sessionExecutionLease: fenceOf(lease),
        releaseSessionExecutionLease: completionOf(lease),
      };
      const result = await store.commitRuntimeState(commit);
      const ops = [
        op({
          id: 'in',
          op: 'enqueueInput',
          args: draft,
          status: 'acked',
          result: { inputId: input.inputId, sourceKey: 'key-1' },
        }),
        op({
          id: 'put',
          op: 'putAttachment',
          args: { sessionId: 'alpha', bytes, turnId: null, adopt: true },
          status: 'acked',
          result: { id: attachment.id, byteLen: bytes.length },
        }),
        op({ id: 'settle', op: 'commit', args: commit, status: 'acked', result }),
      ];
      return { input, attachment, claim, ops };
    } finally {
      await store.close();
    }
  }

  test('an acknowledged enqueue, claim, completion and adoption are found', async () => {
    const dir = campaignDir();
    const findings = new Collected();
    const verifier = await sessionWorkloadModule.openVerifier({ dir, findings });
    const { ops, claim } = await settleOneInput(dir);
    const claimOp = op({ id: 'claim', op: 'claimActiveInputs', args: {}, status: 'acked', result: { claimId: claim.claimId } });
    await verifier.recover(context(findings, [...ops, claimOp]));
    await verifier.finalCheck(context(findings, []));
    await verifier.close();
    expect(findings.lostMessages).toEqual([]);
    expect(findings.divergences).toEqual([]);
    expect(findings.counters).toMatchObject({
      'turnInputs.enqueued': 1,
      'turnInputs.claimed': 1,
      'turnInputs.completed': 1,
      'attachments.adopted': 1,
    });
  });

  test('an acknowledged input, claim or intent that is not in the data is lost', async () => {
    const dir = campaignDir();
    const findings = new Collected();
    const verifier = await sessionWorkloadModule.openVerifier({ dir, findings });
    const bytes = randomBytes(50);
    await verifier.recover(
      context(findings, [
        op({
          id: 'in',
          op: 'enqueueInput',
          args: inputDraft(null, 'x'),
          status: 'acked',
          result: { inputId: 'ti:ghost', sourceKey: null },
        }),
        op({ id: 'cl', op: 'claimNextInputs', args: {}, status: 'acked', result: { claimId: 'tic:9:9' } }),
        op({
          id: 'put',
          op: 'putAttachment',
          args: { sessionId: 'alpha', bytes, turnId: null, adopt: false },
          status: 'acked',
          result: { id: createHash('sha256').update(bytes).digest('hex') },
        }),
      ]),
    );
    await verifier.close();
    expect(findings.lostMessages).toHaveLength(3);
    expect(findings.lostMessages[0]).toContain('input ti:ghost was never enqueued');
    expect(findings.lostMessages[1]).toContain('claim tic:9:9 is not in the log');
    expect(findings.lostMessages[2]).toContain('is not in the log');
  });

  test('a commit that claims to complete an input it did not complete is partial, and the input is lost', async () => {
    const dir = campaignDir();
    const findings = new Collected();
    const verifier = await sessionWorkloadModule.openVerifier({ dir, findings });
    const store = await Store.open(sessionDbPath(dir, 'alpha'));
    await store.enqueuePendingTurnInput(inputDraft('k', 'dropped'));
    const lease = await leaseOf(store, 'child');
    const claim = await store.claimActiveTurnInputs('alpha', fenceOf(lease), lease.owner, 'turn-a', 'afterWork', 1);
    if (!claim) throw new Error('nothing claimed');
    // The data holds the commit without its settlement: as if the store had dropped the completion.
    const body = commitBody('drops', 0);
    const result = await store.commitRuntimeState({ ...body, sessionExecutionLease: fenceOf(lease) });
    await store.close();
    const acked = { ...body, completedTurnInputClaims: [turnInputCompletionOf(claim)] };
    await verifier.recover(context(findings, [op({ id: 'drops', op: 'commit', args: acked, status: 'acked', result })]));
    await verifier.close();
    expect(findings.divergences.some((d) => d.includes('commit drops at seq') && d.includes('is partial'))).toBe(true);
    const inputId = claim.inputs[0]?.inputId;
    expect(findings.lostMessages).toEqual([
      `sessions/alpha.db: acknowledged commit drops: input ${inputId} it completed is accepted`,
    ]);
  });

  test('an input completed twice, or two inputs under one source key, are divergences', () => {
    const findings = new Collected();
    const index = new SessionIndex('sessions/alpha.db', 'alpha', findings);
    const row = (inputId: string) => ({
      inputId,
      sessionId: 'alpha',
      enqueueSeq: 1,
      sourceKey: 'same-key',
      ingress: { kind: 'nextTurn' },
      state: 'deferredNextTurn',
      enqueuedAtMs: 1,
      input: { items: [{ kind: 'text', text: inputId }], protocolTurnOptions: null, traceTurnId: null },
    });
    const owner = { ownerId: 'o', incarnationId: 'o', liveness: { kind: 'opaque' } };
    index.ingest(
      [
        historyEvent(1, 'TurnInputEnqueued', { input: row('ti:1') }),
        historyEvent(2, 'TurnInputEnqueued', { input: row('ti:2') }),
        historyEvent(3, 'TurnInputsClaimed', {
          sessionId: 'alpha',
          claimId: 'tic:1:1',
          leaseToken: 't',
          fencingToken: 1,
          sessionLeaseGeneration: 1,
          owner,
          mode: { kind: 'nextTurn' },
          state: 'deferredNextTurn',
          inputIds: ['ti:1'],
          rowFencingTokens: [1],
        }),
        historyEvent(4, 'TurnInputsCompleted', { sessionId: 'alpha', claimId: 'tic:1:1', inputIds: ['ti:1'] }),
        historyEvent(5, 'TurnInputsCompleted', { sessionId: 'alpha', claimId: 'tic:1:1', inputIds: ['ti:1'] }),
      ],
      () => undefined,
    );
    expect(findings.divergences).toContain(
      'sessions/alpha.db: TurnInputEnqueued: inputs ti:1 and ti:2 share source key same-key',
    );
    expect(findings.divergences).toContain(
      'sessions/alpha.db: TurnInputsCompleted: input ti:1 completed twice (again by claim tic:1:1)',
    );
    // A completion outside a commit's transaction block is a partial operation too.
    expect(findings.divergences).toContain('sessions/alpha.db: TurnInputsCompleted at seq 4 is not part of a commit');
  });

  test('a completed input the store still lists as pending is reported', async () => {
    const dir = campaignDir();
    const findings = new Collected();
    const verifier = await sessionWorkloadModule.openVerifier({ dir, findings });
    const { input } = await settleOneInput(dir);
    // Damage the projection behind the log's back: the completed input is pending again.
    const db = new Database(sessionDbPath(dir, 'alpha'));
    db.prepare("UPDATE pending_turn_inputs SET state = 'pendingActive' WHERE input_id = ?").run(input.inputId);
    db.close();
    await verifier.recover(context(findings, []));
    await verifier.close();
    expect(findings.divergences).toContain(
      `sessions/alpha.db: input ${input.inputId} is listed as pendingActive; the log says completed`,
    );
  });

  test('an adopted attachment whose bytes are gone is lost', async () => {
    const dir = campaignDir();
    const findings = new Collected();
    const verifier = await sessionWorkloadModule.openVerifier({ dir, findings });
    const { ops, attachment } = await settleOneInput(dir);
    rmSync(new FileAttachmentStore(attachmentRoot(dir)).pathFor(attachment.id));
    await verifier.recover(context(findings, ops));
    await verifier.close();
    expect(findings.divergences).toEqual([]);
    expect(findings.lostMessages).toHaveLength(1);
    expect(findings.lostMessages[0]).toContain(`adopted attachment ${attachment.id} cannot be read`);
  });

  test('in-flight turn-input completions: committed while the claim holds, superseded once abandoned (R6)', async () => {
    for (const abandoned of [false, true]) {
      const dir = campaignDir();
      const findings = new Collected();
      const resolutions: InFlightResolution[] = [];
      const verifier = await sessionWorkloadModule.openVerifier({ dir, findings });
      const store = await Store.open(sessionDbPath(dir, 'alpha'));
      await store.enqueuePendingTurnInput({ ...inputDraft(null, 'n'), ingress: { kind: 'nextTurn' } });
      const lease = await leaseOf(store, 'child');
      const claim = await store.claimNextTurnInputs('alpha', fenceOf(lease), lease.owner, 4);
      if (!claim) throw new Error('nothing claimed');
      await store.releaseSessionExecutionLease(completionOf(lease));
      if (abandoned) await store.abandonTurnInputClaim(claim);
      await store.close();
      const body = stamped({ ...commitBody('completes', 0), completedTurnInputClaims: [turnInputCompletionOf(claim)] });
      await verifier.recover(
        context(findings, [op({ id: 'completes', op: 'commit', args: body, status: 'begun' })], resolutions),
      );
      await verifier.recover(context(findings, [])); // the next round ingests the retry's events
      await verifier.close();
      expect(findings.divergences).toEqual([]);
      expect(resolutions.map((r) => [r.committedBeforeKill, r.outcome])).toEqual([
        [false, abandoned ? 'conflicted' : 'committed'],
      ]);
    }
  });

  test('in-flight keyed enqueues and attachment puts: an enqueue that was written replays, one that was not commits', async () => {
    const dir = campaignDir();
    const findings = new Collected();
    const resolutions: InFlightResolution[] = [];
    const verifier = await sessionWorkloadModule.openVerifier({ dir, findings });
    const store = await Store.open(sessionDbPath(dir, 'alpha'));
    const written = inputDraft('crash:w:input', 'written');
    await store.enqueuePendingTurnInput(written);
    await store.close();
    const bytes = randomBytes(40);
    await verifier.recover(
      context(
        findings,
        [
          op({ id: 'w', op: 'enqueueInput', args: written, status: 'begun' }),
          op({ id: 'n', op: 'enqueueInput', args: inputDraft('crash:n:input', 'not written'), status: 'begun', pid: 2 }),
          op({
            id: 'p',
            op: 'putAttachment',
            args: { sessionId: 'alpha', bytes, turnId: 'turn-x', adopt: false },
            status: 'begun',
            pid: 3,
          }),
        ],
        resolutions,
      ),
    );
    await verifier.finalCheck(context(findings, []));
    await verifier.close();
    expect(findings.divergences).toEqual([]);
    expect(findings.lostMessages).toEqual([]);
    expect(resolutions.map((r) => [r.op.id, r.committedBeforeKill, r.outcome])).toEqual([
      ['w', true, 'idempotent'],
      ['n', false, 'committed'],
      ['p', false, 'committed'],
    ]);
  });
});

function graphNode(nodeId: string, parentNodeId: string | null): SessionNodeRecord {
  return {
    nodeId,
    parentNodeId,
    causedBy: null,
    agentFrameId: 'main',
    timestamp: '2026-01-01T00:00:00.000Z',
    payload: {
      kind: 'event',
      event: {
        kind: 'conversation',
        message: {
          id: `${nodeId}:m`,
          role: 'user',
          parts: [{ id: `${nodeId}:p`, kind: 'text', content: nodeId, pruneState: 'intact' }],
          origin: null,
        },
      },
    },
  };
}

function workDraft(sourceKey: string | null): QueuedWorkBatchDraft {
  return {
    sessionId: 'alpha',
    sourceKey,
    deliveryPolicy: 'earliestSafeBoundary',
    slotPolicy: 'exclusive',
    payloads: [{ kind: 'agentFrameTask', frameId: 'main', task: 't', protocolTurnOptions: null }],
  };
}

describe('session verifier: cancels, tombstones and vacuum', () => {
  /** `alpha` with a committed graph of two nodes (`n0` → `n1`), acknowledged as commit `graph`. */
  async function withGraph(dir: string): Promise<OpRecord> {
    const body: RuntimeCommit = {
      ...commitBody('graph', 0),
      graph: { kind: 'append', nodes: [graphNode('n0', null), graphNode('n1', 'n0')], leafNodeId: 'n1' },
    };
    const result = await commitDirectly(dir, body);
    return op({ id: 'graph', op: 'commit', args: body, status: 'acked', result });
  }

  test('acknowledged cancels, a tombstone and a vacuum that the data shows are found; vacuumed inputs are not lost', async () => {
    const dir = campaignDir();
    const findings = new Collected();
    const verifier = await sessionWorkloadModule.openVerifier({ dir, findings });
    const graph = await withGraph(dir);
    const store = await Store.open(sessionDbPath(dir, 'alpha'));
    const keyed = inputDraft('k-a', 'a');
    const a = await store.enqueuePendingTurnInput(keyed);
    const b = await store.enqueuePendingTurnInput(inputDraft(null, 'b'));
    const batch = await store.enqueueQueuedWork(workDraft('w-1'));
    const targets = [
      { kind: 'sourceKey' as const, value: 'k-a' },
      { kind: 'inputId' as const, value: b.inputId },
      { kind: 'sourceKey' as const, value: 'nobody' },
    ];
    const cancels = (await store.cancelPendingTurnInputs('alpha', targets)).map((r) => summarizeCancelOutcome(r.outcome));
    const d = await store.enqueuePendingTurnInput(inputDraft(null, 'd'));
    await store.enqueuePendingTurnInput(inputDraft('k-e', 'e'));
    const suffix = await store.cancelPendingTurnInputSuffix('alpha', { kind: 'inputId', value: d.inputId });
    const cancelled = await store.cancelQueuedWorkBatch('alpha', batch.batchId);
    await store.tombstoneNodes(['n0']);
    const report = await store.vacuum();
    // The vacuum freed `k-a`: the same content under it now enqueues a new input.
    const again = await store.enqueuePendingTurnInput(keyed);
    await store.close();
    expect(cancels.map((o) => o.kind)).toEqual(['cancelled', 'cancelled', 'notFound']);
    expect(report).toEqual({ removedNodeCount: 1, removedPendingTurnInputTombstoneCount: 4 });
    expect(again.inputId).not.toBe(a.inputId);
    const outcomes = suffix.kind === 'outcomes' ? suffix.outcomes.map(summarizeCancelOutcome) : null;
    await verifier.recover(
      context(findings, [
        graph,
        op({ id: 'in', op: 'enqueueInput', args: keyed, status: 'acked', result: { inputId: a.inputId, sourceKey: 'k-a' } }),
        op({ id: 'cx', op: 'cancelInputs', args: { sessionId: 'alpha', targets }, status: 'acked', result: cancels }),
        op({
          id: 'sx',
          op: 'cancelInputSuffix',
          args: { sessionId: 'alpha', anchor: { kind: 'inputId', value: d.inputId } },
          status: 'acked',
          result: { outcomes },
        }),
        op({
          id: 'cw',
          op: 'cancelWork',
          args: { sessionId: 'alpha', batchId: batch.batchId, sourceKey: 'w-1' },
          status: 'acked',
          result: cancelled && { batchId: cancelled.batchId, sourceKey: cancelled.sourceKey },
        }),
        op({ id: 'ts', op: 'tombstoneNodes', args: { ids: ['n0', 'ghost-node'] }, status: 'acked', result: null }),
        op({ id: 'vx', op: 'vacuum', args: null, status: 'acked', result: report }),
        op({ id: 'in2', op: 'enqueueInput', args: keyed, status: 'acked', result: { inputId: again.inputId, sourceKey: 'k-a' } }),
      ]),
    );
    await verifier.finalCheck(context(findings, []));
    await verifier.close();
    expect(findings.lostMessages).toEqual([]);
    expect(findings.divergences).toEqual([]);
    expect(findings.counters).toMatchObject({
      'turnInputs.cancelled': 4,
      'queuedWork.cancelled': 1,
      'nodes.tombstoned': 1,
      'vacuum.nodes': 1,
      'vacuum.inputs': 4,
    });
  });

  test('acknowledged cancels, tombstones and vacuums the data does not show are lost; outcomes the log contradicts diverge', async () => {
    const dir = campaignDir();
    const findings = new Collected();
    const verifier = await sessionWorkloadModule.openVerifier({ dir, findings });
    const graph = await withGraph(dir);
    const store = await Store.open(sessionDbPath(dir, 'alpha'));
    const a = await store.enqueuePendingTurnInput(inputDraft('k-a', 'a'));
    const batch = await store.enqueueQueuedWork(workDraft('w-1'));
    await store.close();
    const row = { inputId: a.inputId, sourceKey: 'k-a', enqueueSeq: a.enqueueSeq, state: 'cancelled' };
    const byId = [{ kind: 'inputId', value: a.inputId }];
    await verifier.recover(
      context(findings, [
        graph,
        // The child saw these, the data does not have them.
        op({
          id: 'c1',
          op: 'cancelInputs',
          args: { sessionId: 'alpha', targets: byId },
          status: 'acked',
          result: [{ kind: 'cancelled', ...row }],
        }),
        op({
          id: 'w1',
          op: 'cancelWork',
          args: { sessionId: 'alpha', batchId: batch.batchId, sourceKey: null },
          status: 'acked',
          result: { batchId: batch.batchId },
        }),
        op({ id: 't1', op: 'tombstoneNodes', args: { ids: ['n1'] }, status: 'acked', result: null }),
        op({
          id: 'v1',
          op: 'vacuum',
          args: null,
          status: 'acked',
          result: { removedNodeCount: 1, removedPendingTurnInputTombstoneCount: 0 },
        }),
        // Outcomes §3.2.3 and §3.3.8 cannot give for rows in these states.
        op({
          id: 'c2',
          op: 'cancelInputs',
          args: { sessionId: 'alpha', targets: byId },
          status: 'acked',
          result: [{ kind: 'alreadyCompleted', ...row, state: 'completed' }],
        }),
        op({
          id: 'c3',
          op: 'cancelInputs',
          args: { sessionId: 'alpha', targets: byId },
          status: 'acked',
          result: [{ kind: 'notFound', inputId: null, sourceKey: null, enqueueSeq: null, state: null }],
        }),
        op({
          id: 'w2',
          op: 'cancelWork',
          args: { sessionId: 'alpha', batchId: batch.batchId, sourceKey: null },
          status: 'acked',
          result: null,
        }),
      ]),
    );
    await verifier.close();
    expect(findings.lostMessages).toEqual([
      `sessions/alpha.db: acknowledged cancelInputs c1: the cancel of input ${a.inputId} is not in the log`,
      `sessions/alpha.db: acknowledged cancelInputs c1: input ${a.inputId} it cancelled is still listed as pending`,
      `sessions/alpha.db: acknowledged cancelWork w1: the cancel of batch ${batch.batchId} is not in the log`,
      `sessions/alpha.db: acknowledged cancelWork w1: cancelled batch ${batch.batchId} is still listed`,
      'sessions/alpha.db: acknowledged tombstoneNodes t1: node n1 is not tombstoned in the log',
      'sessions/alpha.db: acknowledged tombstoneNodes t1: node n1 is still readable',
      'sessions/alpha.db: acknowledged vacuum v1: no Vacuumed event removed 1 nodes and 0 inputs',
    ]);
    expect(findings.divergences).toEqual([
      `sessions/alpha.db: cancel c2: alreadyCompleted for input ${a.inputId}, which the log never completed`,
      `sessions/alpha.db: cancel c3: input ${a.inputId} not found, yet the log holds it`,
      `sessions/alpha.db: cancelWork w2 returned null for batch ${batch.batchId}, which was never claimed nor finished`,
    ]);
  });

  test('a suffix cancel that leaves out a row enqueued after its anchor diverges', async () => {
    const dir = campaignDir();
    const findings = new Collected();
    const verifier = await sessionWorkloadModule.openVerifier({ dir, findings });
    const store = await Store.open(sessionDbPath(dir, 'alpha'));
    const d = await store.enqueuePendingTurnInput(inputDraft(null, 'd'));
    const e = await store.enqueuePendingTurnInput(inputDraft(null, 'e'));
    const f = await store.enqueuePendingTurnInput(inputDraft(null, 'f'));
    // The store cancels the anchor and one later row in one event, and the child saw that as the suffix.
    const results = await store.cancelPendingTurnInputs('alpha', [
      { kind: 'inputId', value: d.inputId },
      { kind: 'inputId', value: e.inputId },
    ]);
    await store.close();
    const outcomes = results.map((r) => summarizeCancelOutcome(r.outcome));
    await verifier.recover(
      context(findings, [
        op({
          id: 'sx',
          op: 'cancelInputSuffix',
          args: { sessionId: 'alpha', anchor: { kind: 'inputId', value: d.inputId } },
          status: 'acked',
          result: { outcomes },
        }),
      ]),
    );
    await verifier.close();
    expect(findings.lostMessages).toEqual([]);
    expect(findings.divergences).toEqual([
      `sessions/alpha.db: cancel sx: the suffix named [${d.inputId}, ${e.inputId}], the rows from its anchor on were [${d.inputId}, ${e.inputId}, ${f.inputId}]`,
    ]);
  });

  test('a source-key conflict stays legitimate once a vacuum deleted the input that held the key; one on a key never bound diverges', async () => {
    const dir = campaignDir();
    const findings = new Collected();
    const verifier = await sessionWorkloadModule.openVerifier({ dir, findings });
    const store = await Store.open(sessionDbPath(dir, 'alpha'));
    const a = await store.enqueuePendingTurnInput(inputDraft('k', 'one'));
    await expect(store.enqueuePendingTurnInput(inputDraft('k', 'two'))).rejects.toMatchObject({
      code: 'PendingTurnInputSourceKeyConflict',
    });
    await store.cancelPendingTurnInput('alpha', a.inputId);
    await store.vacuum();
    await store.close();
    const error = { code: 'PendingTurnInputSourceKeyConflict', message: 'conflict', expected: true };
    await verifier.recover(
      context(findings, [
        op({ id: 'two', op: 'enqueueInput', args: inputDraft('k', 'two'), status: 'failed', error }),
        op({ id: 'nobody', op: 'enqueueInput', args: inputDraft('never-bound', 'x'), status: 'failed', error }),
      ]),
    );
    await verifier.close();
    expect(findings.divergences).toEqual([
      'sessions/alpha.db: enqueue nobody conflicted on source key never-bound, which no input holds',
    ]);
  });

  test('a keyed enqueue acknowledged with an input of other content diverges', async () => {
    const dir = campaignDir();
    const findings = new Collected();
    const verifier = await sessionWorkloadModule.openVerifier({ dir, findings });
    const store = await Store.open(sessionDbPath(dir, 'alpha'));
    const a = await store.enqueuePendingTurnInput(inputDraft('k', 'one'));
    await store.close();
    await verifier.recover(
      context(findings, [
        op({
          id: 'r',
          op: 'enqueueInput',
          args: inputDraft('k', 'two'),
          status: 'acked',
          result: { inputId: a.inputId, sourceKey: 'k' },
        }),
      ]),
    );
    await verifier.close();
    expect(findings.divergences).toEqual([
      `sessions/alpha.db: acknowledged enqueueInput r returned input ${a.inputId}, whose content is not the submitted one`,
    ]);
  });

  test('cancelling a claimed input, claiming or completing a cancelled input or batch, and a vacuum that deletes live rows or leaves terminal ones are divergences', () => {
    const findings = new Collected();
    const index = new SessionIndex('sessions/alpha.db', 'alpha', findings);
    const row = (inputId: string, enqueueSeq: number) => ({
      inputId,
      sessionId: 'alpha',
      enqueueSeq,
      sourceKey: null,
      ingress: { kind: 'nextTurn' },
      state: 'deferredNextTurn',
      enqueuedAtMs: 1,
      input: { items: [{ kind: 'text', text: inputId }], protocolTurnOptions: null, traceTurnId: null },
    });
    const owner = { ownerId: 'o', incarnationId: 'o', liveness: { kind: 'opaque' } };
    const claimed = (seq: number, claimId: string, inputIds: string[], state: string) =>
      historyEvent(seq, 'TurnInputsClaimed', {
        sessionId: 'alpha',
        claimId,
        leaseToken: 't',
        fencingToken: 1,
        sessionLeaseGeneration: 1,
        owner,
        mode: { kind: 'nextTurn' },
        state,
        inputIds,
        rowFencingTokens: [1],
      });
    const batch = { batchId: 'qwb:1', sourceKey: null };
    index.ingest(
      [
        historyEvent(1, 'HeadSaved', {
          head: { headRevision: 0, checkpointRef: null },
          graph: [{ nodeId: 'n1' }, { nodeId: 'n2' }],
        }),
        historyEvent(2, 'TurnInputEnqueued', { input: row('ti:1', 1) }),
        historyEvent(3, 'TurnInputEnqueued', { input: row('ti:2', 2) }),
        historyEvent(4, 'TurnInputEnqueued', { input: row('ti:3', 3) }),
        historyEvent(5, 'SessionExecutionLeaseAcquired', { leaseToken: 'l', fencingToken: 1, owner, expiresAtMs: 1_000_000 }),
        claimed(6, 'tic:3:1', ['ti:3'], 'accepted'),
        // ti:3 is accepted: cancel must report alreadyClaimed, not cancel it.
        historyEvent(7, 'TurnInputsCancelled', { sessionId: 'alpha', inputIds: ['ti:1', 'ti:3'] }),
        claimed(8, 'tic:1:1', ['ti:1'], 'deferredNextTurn'),
        historyEvent(9, 'NodesTombstoned', { nodeIds: ['n1', 'n9'] }),
        historyEvent(10, 'Vacuumed', { nodeIds: ['n2'], inputIds: ['ti:2'] }),
        historyEvent(11, 'QueuedWorkEnqueued', { batch }),
        historyEvent(12, 'QueuedWorkCancelled', { sessionId: 'alpha', batchId: 'qwb:1' }),
        historyEvent(13, 'QueuedWorkClaimed', {
          sessionId: 'alpha',
          claimId: 'qwc:1:1',
          leaseToken: 't',
          fencingToken: 1,
          sessionLeaseGeneration: 1,
          owner,
          batchIds: ['qwb:1'],
          rowFencingTokens: [1],
        }),
        historyEvent(14, 'TurnInputEnqueued', { input: row('ti:4', 4) }),
        historyEvent(15, 'TurnInputsCancelled', { sessionId: 'alpha', inputIds: ['ti:4'] }),
        historyEvent(16, 'TurnInputsCompleted', { sessionId: 'alpha', claimId: 'tic:4:1', inputIds: ['ti:4'] }),
        // Rows a claim of the live lease (generation 1, expiring long after these events) holds are not cancellable (R5).
        historyEvent(17, 'TurnInputEnqueued', { input: row('ti:5', 5) }),
        claimed(18, 'tic:5:1', ['ti:5'], 'deferredNextTurn'),
        historyEvent(19, 'TurnInputsCancelled', { sessionId: 'alpha', inputIds: ['ti:5'] }),
        historyEvent(20, 'QueuedWorkEnqueued', { batch: { batchId: 'qwb:2', sourceKey: null } }),
        historyEvent(21, 'QueuedWorkClaimed', {
          sessionId: 'alpha',
          claimId: 'qwc:2:1',
          leaseToken: 't',
          fencingToken: 1,
          sessionLeaseGeneration: 1,
          owner,
          batchIds: ['qwb:2'],
          rowFencingTokens: [1],
        }),
        historyEvent(22, 'QueuedWorkCancelled', { sessionId: 'alpha', batchId: 'qwb:2' }),
      ],
      () => undefined,
    );
    expect(findings.divergences).toEqual([
      'sessions/alpha.db: TurnInputsCancelled: cancelled input ti:3 in state accepted',
      'sessions/alpha.db: TurnInputsClaimed: claim tic:1:1 took input ti:1 in state cancelled',
      'sessions/alpha.db: NodesTombstoned at seq 9: tombstoned node n9, which is not in the graph',
      'sessions/alpha.db: Vacuumed at seq 10: deleted node n2, which is live',
      'sessions/alpha.db: Vacuumed at seq 10: deleted input ti:2, which is deferredNextTurn',
      'sessions/alpha.db: Vacuumed at seq 10: left tombstoned nodes n1, n9',
      // ti:1 is deferred again by the forged claim at seq 8, as the model folds it.
      'sessions/alpha.db: Vacuumed at seq 10: left terminal inputs ti:3',
      'sessions/alpha.db: claim qwc:1:1 took batch qwb:1, which is gone',
      'sessions/alpha.db: TurnInputsCompleted at seq 16 is not part of a commit',
      'sessions/alpha.db: TurnInputsCompleted: input ti:4 completed after it was cancelled',
      'sessions/alpha.db: TurnInputsCancelled: cancelled input ti:5 while claim tic:5:1 of the live lease held it (R5)',
      'sessions/alpha.db: batch qwb:2 cancelled while a claim of the live lease held it (R5)',
    ]);
  });

  test('in-flight cancels, tombstones and vacuums are repeated: what had committed is idempotent, the rest commits', async () => {
    const dir = campaignDir();
    const findings = new Collected();
    const resolutions: InFlightResolution[] = [];
    const verifier = await sessionWorkloadModule.openVerifier({ dir, findings });
    const graph = await withGraph(dir);
    const store = await Store.open(sessionDbPath(dir, 'alpha'));
    const done = await store.enqueuePendingTurnInput(inputDraft('k-done', 'done'));
    const todo = await store.enqueuePendingTurnInput(inputDraft('k-todo', 'todo'));
    const batch = await store.enqueueQueuedWork(workDraft('w-1'));
    await store.cancelPendingTurnInput('alpha', done.inputId);
    await store.tombstoneNodes(['n0']);
    await store.close();
    const cancelOf = (id: string, value: string, pid: number) =>
      op({ id, op: 'cancelInputs', args: { sessionId: 'alpha', targets: [{ kind: 'sourceKey', value }] }, status: 'begun', pid });
    await verifier.recover(
      context(
        findings,
        [
          graph,
          cancelOf('c-done', 'k-done', 2),
          cancelOf('c-todo', 'k-todo', 3),
          op({
            id: 'w',
            op: 'cancelWork',
            args: { sessionId: 'alpha', batchId: batch.batchId, sourceKey: null },
            status: 'begun',
            pid: 4,
          }),
          op({ id: 't', op: 'tombstoneNodes', args: { ids: ['n0'] }, status: 'begun', pid: 5 }),
          op({ id: 'v', op: 'vacuum', args: null, status: 'begun', pid: 6 }),
        ],
        resolutions,
      ),
    );
    await verifier.recover(context(findings, [])); // the next round ingests the retries' events
    await verifier.finalCheck(context(findings, []));
    await verifier.close();
    expect(findings.divergences).toEqual([]);
    expect(findings.lostMessages).toEqual([]);
    expect(resolutions.map((r) => [r.op.id, r.committedBeforeKill, r.outcome])).toEqual([
      ['c-done', null, 'idempotent'],
      ['c-todo', false, 'committed'],
      ['w', false, 'committed'],
      ['t', true, 'idempotent'],
      ['v', null, 'committed'],
    ]);
    expect(todo.inputId).not.toBe(done.inputId);
    expect(findings.counters['vacuum.inputs']).toBe(2);
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

  const wakeRequest = (key: string, target: { sessionId: string; agentFrameId: string | null } | null = null) => ({
    eventType: 'crash.wake',
    payload: { op: key, wake_input: `wake ${key}` },
    replay: { key },
    wakeTargetScope: target,
  });
  const wait = (key: string) => ({
    kind: { kind: 'signal' as const, name: 'crash', eventType: 'crash.progress', key, ordinal: 0 },
    sinceMs: 0,
  });
  const processOp = (fields: Partial<OpRecord> & Pick<OpRecord, 'id' | 'op' | 'args' | 'status'>) =>
    op({ module: 'process', db: 'registry', ...fields });

  test('acknowledged wake appends, wake acks and waits that are in the data are found', async () => {
    const dir = campaignDir();
    const findings = new Collected();
    const verifier = await processWorkloadModule.openVerifier({ dir, findings });
    const registry = await SqliteProcessRegistry.open(join(dir, 'process', 'registry.db'));
    await registry.registerProcess(crashRegistration('wproc-a'));
    await registry.registerProcess(crashRegistration('proc-b'));
    const targeted = await registry.appendEvent('wproc-a', wakeRequest('w1'));
    const untargeted = await registry.appendEvent('proc-b', wakeRequest('w2'));
    const overridden = await registry.appendEvent('proc-b', wakeRequest('w3', { sessionId: 'crash-wakes', agentFrameId: 'f' }));
    expect(targeted.wakeDelivery?.targetSessionId).toBe('crash-wakes');
    expect(untargeted.wakeDelivery).toBeNull();
    expect(overridden.wakeDelivery?.targetScopeId).not.toBe(targeted.wakeDelivery?.targetScopeId);
    await registry.ackWake('wproc-a', 1);
    await registry.setProcessWait('wproc-a', wait('s1'));
    await registry.setProcessWait('proc-b', wait('s2'));
    await registry.clearProcessWait('proc-b');
    await registry.close();
    const summary = (r: typeof targeted) => ({ sequence: r.event.sequence, wakeDelivery: r.wakeDelivery });
    const ops = [
      processOp({
        id: 'w1',
        op: 'appendWake',
        args: { processId: 'wproc-a', request: wakeRequest('w1') },
        status: 'acked',
        result: summary(targeted),
      }),
      processOp({
        id: 'w2',
        op: 'appendWake',
        args: { processId: 'proc-b', request: wakeRequest('w2') },
        status: 'acked',
        result: summary(untargeted),
      }),
      processOp({
        id: 'w3',
        op: 'appendWake',
        args: { processId: 'proc-b', request: wakeRequest('w3', { sessionId: 'crash-wakes', agentFrameId: 'f' }) },
        status: 'acked',
        result: summary(overridden),
      }),
      processOp({
        id: 'a1',
        op: 'ackWake',
        args: { processId: 'wproc-a', sequence: 1, repeat: false },
        status: 'acked',
        result: null,
      }),
      processOp({
        id: 's1',
        op: 'setWait',
        args: { processId: 'wproc-a', wait: wait('s1') },
        status: 'acked',
        result: { wait: wait('s1') },
      }),
      processOp({
        id: 's2',
        op: 'setWait',
        args: { processId: 'proc-b', wait: wait('s2') },
        status: 'acked',
        result: { wait: wait('s2') },
      }),
      processOp({ id: 'c1', op: 'clearWait', args: { processId: 'proc-b' }, status: 'acked', result: { wait: null } }),
    ];
    await verifier.recover(context(findings, ops));
    // Checking a second time re-acks wake 1 again (idempotent) and replays every wake append.
    await verifier.finalCheck(context(findings, []));
    await verifier.close();
    expect(findings.lostMessages).toEqual([]);
    expect(findings.divergences).toEqual([]);
  });

  test('an acknowledged wake ack, wake delivery or wait that the data does not show is lost', async () => {
    const dir = campaignDir();
    const findings = new Collected();
    const verifier = await processWorkloadModule.openVerifier({ dir, findings });
    const registry = await SqliteProcessRegistry.open(join(dir, 'process', 'registry.db'));
    await registry.registerProcess(crashRegistration('wproc-a'));
    const appended = await registry.appendEvent('wproc-a', wakeRequest('w1'));
    // The wait the history says is set was cleared by nobody the history knows.
    await registry.setProcessWait('wproc-a', wait('s1'));
    await registry.clearProcessWait('wproc-a');
    await registry.close();
    const delivery = appended.wakeDelivery;
    if (!delivery) throw new Error('no delivery');
    const ops = [
      // The ack never happened: wake 1 is still pending.
      processOp({
        id: 'a1',
        op: 'ackWake',
        args: { processId: 'wproc-a', sequence: 1, repeat: false },
        status: 'acked',
        result: null,
      }),
      // The acknowledged delivery named another wake id than the stored event replays to.
      processOp({
        id: 'w1',
        op: 'appendWake',
        args: { processId: 'wproc-a', request: wakeRequest('w1') },
        status: 'acked',
        result: { sequence: 1, wakeDelivery: { ...delivery, wakeId: 'wake:forged' } },
      }),
      processOp({
        id: 's1',
        op: 'setWait',
        args: { processId: 'wproc-a', wait: wait('s1') },
        status: 'acked',
        result: { wait: wait('s1') },
      }),
    ];
    await verifier.recover(context(findings, ops));
    await verifier.close();
    expect(findings.divergences).toEqual([]);
    expect(findings.lostMessages).toEqual([
      expect.stringMatching(/acknowledged ackWake a1: the ack is not in the log/),
      expect.stringMatching(/acknowledged ackWake a1: wakeEventsAfter still lists the wake/),
      expect.stringMatching(/acknowledged appendWake w1: the wake append replays to .*wake:forged/),
      expect.stringMatching(/process wproc-a waits null, its last wait operation s1 left/),
    ]);
  });

  test('a wake acked twice in the log is a divergence (acks are insert-or-ignore)', () => {
    const findings = new Collected();
    const index = new ProcessIndex('process/registry.db', findings);
    index.ingest(
      [
        historyEvent(1, 'ProcessWakeAcked', { processId: 'wproc-a', sequence: 1 }),
        historyEvent(2, 'ProcessWakeAcked', { processId: 'wproc-a', sequence: 2 }),
        historyEvent(3, 'ProcessWakeAcked', { processId: 'proc-b', sequence: 1 }),
        historyEvent(4, 'ProcessWakeAcked', { processId: 'wproc-a', sequence: 1 }),
      ],
      () => undefined,
    );
    expect(findings.divergences).toEqual(['process/registry.db: wake wproc-a 1 acked twice (seq 4)']);
  });

  test('in-flight wake appends, wake acks and waits: stored ones replay, the others commit', async () => {
    const dir = campaignDir();
    const findings = new Collected();
    const resolutions: InFlightResolution[] = [];
    const verifier = await processWorkloadModule.openVerifier({ dir, findings });
    const registry = await SqliteProcessRegistry.open(join(dir, 'process', 'registry.db'));
    await registry.registerProcess(crashRegistration('wproc-a'));
    await registry.registerProcess(crashRegistration('proc-done'));
    await registry.appendEvent('wproc-a', wakeRequest('w-stored'));
    await registry.appendEvent('wproc-a', wakeRequest('w-other'));
    await registry.ackWake('wproc-a', 1);
    await registry.setProcessWait('wproc-a', wait('s-stored'));
    const owner = { ownerId: 'sibling', incarnationId: 'sibling', liveness: { kind: 'opaque' as const } };
    const lease = await registry.claimProcessLease('proc-done', owner, 60_000);
    if (lease.kind !== 'acquired') throw new Error('busy');
    await registry.completeProcessWithLease(lease.lease, { kind: 'success', value: null, control: null });
    await registry.close();
    const ops = [
      processOp({
        id: 'w-stored',
        op: 'appendWake',
        args: { processId: 'wproc-a', request: wakeRequest('w-stored') },
        status: 'begun',
      }),
      processOp({
        id: 'w-new',
        op: 'appendWake',
        args: { processId: 'wproc-a', request: wakeRequest('w-new') },
        status: 'begun',
      }),
      processOp({ id: 'a-stored', op: 'ackWake', args: { processId: 'wproc-a', sequence: 1, repeat: false }, status: 'begun' }),
      processOp({ id: 'a-new', op: 'ackWake', args: { processId: 'wproc-a', sequence: 2, repeat: false }, status: 'begun' }),
      processOp({ id: 's-stored', op: 'setWait', args: { processId: 'wproc-a', wait: wait('s-stored') }, status: 'begun' }),
      processOp({ id: 's-terminal', op: 'setWait', args: { processId: 'proc-done', wait: wait('s-terminal') }, status: 'begun' }),
    ];
    await verifier.recover(context(findings, ops, resolutions));
    await verifier.close();
    expect(findings.divergences).toEqual([]);
    expect(findings.lostMessages).toEqual([]);
    expect(resolutions.map((r) => [r.op.id, r.committedBeforeKill, r.outcome])).toEqual([
      ['w-stored', true, 'replayed'],
      ['w-new', false, 'committed'],
      ['a-stored', true, 'idempotent'],
      ['a-new', false, 'committed'],
      ['s-stored', true, 'idempotent'],
      ['s-terminal', false, 'conflicted'],
    ]);
    const after = await SqliteProcessRegistry.open(join(dir, 'process', 'registry.db'));
    expect(await after.wakeEventsAfter('wproc-a', 0)).toEqual([expect.objectContaining({ sequence: 3 })]);
    expect((await after.getProcess('wproc-a'))?.wait).toEqual(wait('s-stored'));
    await after.close();
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
