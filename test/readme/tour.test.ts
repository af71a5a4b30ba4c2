/**
 * The README's five-minute tour, compiled and run. Each `// tour:<name>` … `// tour:end` region must
 * appear verbatim (dedented) in README.md, so the README cannot drift from code that works.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import {
  completionOf,
  fenceOf,
  ProcessRegistration,
  queuedWorkCompletionOf,
  type RuntimeCommit,
  type RuntimeEffectEnvelope,
  type RuntimeEffectLocalExecutor,
  type SessionNodeRecord,
  SqliteEffectHost,
  SqliteProcessRegistry,
  Store,
  turnInputCompletionOf,
} from '../../src/index.js';

const cwd = process.cwd();
let logged: unknown[][] = [];
beforeAll(() => {
  process.chdir(mkdtempSync(join(tmpdir(), 'lash-tour-')));
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    logged.push(args);
  });
});
afterAll(() => {
  process.chdir(cwd);
  vi.restoreAllMocks();
});

it('tour: open a store, commit a turn, claim work', async () => {
  logged = [];
  // tour:commit
  const store = await Store.open('session.db'); // one SQLite file per session
  const worker = { ownerId: 'worker-1', incarnationId: 'worker-1:boot-1', liveness: { kind: 'opaque' } } as const;
  const claim = await store.tryClaimSessionExecutionLease('chat-1', worker, 30_000);
  if (claim.kind !== 'acquired') throw new Error('another worker holds this session');

  const message = (nodeId: string, parentNodeId: string | null, role: 'user' | 'assistant', text: string): SessionNodeRecord => ({
    nodeId,
    parentNodeId,
    causedBy: null,
    agentFrameId: 'main',
    timestamp: new Date().toISOString(),
    payload: {
      kind: 'event',
      event: {
        kind: 'conversation',
        message: {
          id: nodeId,
          role,
          parts: [{ id: `${nodeId}:0`, kind: 'text', content: text, pruneState: 'intact' }],
          origin: null,
        },
      },
    },
  });
  const usage = {
    inputTokens: 1200,
    outputTokens: 300,
    cacheReadInputTokens: 0,
    cacheWriteInputTokens: 0,
    reasoningOutputTokens: 0,
  };
  const turn: RuntimeCommit = {
    sessionId: 'chat-1',
    expectedHeadRevision: 0, // compare-and-swap on the session head
    sessionExecutionLease: fenceOf(claim.lease), // refused if another worker took over meanwhile
    releaseSessionExecutionLease: completionOf(claim.lease), // release in the same transaction
    config: { providerId: 'my-provider', model: { id: 'my-model' } },
    agentFrames: [{ frameId: 'main', reason: 'initial' }],
    currentAgentFrameId: 'main',
    graph: { kind: 'append', nodes: [message('m1', null, 'user', 'Summarise the WAL docs')], leafNodeId: 'm1' },
    checkpoint: {
      turnState: { turnIndex: 1, tokenUsage: usage, lastPromptUsage: null, protocolTurnOptions: {} },
      toolStateRef: null,
      toolState: { openFiles: ['wal.md'] }, // snapshots are stored as content-addressed blobs
      pluginSnapshotRef: null,
      pluginSnapshot: null,
      pluginSnapshotRevision: null,
      executionStateRef: null,
      executionState: null,
    },
    usageDeltas: [{ source: 'turn', model: 'my-model', usage }],
    turnCommit: null,
    completedQueueClaims: [],
    completedTurnInputClaims: [],
    enqueuedQueueBatches: [],
    interruptedTurnInputTurnId: null,
    committedAttachmentIds: [],
  };
  const result = await store.commitRuntimeState(turn);
  console.log(result.headRevision); // 1
  // tour:end
  expect(logged).toEqual([[1]]);

  logged = [];
  // tour:claim
  // While the agent is busy, a background job's wake and a user message queue up …
  await store.enqueueQueuedWork({
    sessionId: 'chat-1',
    sourceKey: 'wake:build-1042', // enqueueing the same source key twice is a no-op
    deliveryPolicy: 'earliestSafeBoundary',
    slotPolicy: 'join',
    mergeKey: { kind: 'never' },
    availableAtMs: 0,
    payloads: [{ kind: 'processWake', wake: { processId: 'build-1042', input: '2 tests failed' } }],
  });
  await store.enqueuePendingTurnInput({
    sessionId: 'chat-1',
    inputId: null,
    sourceKey: null,
    ingress: { kind: 'nextTurn' },
    input: { items: [{ kind: 'text', text: 'and fix them' }], protocolTurnOptions: null, traceTurnId: null },
  });
  // … and the next turn claims both under its session lease and settles them in its commit.
  const next = await store.tryClaimSessionExecutionLease('chat-1', worker, 30_000);
  if (next.kind !== 'acquired') throw new Error('another worker holds this session');
  const fence = fenceOf(next.lease);
  const work = await store.claimReadyQueuedWork('chat-1', fence, worker, 'idle', 10);
  const inputs = await store.claimNextTurnInputs('chat-1', fence, worker, 10);
  await store.commitRuntimeState({
    ...turn,
    expectedHeadRevision: 1,
    sessionExecutionLease: fence,
    releaseSessionExecutionLease: completionOf(next.lease),
    graph: { kind: 'append', nodes: [message('m2', 'm1', 'assistant', 'Fixed both tests.')], leafNodeId: 'm2' },
    completedQueueClaims: work ? [queuedWorkCompletionOf(work)] : [],
    completedTurnInputClaims: inputs ? [turnInputCompletionOf(inputs)] : [],
  });
  console.log(await store.listQueuedWork('chat-1'), await store.listPendingTurnInputs('chat-1')); // [] []
  // tour:end
  expect(logged).toEqual([[[], []]]);

  logged = [];
  // tour:audit
  const session = await store.loadSession({ kind: 'fullGraph' });
  console.log(session?.headRevision, session?.graph.nodes.length); // 2 2
  for (const event of await store.readEvents()) console.log(event.seq, event.stream, event.type); // the audit trail
  console.log((await store.verifyProjections()).ok); // true: the projections equal a replay of the log
  await store.close();
  // tour:end
  expect(logged[0]).toEqual([2, 2]);
  expect(logged.length).toBeGreaterThan(3);
  expect(logged.at(-1)).toEqual([true]);
});

it('tour: watch a process', async () => {
  logged = [];
  // tour:process
  const registry = await SqliteProcessRegistry.open('processes.db'); // one per host profile
  await registry.registerProcess(
    ProcessRegistration.create('job-1', { kind: 'external', metadata: null }, 'externallyOwned', {
      originator: { kind: 'host', scope: null },
      causedBy: null,
    }),
  );
  // The current record, then every change, until the process is terminal — from any OS process.
  registry.watchProcess('job-1').subscribe((record) => console.log(record.changeSeq, record.status.kind));
  const output = registry.awaitTerminal('job-1', { signal: AbortSignal.timeout(60_000) });
  await registry.completeProcess(
    'job-1',
    { kind: 'success', value: { ok: true }, control: null },
    { kind: 'externalOwner', grantedTo: 'me' },
  );
  console.log(await output); // { kind: 'success', value: { ok: true }, control: null }
  await registry.close();
  // tour:end
  expect(logged.at(-1)).toEqual([{ kind: 'success', value: { ok: true }, control: null }]);
  expect(logged.length).toBeGreaterThanOrEqual(3);
});

it('tour: replay an effect after a restart', async () => {
  logged = [];
  // tour:effect
  const call: RuntimeEffectEnvelope = {
    invocation: {
      scope: { sessionId: 'chat-1', turnId: 'turn-2', turnIndex: 2, protocolIteration: 0 },
      subject: { kind: 'effect', effectId: 'call-1', effectKind: 'toolAttempt' },
      replay: { key: 'turn-2:call-1' },
    },
    command: { kind: 'toolAttempt', call: { callId: 'call-1', args: { q: 'sqlite wal' } }, attempt: 1, maxAttempts: 1 },
  };
  let runs = 0;
  const webSearch: RuntimeEffectLocalExecutor = {
    kind: 'function',
    run: async () => {
      runs++; // the real side effect
      const output = { kind: 'success', value: ['https://sqlite.org/wal.html'] };
      return { kind: 'toolAttempt', launch: { kind: 'done' }, record: { callId: 'call-1', output, durationMs: 120 } };
    },
  };
  const scope = { kind: 'turn', sessionId: 'chat-1', turnId: 'turn-2' } as const;

  let host = await SqliteEffectHost.open('effects.db');
  const first = await host.scoped(scope).controller.executeEffect(call, webSearch);
  await host.close(); // the runtime crashes or restarts …
  host = await SqliteEffectHost.open('effects.db');
  const replayed = await host.scoped(scope).controller.executeEffect(call, webSearch);
  console.log(runs, replayed.record); // 1 { callId: 'call-1', durationMs: 120, output: { … } }: the journal answered
  await host.close();
  // tour:end
  expect(runs).toBe(1);
  expect(replayed).toEqual(first);
  expect(logged).toEqual([[1, first.record]]);
});

it('every tour region appears verbatim in README.md', () => {
  const source = readFileSync(new URL(import.meta.url), 'utf8');
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const regions = [...source.matchAll(/^( *)\/\/ tour:(\w+)\n([\s\S]*?)^ *\/\/ tour:end$/gm)];
  expect(regions.map((r) => r[2])).toEqual(['commit', 'claim', 'audit', 'process', 'effect']);
  for (const [, indent, name, body] of regions) {
    const dedented = (body as string)
      .split('\n')
      .map((line) => (line.startsWith(indent as string) ? line.slice((indent as string).length) : line))
      .join('\n');
    expect(readme, `README.md lacks the tour region "${name}"`).toContain(dedented);
  }
});
