/**
 * Bad input (00-overview §2, 10-session-store R10, docs/decisions.md "Input validation"): every
 * malformed argument rejects with a typed `LashStoreError` — `InvalidArgument` naming the exact path
 * and what was expected — before anything is read or written, so the stored state is unchanged.
 */
import { describe, expect, it } from 'vitest';
import {
  BlobArtifactDescriptor,
  fenceOf,
  type JsonValue,
  LashStoreError,
  type RuntimeCommit,
  Store,
  StoreError,
} from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { describeBackends } from '../support/backends.js';
import { base, bytes, commitWith, E, fenced, lease, node, owner, rejectsWith, wake, X } from '../support/fixtures.js';

/** An expected rejection: the code, and for `InvalidArgument` the argument path and expectation. */
type Expected = { code: string; argument?: string; expected?: string };

const invalid = (argument: string, expected: string): Expected => ({ code: 'InvalidArgument', argument, expected });

async function expectTypedRejection(name: string, call: () => Promise<unknown>, want: Expected): Promise<void> {
  let error: unknown;
  try {
    await call();
  } catch (e) {
    error = e;
  }
  expect(error, `${name} must reject`).toBeInstanceOf(LashStoreError);
  expect(error, name).toBeInstanceOf(StoreError);
  const e = error as LashStoreError & Record<string, unknown>;
  expect(e.code, `${name}: ${e.message}`).toBe(want.code);
  if (want.argument !== undefined) expect(e.argument, name).toBe(want.argument);
  if (want.expected !== undefined) {
    expect(e.expected, name).toBe(want.expected);
    expect(e.message, name).toBe(`invalid \`${want.argument}\`: expected ${want.expected}`);
  }
}

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

/** `good` with one member replaced (or removed when `value` is `undefined`) along `path`. */
function mutate(good: RuntimeCommit, path: Array<string | number>, value: unknown): unknown {
  const copy = structuredClone(good) as unknown as Record<string | number, unknown>;
  let target = copy;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (value === undefined) delete target[last];
  else target[last] = value;
  return copy;
}

describeBackends('bad input', (backend) => {
  async function setup() {
    const clock = new ManualClock(10_000);
    const { store } = await backend.open({ clock });
    const first = base('root');
    first.graph = { kind: 'replaceFull', graph: { nodes: [node('n1', null)], leafNodeId: 'n1' } };
    first.checkpoint.toolState = { generation: 1 };
    await commitWith(store, first, 'setup');
    await store.saveSessionMeta({
      sessionId: 'root',
      sessionName: 'Bad Input',
      createdAt: '2026-06-02T00:00:00Z',
      model: 'm',
      cwd: null,
      relation: { kind: 'root' },
    });
    const l = await lease(store, 'root', 'bad-input');
    const good = fenced(base('root'), l, false);
    good.graph = { kind: 'append', nodes: [node('n2', 'n1')], leafNodeId: 'n2' };
    good.usageDeltas = [
      {
        source: 'turn',
        model: 'm',
        usage: { inputTokens: 1, outputTokens: 1, cacheReadInputTokens: 0, cacheWriteInputTokens: 0, reasoningOutputTokens: 0 },
      },
    ];
    good.enqueuedQueueBatches = [wake('root', 'outbox', E, X)];
    good.turnCommit = { sessionId: 'root', turnId: 'turn-1', turnCommitHash: 'hash' };
    return { store, l, good };
  }

  async function unchanged(store: Store) {
    return {
      events: (await store.readEvents()).length,
      session: await store.loadSession({ kind: 'fullGraph' }),
      meta: await store.loadSessionMeta(),
      queue: await store.listQueuedWork('root'),
    };
  }

  it('malformed commits reject with InvalidArgument naming the path, and change nothing', async () => {
    const { store, good } = await setup();
    const before = await unchanged(store);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const cases: Array<[string, unknown, Expected]> = [
      ['not an object', 'commit', invalid('commit', 'an object')],
      ['null', null, invalid('commit', 'an object')],
      ['an array', [good], invalid('commit', 'an object')],
      ['missing sessionId', mutate(good, ['sessionId'], undefined), invalid('commit.sessionId', 'a string')],
      ['numeric sessionId', mutate(good, ['sessionId'], 7), invalid('commit.sessionId', 'a string')],
      ['Uint8Array sessionId', mutate(good, ['sessionId'], bytes('root')), invalid('commit.sessionId', 'a string')],
      [
        'lone surrogate in sessionId',
        mutate(good, ['sessionId'], 'root\uD800'),
        invalid('commit.sessionId', 'a well-formed Unicode string'),
      ],
      ['missing config', mutate(good, ['config'], undefined), invalid('commit.config', 'an object')],
      ['numeric providerId', mutate(good, ['config', 'providerId'], 1), invalid('commit.config.providerId', 'a string')],
      [
        'missing currentAgentFrameId',
        mutate(good, ['currentAgentFrameId'], undefined),
        invalid('commit.currentAgentFrameId', 'a string'),
      ],
      ['missing graph', mutate(good, ['graph'], undefined), invalid('commit.graph', 'an object')],
      [
        'unknown graph kind',
        mutate(good, ['graph', 'kind'], 'merge'),
        invalid('commit.graph.kind', "one of 'unchanged', 'append', 'replaceFull'"),
      ],
      [
        'nodes not an array',
        mutate(good, ['graph', 'nodes'], { 0: node('n2', 'n1') }),
        invalid('commit.graph.nodes', 'an array'),
      ],
      [
        'node without timestamp',
        mutate(good, ['graph', 'nodes', 0, 'timestamp'], undefined),
        invalid('commit.graph.nodes[0].timestamp', 'a string'),
      ],
      [
        'Uint8Array node id',
        mutate(good, ['graph', 'nodes', 0, 'nodeId'], bytes('n2')),
        invalid('commit.graph.nodes[0].nodeId', 'a string'),
      ],
      ['numeric leaf', mutate(good, ['graph', 'leafNodeId'], 2), invalid('commit.graph.leafNodeId', 'a string')],
      [
        'NaN expectedHeadRevision',
        mutate(good, ['expectedHeadRevision'], Number.NaN),
        invalid('commit.expectedHeadRevision', 'a number'),
      ],
      [
        'string expectedHeadRevision',
        mutate(good, ['expectedHeadRevision'], '1'),
        invalid('commit.expectedHeadRevision', 'a number'),
      ],
      [
        'NaN fencing token',
        mutate(good, ['sessionExecutionLease', 'fencingToken'], Number.NaN),
        invalid('commit.sessionExecutionLease.fencingToken', 'a number'),
      ],
      [
        'fence without owner',
        mutate(good, ['sessionExecutionLease', 'owner'], undefined),
        invalid('commit.sessionExecutionLease.owner', 'an object'),
      ],
      [
        'NaN usage counter',
        mutate(good, ['usageDeltas', 0, 'usage', 'inputTokens'], Number.NaN),
        invalid('commit.usageDeltas[0].usage.inputTokens', 'a number'),
      ],
      [
        'fractional usage counter',
        mutate(good, ['usageDeltas', 0, 'usage', 'outputTokens'], 1.5),
        invalid('commit.usageDeltas[0].usage.outputTokens', 'a safe integer'),
      ],
      ['usage not a list', mutate(good, ['usageDeltas'], { source: 'turn' }), invalid('commit.usageDeltas', 'an array')],
      [
        'NaN pluginSnapshotRevision',
        mutate(good, ['checkpoint', 'pluginSnapshotRevision'], Number.NaN),
        invalid('commit.checkpoint.pluginSnapshotRevision', 'a number'),
      ],
      [
        'string executionState',
        mutate(good, ['checkpoint', 'executionState'], 'bytes'),
        invalid('commit.checkpoint.executionState', 'a Uint8Array'),
      ],
      [
        'numeric toolStateRef',
        mutate(good, ['checkpoint', 'toolStateRef'], 5),
        invalid('commit.checkpoint.toolStateRef', 'a string'),
      ],
      [
        'function in the model spec',
        mutate(good, ['config', 'model'], () => 'gpt'),
        invalid('commit.config.model', 'a JSON value'),
      ],
      [
        'class instance in an agent frame',
        mutate(good, ['agentFrames'], [{ frameId: 'f', at: new Point(1, 2) }]),
        invalid('commit.agentFrames[0].at', 'a JSON value'),
      ],
      [
        'Date in an agent frame',
        mutate(good, ['agentFrames'], [{ frameId: 'f', at: new Date(0) }]),
        invalid('commit.agentFrames[0].at', 'a JSON value'),
      ],
      [
        'frame without frameId',
        mutate(good, ['agentFrames'], [{ reason: 'x' }]),
        invalid('commit.agentFrames[0].frameId', 'a string'),
      ],
      [
        'Map as tool state',
        mutate(good, ['checkpoint', 'toolState'], new Map([['a', 1]])),
        invalid('commit.checkpoint.toolState', 'a JSON value'),
      ],
      [
        'Infinity in tool state',
        mutate(good, ['checkpoint', 'toolState'], { generation: Number.POSITIVE_INFINITY }),
        invalid('commit.checkpoint.toolState.generation', 'a JSON value'),
      ],
      [
        'NaN in tool state',
        mutate(good, ['checkpoint', 'toolState'], { generation: Number.NaN }),
        invalid('commit.checkpoint.toolState.generation', 'a JSON value'),
      ],
      [
        'bigint in the plugin snapshot',
        mutate(good, ['checkpoint', 'pluginSnapshot'], { n: 1n }),
        invalid('commit.checkpoint.pluginSnapshot.n', 'a JSON value'),
      ],
      [
        'symbol in turn state',
        mutate(good, ['checkpoint', 'turnState', 'protocolTurnOptions'], { s: Symbol('x') }),
        invalid('commit.checkpoint.turnState.protocolTurnOptions.s', 'a JSON value'),
      ],
      [
        'cycle in tool state',
        mutate(good, ['checkpoint', 'toolState'], cyclic),
        invalid('commit.checkpoint.toolState.self', 'a JSON value'),
      ],
      [
        'lone surrogate in a node payload',
        mutate(good, ['graph', 'nodes', 0, 'payload'], { kind: 'plugin', pluginType: 'p', body: { text: 'a\uDC00' } }),
        invalid('commit.graph.nodes[0].payload.body.text', 'a JSON value'),
      ],
      [
        'non-string stamp hash',
        mutate(good, ['turnCommit', 'turnCommitHash'], 42),
        invalid('commit.turnCommit.turnCommitHash', 'a string'),
      ],
      [
        'unknown delivery policy in the outbox',
        mutate(good, ['enqueuedQueueBatches', 0, 'deliveryPolicy'], 'soon'),
        invalid('commit.enqueuedQueueBatches[0].deliveryPolicy', "one of 'earliestSafeBoundary', 'afterCurrentTurnCommit'"),
      ],
      [
        'NaN availableAtMs in the outbox',
        mutate(good, ['enqueuedQueueBatches', 0, 'availableAtMs'], Number.NaN),
        invalid('commit.enqueuedQueueBatches[0].availableAtMs', 'a number'),
      ],
      [
        'numeric attachment id',
        mutate(good, ['committedAttachmentIds'], [1]),
        invalid('commit.committedAttachmentIds[0]', 'a string'),
      ],
    ];
    for (const [name, commit, want] of cases) {
      await expectTypedRejection(name, () => store.commitRuntimeState(commit as RuntimeCommit), want);
      expect(await unchanged(store), `${name} changed the store`).toEqual(before);
    }
    // The well-formed commit the cases were cut from is accepted.
    expect((await store.commitRuntimeState(good)).headRevision).toBe(2);
  });

  it('other operations reject bad arguments with InvalidArgument and change nothing', async () => {
    const { store, l } = await setup();
    const before = await unchanged(store);
    const fence = fenceOf(l);
    const cases: Array<[string, () => Promise<unknown>, Expected]> = [
      [
        'tryClaim NaN ttl',
        () => store.tryClaimSessionExecutionLease('root', owner('x'), Number.NaN),
        invalid('ttlMs', 'a number'),
      ],
      [
        'tryClaim string ttl',
        () => store.tryClaimSessionExecutionLease('root', owner('x'), '60000' as never),
        invalid('ttlMs', 'a number'),
      ],
      [
        'tryClaim numeric session',
        () => store.tryClaimSessionExecutionLease(5 as never, owner('x'), 1),
        invalid('sessionId', 'a string'),
      ],
      [
        'tryClaim half a local owner',
        () =>
          store.tryClaimSessionExecutionLease(
            'root',
            { ownerId: 'x', incarnationId: 'y', liveness: { kind: 'localProcess' } } as never,
            1,
          ),
        invalid('owner.liveness.hostId', 'a string'),
      ],
      [
        'tryClaim NaN pid',
        () =>
          store.tryClaimSessionExecutionLease(
            'root',
            {
              ownerId: 'x',
              incarnationId: 'y',
              liveness: { kind: 'localProcess', hostId: 'h', bootId: 'b', pid: Number.NaN, processStart: 's' },
            },
            1,
          ),
        invalid('owner.liveness.pid', 'a number'),
      ],
      ['renew NaN ttl', () => store.renewSessionExecutionLease(fence, Number.NaN), invalid('ttlMs', 'a number')],
      ['renew without fence', () => store.renewSessionExecutionLease(null as never, 1), invalid('fence', 'an object')],
      [
        'reclaim NaN observed fencing',
        () => store.reclaimSessionExecutionLease('root', owner('x'), { ...fence, fencingToken: Number.NaN }, 1),
        invalid('observedHolder.fencingToken', 'a number'),
      ],
      [
        'release without completion',
        () => store.releaseSessionExecutionLease(undefined as never),
        invalid('completion', 'an object'),
      ],
      [
        'release Uint8Array token',
        () => store.releaseSessionExecutionLease({ ...fence, leaseToken: bytes(l.leaseToken) as never }),
        invalid('completion.leaseToken', 'a string'),
      ],
      [
        'saveSessionMeta without name',
        () => store.saveSessionMeta({ sessionId: 'root' } as never),
        invalid('meta.sessionName', 'a string'),
      ],
      [
        'saveSessionMeta unknown relation',
        () =>
          store.saveSessionMeta({
            sessionId: 'root',
            sessionName: 'n',
            createdAt: 'c',
            model: 'm',
            cwd: null,
            relation: { kind: 'sibling' } as never,
          }),
        invalid('meta.relation.kind', "one of 'root', 'child'"),
      ],
      [
        'loadSession unknown scope',
        () => store.loadSession({ kind: 'lastTurn' } as never),
        invalid('scope.kind', "one of 'fullGraph', 'activePath'"),
      ],
      ['loadSession null scope', () => store.loadSession(null as never), invalid('scope', 'an object')],
      ['loadNode numeric id', () => store.loadNode(1 as never), invalid('nodeId', 'a string')],
      ['readEvents NaN afterSeq', () => store.readEvents({ afterSeq: Number.NaN }), invalid('afterSeq', 'a number')],
      ['readEvents string limit', () => store.readEvents({ limit: '5' as never }), invalid('limit', 'a number')],
      ['readEvents numeric stream', () => store.readEvents({ stream: 5 as never }), invalid('stream', 'a string')],
      ['compactEventLog NaN', () => store.compactEventLog({ throughSeq: Number.NaN }), invalid('throughSeq', 'a number')],
      ['compactEventLog without options', () => store.compactEventLog(null as never), invalid('options', 'an object')],
      [
        'compactEventLog numeric archive',
        () => store.compactEventLog({ throughSeq: 1, archivePath: 5 as never }),
        invalid('archivePath', 'a string'),
      ],
      ['tombstoneNodes string', () => store.tombstoneNodes('n1' as never), invalid('ids', 'an array')],
      ['tombstoneNodes numeric id', () => store.tombstoneNodes(['n1', 2] as never), invalid('ids[1]', 'a string')],
      [
        'enqueue NaN availableAtMs',
        () => store.enqueueQueuedWork({ ...wake('root', 'w', E, X), availableAtMs: Number.NaN }),
        invalid('draft.availableAtMs', 'a number'),
      ],
      [
        'enqueue function payload',
        () =>
          store.enqueueQueuedWork({
            ...wake('root', 'w', E, X),
            payloads: [{ kind: 'processWake', wake: { f: () => 1 } as never }],
          }),
        invalid('draft.payloads[0].wake.f', 'a JSON value'),
      ],
      ['putBlob string', () => store.putBlob('bytes' as never), invalid('bytes', 'a Uint8Array')],
      ['putBlob array of numbers', () => store.putBlob([1, 2, 3] as never), invalid('bytes', 'a Uint8Array')],
      [
        'putArtifactBlob unknown kind',
        () => store.putArtifactBlob({ kind: 'image', hints: [] } as never, bytes('x')),
        { code: 'InvalidArgument', argument: 'descriptor.kind' },
      ],
      [
        'putArtifactBlob unknown hint',
        () => store.putArtifactBlob({ kind: 'toolState', hints: ['fast'] } as never, bytes('x')),
        { code: 'InvalidArgument', argument: 'descriptor.hints[0]' },
      ],
      ['putTypedBlob function', () => store.putTypedBlob((() => 1) as never), invalid('value', 'a JSON value')],
      ['putTypedBlob Infinity', () => store.putTypedBlob({ n: Number.NEGATIVE_INFINITY }), invalid('value.n', 'a JSON value')],
      [
        'putTypedArtifactBlob class instance',
        () => store.putTypedArtifactBlob(BlobArtifactDescriptor.genericBlob(), new Point(1, 2) as never),
        invalid('value', 'a JSON value'),
      ],
      ['getBlob numeric ref', () => store.getBlob(5 as never), invalid('ref', 'a string')],
      [
        'putCheckpoint NaN revision',
        () => store.putCheckpoint({ ...base('root').checkpoint, pluginSnapshotRevision: Number.NaN }),
        invalid('hydrated.pluginSnapshotRevision', 'a number'),
      ],
    ];
    for (const [name, call, want] of cases) {
      await expectTypedRejection(name, call, want);
      expect(await unchanged(store), `${name} changed the store`).toEqual(before);
    }
  });

  it('events$ refuses bad options synchronously with InvalidArgument', async () => {
    const { store } = await backend.open();
    for (const options of [{ afterSeq: Number.NaN }, { pollIntervalMs: Number.NaN }, { afterSeq: 'x' as never }]) {
      let error: unknown;
      try {
        store.events$(options).subscribe();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).code).toBe('InvalidArgument');
      expect((error as StoreError & { expected: string }).expected).toBe('a number');
    }
  });
});

describe('bad store options', () => {
  it('bad store options reject with InvalidArgument', async () => {
    const cases: Array<[string, () => Promise<unknown>, Expected]> = [
      [
        'unknown blob profile',
        () => Store.memory({ blobProfile: 'fast' as never }),
        { code: 'InvalidArgument', argument: 'blobProfile' },
      ],
      [
        'NaN auto-GC cadence',
        () => Store.memory({ gcPolicy: { autoRunEveryCommits: Number.NaN } }),
        invalid('gcPolicy.autoRunEveryCommits', 'a number'),
      ],
      [
        'NaN inflation bound',
        () => Store.memory({ maxInflatedBlobBytes: Number.NaN }),
        invalid('maxInflatedBlobBytes', 'a number'),
      ],
      ['numeric path', () => Store.open(5 as never), invalid('path', 'a file path')],
      ['empty path', () => Store.open(''), invalid('path', 'a file path')],
    ];
    for (const [name, call, want] of cases) await expectTypedRejection(name, call, want);
  });
});

describe('a __proto__ member in an opaque payload', () => {
  it('is refused with InvalidArgument and stores nothing', async () => {
    const store = await Store.memory();
    try {
      const before = (await store.readEvents()).length;
      const model = JSON.parse('{"__proto__":{"x":1}}') as JsonValue;
      const commit = { ...base('root'), config: { providerId: 'p', model } };
      const error = await rejectsWith(store.commitRuntimeState(commit), 'InvalidArgument');
      expect(error.argument).toBe('commit.config.model.__proto__');
      expect((await store.readEvents()).length).toBe(before);
    } finally {
      await store.close();
    }
  });
});
