/**
 * Model-based test of the head commit (10-session-store §3.1.2, §6 I1, I2, I3, I15, I18).
 *
 * Model: the head revision, the bound session id, the head fields, the graph, the raw usage rows, the
 * set of blob rows and the live lease of each session. Commands commit with a valid fence for one of
 * three session ids, with a random `expectedHeadRevision` (null, right, wrong, and values the number
 * rule maps onto those), a random graph delta (some repeat a node id), a checkpoint from a catalogue,
 * random usage rows and sometimes an outbox draft for another session. After every step the store
 * must equal the model: `loadSession`, the events the step appended, the blob rows the commit would
 * write, and the lease rows (probed with a foreign claim, which must be `busy` and append nothing).
 * So a failed commit changes nothing observable.
 */
import fc from 'fast-check';
import { beforeAll, describe, it } from 'vitest';
import {
  completionOf,
  fenceOf,
  type HydratedSessionCheckpoint,
  type PersistedSessionRead,
  type RuntimeCommit,
  type SessionExecutionLease,
  Store,
  type TokenLedgerEntry,
} from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { base, E, node, owner, wake, X, zeros } from '../support/fixtures.js';
import {
  CheckpointCatalog,
  EventCursor,
  expectBlobRows,
  expectRejected,
  expectResolved,
  expectVerified,
  mergeLedgerModel,
  NUM_RUNS,
  outcome,
  PROPERTY_TIMEOUT_MS,
  same,
} from '../support/property.js';

const SIDS = ['s1', 's2', 's3'] as const;
const NODE_IDS = ['n1', 'n2', 'n3', 'n4', 'n5'] as const;
const FAKE_REF = 'c'.repeat(64);
const MAX = Number.MAX_SAFE_INTEGER;

// ---------------------------------------------------------------- checkpoint catalogue

/** Checkpoint k: turn index × tool state × execution state × supplied refs (72 variants). */
function checkpointOf(k: number): HydratedSessionCheckpoint {
  const turnIndex = k % 3;
  const tool = Math.floor(k / 3) % 4;
  const exec = Math.floor(k / 12) % 3;
  const supplied = Math.floor(k / 36) % 2 === 1;
  return {
    turnState: { turnIndex, tokenUsage: { ...zeros }, lastPromptUsage: null, protocolTurnOptions: {} },
    toolStateRef: supplied ? FAKE_REF : null,
    toolState: tool === 0 ? null : { generation: tool },
    pluginSnapshotRef: supplied ? FAKE_REF : null,
    pluginSnapshot: null,
    pluginSnapshotRevision: supplied ? 7 : null,
    executionStateRef: supplied ? FAKE_REF : null,
    executionState: exec === 0 ? null : Uint8Array.from([exec, exec + 1]),
  };
}
const CHECKPOINTS = 72;

let catalog: CheckpointCatalog;
beforeAll(async () => {
  catalog = await CheckpointCatalog.build(Array.from({ length: CHECKPOINTS }, (_, k) => checkpointOf(k)));
});

// ---------------------------------------------------------------- commands

type Expectation =
  | { kind: 'null' }
  | { kind: 'right' }
  | { kind: 'off'; delta: number }
  | { kind: 'fraction' } // right + 0.5: floored to right (R10)
  | { kind: 'negative' } // -1: behaves as 0
  | { kind: 'huge'; value: number }; // >= MAX_SAFE_INTEGER: never a revision

type NodeSpec = [id: string, parent: string | null];
type GraphSpec =
  | { kind: 'unchanged'; leaf: string | null }
  | { kind: 'append'; nodes: NodeSpec[]; leaf: string | null }
  | { kind: 'replaceFull'; nodes: NodeSpec[]; leaf: string | null };

interface CommitSpec {
  sid: number;
  expect: Expectation;
  graph: GraphSpec;
  cp: number;
  usage: TokenLedgerEntry[];
  provider: string;
  frames: boolean;
  release: boolean;
  outboxForOther: boolean;
}

interface Model {
  revision: number;
  bound: string | null;
  head: { spec: CommitSpec; sessionId: string } | null;
  nodes: NodeSpec[];
  leaf: string | null;
  usage: TokenLedgerEntry[];
  blobs: Set<string>;
  leases: Map<string, SessionExecutionLease>;
  fencing: Map<string, number>;
  /** Every blob ref a commit of this run wrote or would have written. */
  touched: Set<string>;
}

interface Real {
  store: Store;
  events: EventCursor;
  verifyEachStep: boolean;
}

function expectedValue(e: Expectation, actual: number): number | null {
  switch (e.kind) {
    case 'null':
      return null;
    case 'right':
      return actual;
    case 'off':
      return actual + e.delta;
    case 'fraction':
      return actual + 0.5;
    case 'negative':
      return -1;
    case 'huge':
      return e.value;
  }
}

/** The number rule (R10) applied to an expectation: floored, negative → 0, huge → MAX_SAFE_INTEGER. */
function normalized(value: number | null): number | null {
  if (value === null) return null;
  if (value >= MAX) return MAX;
  return value <= 0 ? 0 : Math.floor(value);
}

function frames(spec: CommitSpec): RuntimeCommit['agentFrames'] {
  return spec.frames ? [{ frameId: 'frame-1', reason: 'initial', snapshot: Uint8Array.from([1, 2, 3]) }] : [];
}

function config(spec: CommitSpec): RuntimeCommit['config'] {
  return { providerId: spec.provider, model: spec.provider === '' ? {} : { id: `${spec.provider}-model` } };
}

function nodesOf(list: NodeSpec[]) {
  return list.map(([id, parent]) => node(id, parent));
}

function buildCommit(spec: CommitSpec, S: string, lease: SessionExecutionLease, actual: number): RuntimeCommit {
  const g = spec.graph;
  const graph: RuntimeCommit['graph'] =
    g.kind === 'unchanged'
      ? { kind: 'unchanged', leafNodeId: g.leaf }
      : g.kind === 'append'
        ? { kind: 'append', nodes: nodesOf(g.nodes), leafNodeId: g.leaf }
        : { kind: 'replaceFull', graph: { nodes: nodesOf(g.nodes), leafNodeId: g.leaf } };
  return {
    ...base(S),
    expectedHeadRevision: expectedValue(spec.expect, actual),
    sessionExecutionLease: fenceOf(lease),
    releaseSessionExecutionLease: spec.release ? completionOf(lease) : null,
    config: config(spec),
    agentFrames: frames(spec),
    currentAgentFrameId: spec.frames ? 'frame-1' : '',
    graph,
    checkpoint: catalog.entries[spec.cp]!.checkpoint,
    usageDeltas: spec.usage,
    enqueuedQueueBatches: spec.outboxForOther ? [wake(otherThan(S), 'outbox', E, X)] : [],
  };
}

function otherThan(S: string): string {
  return S === 's1' ? 's2' : 's1';
}

/** The first node id the delta repeats (within itself, or against the store for `append`). */
function duplicateOf(m: Model, g: GraphSpec): string | null {
  if (g.kind === 'unchanged') return null;
  const seen = new Set<string>(g.kind === 'append' ? m.nodes.map(([id]) => id) : []);
  for (const [id] of g.nodes) {
    if (seen.has(id)) return id;
    seen.add(id);
  }
  return null;
}

function expectedRead(m: Model): PersistedSessionRead | null {
  if (!m.head) return null;
  const spec = m.head.spec;
  const entry = catalog.entries[spec.cp]!;
  return {
    sessionId: m.head.sessionId,
    headRevision: m.revision,
    config: config(spec),
    agentFrames: frames(spec),
    currentAgentFrameId: spec.frames ? 'frame-1' : '',
    graph: { nodes: nodesOf(m.nodes), leafNodeId: m.leaf },
    checkpointRef: entry.checkpointRef,
    checkpoint: entry.hydrated,
    tokenLedger: mergeLedgerModel(m.usage),
  };
}

/** The store equals the model: head and graph, ledger, the given blob rows, lease rows. */
async function checkState(m: Model, r: Real, refs: string[]): Promise<void> {
  same(await r.store.loadSession({ kind: 'fullGraph' }), expectedRead(m), 'loadSession');
  await expectBlobRows(r.store, refs, m.blobs);
  for (const [S, lease] of m.leases) {
    // A foreign claim on a live lease is `busy` with the row as holder and appends nothing.
    const probe = await r.store.tryClaimSessionExecutionLease(S, owner('probe'), 1);
    same(probe, { kind: 'busy', holder: lease }, `lease row of ${S}`);
  }
  // The probes' events (there must be none) show up in the next step's check or the final one.
  if (r.verifyEachStep) await expectVerified(r.store);
}

class CommitCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly spec: CommitSpec) {}

  check(): boolean {
    return true;
  }

  async run(m: Model, r: Real): Promise<void> {
    const spec = this.spec;
    const S = SIDS[spec.sid]!;
    let lease = m.leases.get(S);
    if (!lease) {
      const claim = await r.store.tryClaimSessionExecutionLease(S, owner(`writer-${S}`), 60_000);
      if (claim.kind !== 'acquired') throw new Error(`lease for ${S} not acquired: ${JSON.stringify(claim)}`);
      lease = claim.lease;
      same(lease.fencingToken, (m.fencing.get(S) ?? 0) + 1, 'fencing token of a fresh lease');
      m.fencing.set(S, lease.fencingToken);
      m.leases.set(S, lease);
      await r.events.expectTypes(['SessionExecutionLeaseAcquired']);
    }
    const entry = catalog.entries[spec.cp]!;
    const commit = buildCommit(spec, S, lease, m.revision);
    const expected = normalized(commit.expectedHeadRevision);
    const result = await outcome(r.store.commitRuntimeState(commit));

    const duplicate = duplicateOf(m, spec.graph);
    const types: string[] = []; // a failed commit appends no event
    if (m.bound !== null && m.bound !== S) {
      // I2: once bound, another session id is refused.
      expectRejected(result, 'SessionBindingMismatch', { boundSessionId: m.bound, attemptedSessionId: S });
    } else if (expected !== null && expected !== m.revision) {
      // I3: the CAS holds only at the current revision.
      const error = expectRejected(result, 'HeadRevisionConflict', { expected, actual: m.revision });
      same(error.message, `store head revision conflict: expected ${expected}, actual ${m.revision}`, 'message');
    } else if (duplicate !== null) {
      expectRejected(result, 'Backend', { detail: `graph node '${duplicate}' already exists` });
    } else if (spec.outboxForOther) {
      expectRejected(result, 'SessionBindingMismatch', { boundSessionId: S, attemptedSessionId: otherThan(S) });
    } else {
      // I1: a successful non-replay commit advances the revision by exactly one.
      const value = expectResolved(result);
      same(
        value,
        { headRevision: m.revision + 1, checkpointRef: entry.checkpointRef, manifest: entry.manifest, enqueuedQueueBatches: [] },
        'commit result',
      );
      m.revision++;
      m.bound = S;
      m.head = { spec, sessionId: S };
      const g = spec.graph;
      if (g.kind === 'replaceFull') m.nodes = [...g.nodes];
      if (g.kind === 'append') m.nodes = [...m.nodes, ...g.nodes];
      m.leaf = g.leaf;
      m.usage.push(...spec.usage);
      for (const ref of entry.writes) m.blobs.add(ref);
      types.push('RuntimeStateCommitted');
      if (spec.release) {
        m.leases.delete(S);
        types.push('SessionExecutionLeaseReleased');
      }
    }
    await r.events.expectTypes(types);
    // A failed commit changed nothing: the model did not move, and the store must still equal it.
    const refs = [...entry.writes, ...entry.named];
    for (const ref of refs) m.touched.add(ref);
    await checkState(m, r, refs);
  }

  toString(): string {
    return `commit(${JSON.stringify(this.spec)})`;
  }
}

// ---------------------------------------------------------------- arbitraries

const nodeId = fc.constantFrom(...NODE_IDS);
const leaf = fc.option(nodeId, { nil: null });
const nodeSpecs = fc.array(fc.tuple(nodeId, fc.option(nodeId, { nil: null })), { maxLength: 3 });

const graphArb: fc.Arbitrary<GraphSpec> = fc.oneof(
  fc.record({ kind: fc.constant('unchanged' as const), leaf }),
  fc.record({ kind: fc.constant('append' as const), nodes: nodeSpecs, leaf }),
  fc.record({ kind: fc.constant('replaceFull' as const), nodes: nodeSpecs, leaf }),
);

const tokens = fc.integer({ min: -2, max: 4 });
const usageArb: fc.Arbitrary<TokenLedgerEntry> = fc.record({
  source: fc.constantFrom('turn', 'tool'),
  model: fc.constantFrom('m1', 'm2'),
  usage: fc.record({
    inputTokens: fc.oneof(fc.constant(0), tokens),
    outputTokens: fc.oneof(fc.constant(0), tokens),
    cacheReadInputTokens: fc.constant(0),
    cacheWriteInputTokens: fc.oneof(fc.constant(0), tokens),
    reasoningOutputTokens: fc.oneof(fc.constant(0), tokens),
  }),
});

const expectationArb: fc.Arbitrary<Expectation> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'null' as const }) },
  { weight: 5, arbitrary: fc.constant({ kind: 'right' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('off' as const), delta: fc.constantFrom(-2, -1, 1, 2) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'fraction' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'negative' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('huge' as const),
      value: fc.constantFrom(MAX, MAX + 1, 2 ** 60, Number.POSITIVE_INFINITY),
    }),
  },
);

/** True about once in `n` draws. */
function oneIn(n: number): fc.Arbitrary<boolean> {
  return fc.integer({ min: 1, max: n }).map((k) => k === 1);
}

const commitArb = fc
  .record({
    sid: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 }) }),
    expect: expectationArb,
    graph: graphArb,
    cp: fc.integer({ min: 0, max: CHECKPOINTS - 1 }),
    usage: fc.array(usageArb, { maxLength: 2 }),
    provider: fc.constantFrom('', 'p1'),
    frames: fc.boolean(),
    release: fc.boolean(),
    outboxForOther: oneIn(10),
  })
  .map((spec) => new CommitCommand(spec));

// ---------------------------------------------------------------- the property

describe('head commit model (I1 revision, I2 binding, I3 CAS, I15 ledger, I18 replay)', () => {
  it(
    'random commits keep the store equal to the model; failed commits change nothing',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          oneIn(50),
          fc.commands([commitArb], { maxCommands: 10, size: 'medium' }),
          async (verifyEachStep, cmds) => {
            const store = await Store.memory({ clock: new ManualClock(1_000) });
            try {
              const model: Model = {
                revision: 0,
                bound: null,
                head: null,
                nodes: [],
                leaf: null,
                usage: [],
                blobs: new Set(),
                leases: new Map(),
                fencing: new Map(),
                touched: new Set(),
              };
              const real: Real = { store, events: new EventCursor(store), verifyEachStep };
              await fc.asyncModelRun(() => ({ model, real }), cmds);
              await real.events.expectTypes([]);
              await expectBlobRows(store, model.touched, model.blobs);
              await expectVerified(store);
            } finally {
              await store.close();
            }
          },
        ),
        { numRuns: NUM_RUNS },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
