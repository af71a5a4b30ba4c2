/**
 * Turn-commit idempotency (10-session-store §3.1.2 step 3, §3.1.9, §6 I4, I18).
 *
 * 1. Model-based: stamped turns (three turn ids × three contents) committed, retried with the same
 *    hash (other CAS revision, fence, release, node ids, message/part ids, timestamps) or with a
 *    different hash, interleaved with lease claims, releases and clock advances, so retries meet held,
 *    released and expired leases. A same-hash retry returns the first result deep-equal and changes
 *    nothing but a matching fenced release (at most one `SessionExecutionLeaseReleased` event); a
 *    different hash is `RuntimeTurnCommitConflict` whatever the lease state.
 * 2. The hash ignores the CAS revision, lease, release, stamp, node ids, message/part ids and
 *    timestamps, treats absent, `undefined` and `null` members alike and does not depend on key order;
 *    it changes with every other part of the commit.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { Prng } from '../../src/crash/prng.js';
import {
  completionOf,
  fenceOf,
  type HydratedSessionCheckpoint,
  type LeaseOwnerIdentity,
  type PersistedSessionRead,
  type QueuedWorkBatch,
  type RuntimeCommit,
  type RuntimeCommitResult,
  type SessionExecutionLease,
  type SessionNodeRecord,
  Store,
  type TokenLedgerEntry,
  turnCommitHash,
} from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { base, E, owner, wake, X, zeros } from '../support/fixtures.js';
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

const S = 'root';
const TURNS = ['t0', 't1', 't2'] as const;
const VARIANTS = 3;
const START = 10_000;

/** True about once in `n` draws. */
function oneIn(n: number): fc.Arbitrary<boolean> {
  return fc.integer({ min: 1, max: n }).map((k) => k === 1);
}

// ---------------------------------------------------------------- turn contents

function checkpointOf(turn: number, variant: number): HydratedSessionCheckpoint {
  return {
    turnState: { turnIndex: turn, tokenUsage: { ...zeros }, lastPromptUsage: null, protocolTurnOptions: {} },
    toolStateRef: null,
    toolState: { turn, variant },
    pluginSnapshotRef: null,
    pluginSnapshot: null,
    pluginSnapshotRevision: null,
    executionStateRef: null,
    executionState: variant === 1 ? Uint8Array.from([turn, variant]) : null,
  };
}

let catalog: CheckpointCatalog;
beforeAll(async () => {
  const list: HydratedSessionCheckpoint[] = [];
  for (let t = 0; t < TURNS.length; t++) for (let v = 0; v < VARIANTS; v++) list.push(checkpointOf(t, v));
  catalog = await CheckpointCatalog.build(list);
});

function entryOf(turn: number, variant: number) {
  return catalog.entries[turn * VARIANTS + variant]!;
}

/** Values the turn-commit hash ignores; a retry draws new ones. */
interface Noise {
  tag: number;
  timestamp: string;
  messageId: string;
  partId: string;
}

function messageNode(
  nodeId: string,
  parent: string | null,
  noise: Noise,
  text: string,
  role: 'user' | 'assistant',
): SessionNodeRecord {
  return {
    nodeId,
    parentNodeId: parent,
    causedBy: null,
    agentFrameId: null,
    timestamp: noise.timestamp,
    payload: {
      kind: 'event',
      event: {
        kind: 'conversation',
        message: {
          id: `${noise.messageId}-${role}`,
          role,
          parts: [{ id: noise.partId, kind: 'text', content: text, pruneState: 'intact' }],
          origin: null,
        },
      },
    },
  };
}

function graphOf(turn: number, variant: number, noise: Noise): { nodes: SessionNodeRecord[]; leafNodeId: string } {
  const ask = `${TURNS[turn]}-ask-${noise.tag}`;
  const answer = `${TURNS[turn]}-answer-${noise.tag}`;
  return {
    nodes: [
      messageNode(ask, null, noise, `question ${turn}`, 'user'),
      messageNode(answer, ask, noise, `answer ${turn}.${variant}`, 'assistant'),
    ],
    leafNodeId: answer,
  };
}

function usageOf(turn: number, variant: number): TokenLedgerEntry[] {
  return [{ source: TURNS[turn]!, model: 'm', usage: { ...zeros, inputTokens: variant + 1, outputTokens: turn } }];
}

/** The body of turn `turn` with content `variant`; the hash depends on exactly this. */
function turnBody(turn: number, variant: number, noise: Noise): RuntimeCommit {
  return {
    ...base(S),
    config: { providerId: `provider-${variant}`, model: { id: 'model' } },
    graph: { kind: 'replaceFull', graph: graphOf(turn, variant, noise) },
    checkpoint: entryOf(turn, variant).checkpoint,
    usageDeltas: usageOf(turn, variant),
    enqueuedQueueBatches: variant === 2 ? [wake(S, `${TURNS[turn]}-follow-up`, E, X)] : [],
  };
}

// ---------------------------------------------------------------- model

interface LeaseRowModel {
  owner: LeaseOwnerIdentity | null;
  leaseToken: string | null;
  fencingToken: number;
  claimedAtMs: number;
  expiresAtMs: number;
}

interface Recorded {
  hash: string;
  variant: number;
  result: RuntimeCommitResult;
}

interface Model {
  now: number;
  revision: number;
  head: { turn: number; variant: number; noise: Noise } | null;
  usage: TokenLedgerEntry[];
  recorded: Map<string, Recorded>;
  row: LeaseRowModel | null;
  /** The lease of the latest claim (possibly released or expired since). */
  current: SessionExecutionLease | null;
  /** Earlier acquisitions, oldest first. */
  stale: SessionExecutionLease[];
  blobs: Set<string>;
  touched: Set<string>;
  queued: QueuedWorkBatch[];
}

interface Real {
  store: Store;
  clock: ManualClock;
  events: EventCursor;
  verifyEachStep: boolean;
}

const MAX = Number.MAX_SAFE_INTEGER;

function isLive(
  row: LeaseRowModel | null,
  now: number,
): row is LeaseRowModel & { owner: LeaseOwnerIdentity; leaseToken: string } {
  return row !== null && row.leaseToken !== null && row.owner !== null && row.expiresAtMs > now;
}

function rowLease(row: LeaseRowModel & { owner: LeaseOwnerIdentity; leaseToken: string }): SessionExecutionLease {
  return {
    sessionId: S,
    owner: row.owner,
    leaseToken: row.leaseToken,
    fencingToken: row.fencingToken,
    claimedAtEpochMs: row.claimedAtMs,
    expiresAtEpochMs: row.expiresAtMs,
  };
}

type LeasePick = 'current' | 'stale' | 'none';

function pick(m: Model, which: LeasePick): SessionExecutionLease | null {
  if (which === 'none' || m.current === null) return null;
  if (which === 'current') return m.current;
  return m.stale.at(-1) ?? { ...m.current, leaseToken: `${m.current.leaseToken}:stale` };
}

/** R3 against the model row. */
function fenceValid(m: Model, lease: SessionExecutionLease | null): boolean {
  const row = m.row;
  return (
    lease !== null &&
    isLive(row, m.now) &&
    row.owner.ownerId === lease.owner.ownerId &&
    row.owner.incarnationId === lease.owner.incarnationId &&
    row.leaseToken === lease.leaseToken &&
    row.fencingToken === lease.fencingToken
  );
}

/** §4.5: a completion releases the row iff it names it (expiry ignored). */
function releases(m: Model, lease: SessionExecutionLease | null): boolean {
  const row = m.row;
  return (
    lease !== null &&
    row !== null &&
    row.leaseToken !== null &&
    row.owner !== null &&
    row.owner.ownerId === lease.owner.ownerId &&
    row.owner.incarnationId === lease.owner.incarnationId &&
    row.leaseToken === lease.leaseToken &&
    row.fencingToken === lease.fencingToken
  );
}

function applyRelease(m: Model): void {
  if (m.row) m.row = { ...m.row, owner: null, leaseToken: null, claimedAtMs: 0, expiresAtMs: 0 };
}

function expectedRead(m: Model): PersistedSessionRead | null {
  if (!m.head) return null;
  const { turn, variant, noise } = m.head;
  const body = turnBody(turn, variant, noise);
  const entry = entryOf(turn, variant);
  return {
    sessionId: S,
    headRevision: m.revision,
    config: body.config,
    agentFrames: [],
    currentAgentFrameId: '',
    graph: graphOf(turn, variant, noise),
    checkpointRef: entry.checkpointRef,
    checkpoint: entry.hydrated,
    tokenLedger: mergeLedgerModel(m.usage),
  };
}

async function checkState(m: Model, r: Real, refs: readonly string[]): Promise<void> {
  same(await r.store.loadSession({ kind: 'fullGraph' }), expectedRead(m), 'loadSession');
  same(await r.store.listQueuedWork(S), m.queued, 'listQueuedWork');
  await expectBlobRows(r.store, refs, m.blobs);
  if (isLive(m.row, m.now)) {
    const probe = await r.store.tryClaimSessionExecutionLease(S, owner('probe'), 1);
    same(probe, { kind: 'busy', holder: rowLease(m.row) }, 'lease row');
  }
  if (r.verifyEachStep) await expectVerified(r.store);
}

// ---------------------------------------------------------------- commands

class CommitTurn implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly turn: number,
    readonly variant: number,
    readonly noise: Noise,
    readonly fence: LeasePick,
    readonly release: LeasePick,
    readonly expectation: 'null' | 'right' | 'wrong',
    readonly foreignStamp: boolean,
  ) {}

  check(): boolean {
    return true;
  }

  async run(m: Model, r: Real): Promise<void> {
    const turnId = TURNS[this.turn]!;
    const entry = entryOf(this.turn, this.variant);
    const fence = pick(m, this.fence);
    const completion = pick(m, this.release);
    const body = turnBody(this.turn, this.variant, this.noise);
    const commit: RuntimeCommit = {
      ...body,
      expectedHeadRevision: this.expectation === 'null' ? null : m.revision + (this.expectation === 'wrong' ? 1 : 0),
      sessionExecutionLease: fence ? fenceOf(fence) : null,
      releaseSessionExecutionLease: completion ? completionOf(completion) : null,
    };
    const hash = turnCommitHash(commit);
    commit.turnCommit = { sessionId: this.foreignStamp ? 'other' : S, turnId, turnCommitHash: hash };
    const result = await outcome(r.store.commitRuntimeState(commit));
    const recorded = m.recorded.get(turnId);
    const types: string[] = [];

    if (this.foreignStamp) {
      expectRejected(result, 'RuntimeTurnCommitConflict', { sessionId: 'other', turnId });
    } else if (recorded) {
      // The hash sees the content only: same content ⇔ same hash, whatever the noise, fence or CAS.
      same(recorded.hash === hash, recorded.variant === this.variant, 'hash equality ⇔ content equality');
      if (recorded.hash === hash) {
        // I4: the stored first result, verbatim; nothing changes but a matching fenced release.
        same(expectResolved(result), recorded.result, 'replayed result');
        if (releases(m, completion)) {
          applyRelease(m);
          types.push('SessionExecutionLeaseReleased');
        }
      } else {
        // I4: a different hash is a conflict with or without a lease.
        const error = expectRejected(result, 'RuntimeTurnCommitConflict', { sessionId: S, turnId });
        same(
          error.message,
          `runtime turn \`${turnId}\` for session \`${S}\` was already committed with a different commit hash`,
          'message',
        );
      }
    } else if (!fenceValid(m, fence)) {
      expectRejected(result, 'SessionExecutionLeaseExpired', { sessionId: S });
    } else if (this.expectation === 'wrong') {
      expectRejected(result, 'HeadRevisionConflict', { expected: m.revision + 1, actual: m.revision });
    } else {
      const value = expectResolved(result);
      const batches = value.enqueuedQueueBatches;
      same(
        { ...value, enqueuedQueueBatches: batches.length },
        {
          headRevision: m.revision + 1,
          checkpointRef: entry.checkpointRef,
          manifest: entry.manifest,
          enqueuedQueueBatches: body.enqueuedQueueBatches.length,
        },
        'commit result',
      );
      batches.forEach((batch, i) => {
        const draft = body.enqueuedQueueBatches[i]!;
        same(
          {
            sessionId: batch.sessionId,
            sourceKey: batch.sourceKey,
            deliveryPolicy: batch.deliveryPolicy,
            slotPolicy: batch.slotPolicy,
            mergeKey: batch.mergeKey,
            availableAtMs: batch.availableAtMs,
            enqueuedAtMs: batch.enqueuedAtMs,
            payloads: batch.items.map((item) => item.payload),
          },
          { ...draft, enqueuedAtMs: m.now },
          'outbox batch',
        );
        const previous = m.queued.at(-1)?.enqueueSeq ?? 0;
        expect(batch.enqueueSeq).toBeGreaterThan(previous);
      });
      m.revision++;
      m.head = { turn: this.turn, variant: this.variant, noise: this.noise };
      m.usage.push(...usageOf(this.turn, this.variant));
      m.recorded.set(turnId, { hash, variant: this.variant, result: value });
      for (const ref of entry.writes) m.blobs.add(ref);
      m.queued.push(...batches);
      types.push('RuntimeStateCommitted', ...batches.map(() => 'QueuedWorkEnqueued'), 'RuntimeTurnCommitRecorded');
      if (releases(m, completion)) {
        applyRelease(m);
        types.push('SessionExecutionLeaseReleased');
      }
    }
    await r.events.expectTypes(types);
    for (const ref of entry.writes) m.touched.add(ref);
    await checkState(m, r, entry.writes);
  }

  toString(): string {
    const { turn, variant, noise, fence, release, expectation, foreignStamp } = this;
    return `commitTurn(${JSON.stringify({ turn: TURNS[turn], variant, noise, fence, release, expectation, foreignStamp })})`;
  }
}

class Claim implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly who: string,
    readonly ttlMs: number,
  ) {}

  check(): boolean {
    return true;
  }

  async run(m: Model, r: Real): Promise<void> {
    const o = owner(this.who);
    const claimed = await r.store.tryClaimSessionExecutionLease(S, o, this.ttlMs);
    const expiresAtMs = Math.min(m.now + this.ttlMs, MAX);
    const row = m.row;
    if (isLive(row, m.now) && row.owner.ownerId === o.ownerId && row.owner.incarnationId === o.incarnationId) {
      const lease = { ...rowLease({ ...row, expiresAtMs }), owner: o };
      same(claimed, { kind: 'acquired', lease }, 're-entry');
      m.row = { ...row, expiresAtMs };
      m.current = lease;
      await r.events.expectTypes(['SessionExecutionLeaseExtended']);
    } else if (isLive(row, m.now)) {
      same(claimed, { kind: 'busy', holder: rowLease(row) }, 'busy');
      await r.events.expectTypes([]);
    } else {
      if (claimed.kind !== 'acquired') throw new Error(`expected a fresh acquisition, got ${JSON.stringify(claimed)}`);
      const lease = claimed.lease;
      same(
        { ...lease, leaseToken: typeof lease.leaseToken },
        {
          sessionId: S,
          owner: o,
          leaseToken: 'string',
          fencingToken: (row?.fencingToken ?? 0) + 1,
          claimedAtEpochMs: m.now,
          expiresAtEpochMs: expiresAtMs,
        },
        'fresh lease',
      );
      m.row = { owner: o, leaseToken: lease.leaseToken, fencingToken: lease.fencingToken, claimedAtMs: m.now, expiresAtMs };
      if (m.current) m.stale.push(m.current);
      m.current = lease;
      await r.events.expectTypes(['SessionExecutionLeaseAcquired']);
    }
    await checkState(m, r, []);
  }

  toString(): string {
    return `claim(${this.who}, ${this.ttlMs})`;
  }
}

class Release implements fc.AsyncCommand<Model, Real> {
  constructor(readonly which: 'current' | 'stale') {}

  check(m: Readonly<Model>): boolean {
    return m.current !== null;
  }

  async run(m: Model, r: Real): Promise<void> {
    const lease = pick(m, this.which)!;
    await r.store.releaseSessionExecutionLease(completionOf(lease));
    if (releases(m, lease)) {
      applyRelease(m);
      await r.events.expectTypes(['SessionExecutionLeaseReleased']);
    } else {
      await r.events.expectTypes([]);
    }
    await checkState(m, r, []);
  }

  toString(): string {
    return `release(${this.which})`;
  }
}

class Advance implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ms: number) {}

  check(): boolean {
    return true;
  }

  async run(m: Model, r: Real): Promise<void> {
    r.clock.advance(this.ms);
    m.now += this.ms;
    await checkState(m, r, []);
  }

  toString(): string {
    return `advance(${this.ms})`;
  }
}

// ---------------------------------------------------------------- arbitraries

const noiseArb: fc.Arbitrary<Noise> = fc.record({
  tag: fc.nat({ max: 99 }),
  timestamp: fc.constantFrom('1970-01-01T00:00:00Z', '2026-06-02T10:00:00Z', 'later'),
  messageId: fc.constantFrom('msg-a', 'msg-b'),
  partId: fc.constantFrom('part-a', 'part-b'),
});
/** Mostly the current lease, so that turns do commit; sometimes a stale one or none. */
const fencePick = fc.constantFrom<LeasePick>('current', 'current', 'current', 'current', 'stale', 'none');
const releasePick = fc.constantFrom<LeasePick>('none', 'none', 'current', 'stale');

const commitTurnArb = fc
  .record({
    turn: fc.integer({ min: 0, max: TURNS.length - 1 }),
    variant: fc.constantFrom(0, 0, 1, 2, 2),
    noise: noiseArb,
    fence: fencePick,
    release: releasePick,
    expectation: fc.constantFrom('null' as const, 'null' as const, 'right' as const, 'right' as const, 'wrong' as const),
    foreignStamp: oneIn(20),
  })
  .map((c) => new CommitTurn(c.turn, c.variant, c.noise, c.fence, c.release, c.expectation, c.foreignStamp));

const turnCommand: fc.Arbitrary<fc.AsyncCommand<Model, Real>> = fc.oneof(
  { weight: 6, arbitrary: commitTurnArb },
  {
    weight: 2,
    arbitrary: fc
      .record({ who: fc.constantFrom('writer-a', 'writer-b'), ttl: fc.constantFrom(0, 50, 60_000, 60_000) })
      .map((c) => new Claim(c.who, c.ttl)),
  },
  { weight: 1, arbitrary: fc.constantFrom('current' as const, 'stale' as const).map((w) => new Release(w)) },
  { weight: 1, arbitrary: fc.constantFrom(1, 25, 50, 60_000).map((ms) => new Advance(ms)) },
);

// ---------------------------------------------------------------- hash arbitraries

const str = fc.string({ maxLength: 5 });
const json = fc.jsonValue({ maxDepth: 2 });
const nullable = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
const usageArb = fc.record({
  inputTokens: fc.integer({ min: -5, max: 50 }),
  outputTokens: fc.nat({ max: 50 }),
  cacheReadInputTokens: fc.nat({ max: 5 }),
  cacheWriteInputTokens: fc.nat({ max: 5 }),
  reasoningOutputTokens: fc.nat({ max: 5 }),
});
const ownerArb = fc.record({
  ownerId: str,
  incarnationId: str,
  liveness: fc.constant({ kind: 'opaque' as const }),
});
const fenceArb = nullable(fc.record({ sessionId: str, owner: ownerArb, leaseToken: str, fencingToken: fc.nat() }));
const partArb = fc.record({
  id: str,
  kind: fc.constantFrom('text', 'code', 'toolCall', 'attachment'),
  content: str,
  pruneState: fc.constantFrom<unknown>('intact', 'pruned', { kind: 'summarized', by: 'x' }),
  note: nullable(str),
});
const messageArb = fc.record({
  id: str,
  role: fc.constantFrom('user', 'assistant', 'system'),
  parts: fc.array(partArb, { maxLength: 2 }),
  origin: nullable(json),
});
const payloadArb = fc.oneof(
  messageArb.map((message) => ({ kind: 'event', event: { kind: 'conversation', message } })),
  fc.record({ pluginId: str, payload: json }).map((event) => ({ kind: 'event', event: { kind: 'protocol', event } })),
  fc.record({ pluginType: str, body: json }).map((p) => ({ kind: 'plugin', ...p })),
);
const nodeArb = fc.record({
  nodeId: str,
  parentNodeId: nullable(str),
  causedBy: nullable(json),
  agentFrameId: nullable(str),
  timestamp: str,
  payload: payloadArb,
});
const graphArb = fc.oneof(
  fc.record({ kind: fc.constant('unchanged'), leafNodeId: nullable(str) }),
  fc.record({ kind: fc.constant('append'), nodes: fc.array(nodeArb, { maxLength: 3 }), leafNodeId: nullable(str) }),
  fc.record({
    kind: fc.constant('replaceFull'),
    graph: fc.record({ nodes: fc.array(nodeArb, { maxLength: 3 }), leafNodeId: nullable(str) }),
  }),
);
const refArb = nullable(fc.constantFrom('a'.repeat(64), 'b'.repeat(64)));
const draftArb = fc.record({
  sessionId: str,
  sourceKey: nullable(str),
  deliveryPolicy: fc.constantFrom('earliestSafeBoundary', 'afterCurrentTurnCommit'),
  slotPolicy: fc.constantFrom('join', 'exclusive'),
  mergeKey: fc.constantFrom({ kind: 'never' }, { kind: 'payloadDefault' }, { kind: 'group', group: 'g' }),
  availableAtMs: fc.nat(),
  payloads: fc.array(fc.record({ kind: fc.constant('processWake'), wake: json }), { minLength: 1, maxLength: 2 }),
});
const commitArb = fc.record({
  sessionId: str,
  expectedHeadRevision: nullable(fc.nat()),
  sessionExecutionLease: fenceArb,
  releaseSessionExecutionLease: fenceArb,
  config: fc.record({ providerId: str, model: json }),
  agentFrames: fc.array(fc.record({ frameId: str, reason: str, state: nullable(json) }), { maxLength: 2 }),
  currentAgentFrameId: str,
  graph: graphArb,
  checkpoint: fc.record({
    turnState: fc.record({
      turnIndex: fc.nat({ max: 9 }),
      tokenUsage: usageArb,
      lastPromptUsage: nullable(usageArb),
      protocolTurnOptions: json,
    }),
    toolStateRef: refArb,
    toolState: nullable(json),
    pluginSnapshotRef: refArb,
    pluginSnapshot: nullable(json),
    pluginSnapshotRevision: nullable(fc.integer({ min: -3, max: 30 })),
    executionStateRef: refArb,
    executionState: nullable(fc.uint8Array({ maxLength: 4 })),
  }),
  usageDeltas: fc.array(fc.record({ source: str, model: str, usage: usageArb }), { maxLength: 2 }),
  turnCommit: nullable(fc.record({ sessionId: str, turnId: str, turnCommitHash: str })),
  completedQueueClaims: fc.array(
    fc.record({ sessionId: str, claimId: str, leaseToken: str, batchIds: fc.array(str, { maxLength: 2 }) }),
    { maxLength: 2 },
  ),
  completedTurnInputClaims: fc.array(
    fc.record({ sessionId: str, claimId: str, leaseToken: str, inputIds: fc.array(str, { maxLength: 2 }) }),
    { maxLength: 2 },
  ),
  enqueuedQueueBatches: fc.array(draftArb, { maxLength: 2 }),
  interruptedTurnInputTurnId: nullable(str),
  committedAttachmentIds: fc.array(str, { maxLength: 2 }),
}) as unknown as fc.Arbitrary<RuntimeCommit>;

const STRIPPED = new Set(['nodeId', 'parentNodeId', 'leafNodeId', 'timestamp']);
/** Keys that make an object a message or a part; their presence decides which `id` is ignored. */
const SHAPE = new Set(['role', 'parts', 'kind', 'content', 'pruneState']);

/**
 * Rewrites everything §3.1.9 says the hash ignores: node ids, parents, leaves and timestamps at any
 * depth, message and part ids, absent / `undefined` / `null` members, the key order; and adds members
 * the hash drops.
 */
function perturb(value: unknown, rng: Prng): unknown {
  const rnd = () => rng.float();
  const choose = <T>(list: T[]): T => rng.pick(list);
  const walk = (v: unknown): unknown => {
    if (v instanceof Uint8Array) return Uint8Array.from(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    const isMessage = 'role' in o && 'parts' in o;
    const isPart = 'kind' in o && 'content' in o && 'pruneState' in o;
    const entries: Array<[string, unknown]> = [];
    const ignored = () => choose<unknown>([undefined, null, `x${Math.floor(rnd() * 9)}`, 7, { nested: true }]);
    for (const key of Object.keys(o)) {
      const member = o[key];
      if (STRIPPED.has(key) || (key === 'id' && (isMessage || isPart))) {
        if (rnd() < 0.75) entries.push([key, ignored()]);
      } else if ((member === null || member === undefined) && !SHAPE.has(key)) {
        const form = choose(['absent', 'null', 'undefined']);
        if (form !== 'absent') entries.push([key, form === 'null' ? null : undefined]);
      } else {
        entries.push([key, walk(member)]);
      }
    }
    if (rnd() < 0.3) {
      const key = choose(['extra', 'nodeId', 'leafNodeId', 'timestamp']);
      if (!(key in o)) entries.push([key, key === 'extra' ? choose([null, undefined]) : ignored()]);
    }
    if ((isMessage || isPart) && !('id' in o) && rnd() < 0.5) entries.push(['id', ignored()]);
    for (let i = entries.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [entries[i], entries[j]] = [entries[j]!, entries[i]!];
    }
    return Object.fromEntries(entries);
  };
  const out = walk(value) as Record<string, unknown>;
  // The commit-level members the hash resets.
  out.expectedHeadRevision = choose([null, undefined, 0, 3, 1e6]);
  out.sessionExecutionLease = choose([null, { sessionId: 's', owner: owner('o'), leaseToken: 'tok', fencingToken: 4 }]);
  out.releaseSessionExecutionLease = choose([
    null,
    undefined,
    { sessionId: 's', owner: owner('p'), leaseToken: 't', fencingToken: 2 },
  ]);
  out.turnCommit = choose([null, { sessionId: 's', turnId: 'turn', turnCommitHash: 'f'.repeat(64) }]);
  return out;
}

type Mutation = (c: RuntimeCommit) => void;
/** One change to a part of the commit the hash must see, each applicable to any commit. */
const MUTATIONS: Array<[string, Mutation]> = [
  [
    'sessionId',
    (c) => {
      c.sessionId += 'x';
    },
  ],
  [
    'config.providerId',
    (c) => {
      c.config.providerId += 'x';
    },
  ],
  [
    'config.model',
    (c) => {
      c.config.model = [c.config.model];
    },
  ],
  [
    'currentAgentFrameId',
    (c) => {
      c.currentAgentFrameId += 'x';
    },
  ],
  ['agentFrames', (c) => c.agentFrames.push({ frameId: 'f' })],
  [
    'turnIndex',
    (c) => {
      c.checkpoint.turnState.turnIndex += 1;
    },
  ],
  [
    'tokenUsage',
    (c) => {
      c.checkpoint.turnState.tokenUsage.reasoningOutputTokens += 1;
    },
  ],
  [
    'toolState',
    (c) => {
      c.checkpoint.toolState = c.checkpoint.toolState === null ? 0 : null;
    },
  ],
  [
    'toolStateRef',
    (c) => {
      c.checkpoint.toolStateRef = c.checkpoint.toolStateRef === null ? 'c'.repeat(64) : null;
    },
  ],
  [
    'executionState',
    (c) => {
      const bytes = c.checkpoint.executionState;
      c.checkpoint.executionState = bytes === null ? new Uint8Array() : Uint8Array.from([...bytes, 0]);
    },
  ],
  [
    'pluginSnapshotRevision',
    (c) => {
      c.checkpoint.pluginSnapshotRevision = (c.checkpoint.pluginSnapshotRevision ?? -9) + 1;
    },
  ],
  ['usageDeltas', (c) => c.usageDeltas.push({ source: 's', model: 'm', usage: { ...zeros } })],
  ['completedQueueClaims', (c) => c.completedQueueClaims.push({ sessionId: 's', claimId: 'c', leaseToken: 'l', batchIds: [] })],
  [
    'completedTurnInputClaims',
    (c) => c.completedTurnInputClaims.push({ sessionId: 's', claimId: 'c', leaseToken: 'l', inputIds: [] }),
  ],
  ['enqueuedQueueBatches', (c) => c.enqueuedQueueBatches.push(wake('s', 'w', E, X))],
  [
    'interruptedTurnInputTurnId',
    (c) => {
      c.interruptedTurnInputTurnId = `${c.interruptedTurnInputTurnId ?? ''}x`;
    },
  ],
  ['committedAttachmentIds', (c) => c.committedAttachmentIds.push('attachment')],
  [
    'graph',
    (c) => {
      c.graph =
        c.graph.kind === 'unchanged'
          ? { kind: 'append', nodes: [], leafNodeId: c.graph.leafNodeId }
          : { kind: 'unchanged', leafNodeId: null };
    },
  ],
];

// ---------------------------------------------------------------- the properties

describe('turn-commit idempotency (I4)', () => {
  it(
    'a same-hash retry returns the first result and changes nothing but a matching release; another hash conflicts',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          oneIn(50),
          fc.commands([turnCommand], { maxCommands: 12, size: 'medium' }),
          async (verifyEachStep, cmds) => {
            const clock = new ManualClock(START);
            const store = await Store.memory({ clock });
            try {
              const model: Model = {
                now: START,
                revision: 0,
                head: null,
                usage: [],
                recorded: new Map(),
                row: null,
                current: null,
                stale: [],
                blobs: new Set(),
                touched: new Set(),
                queued: [],
              };
              const real: Real = { store, clock, events: new EventCursor(store), verifyEachStep };
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

  it('the hash ignores CAS, lease, stamp, node/message/part ids, timestamps, null-vs-absent and key order', () => {
    fc.assert(
      fc.property(commitArb, fc.integer(), (commit, seed) => {
        const h = turnCommitHash(commit);
        expect(h).toMatch(/^[0-9a-f]{64}$/);
        expect(turnCommitHash(perturb(commit, new Prng(String(seed))) as RuntimeCommit)).toBe(h);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('the hash changes with everything else the commit carries', () => {
    fc.assert(
      fc.property(commitArb, fc.integer({ min: 0, max: MUTATIONS.length - 1 }), (commit, k) => {
        const [what, mutate] = MUTATIONS[k]!;
        const changed = structuredClone(commit);
        mutate(changed);
        expect(turnCommitHash(changed), what).not.toBe(turnCommitHash(commit));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('the hash sees every member of an opaque payload, whatever its key', () => {
    const key = fc.oneof(
      fc.string(),
      fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'id', 'role', 'parts', 'content'),
    );
    fc.assert(
      fc.property(commitArb, key, fc.integer(), fc.integer(), (commit, k, a, b) => {
        fc.pre(a !== b && !STRIPPED.has(k));
        // Own members, as `JSON.parse` makes them (an assignment to `__proto__` would not be one).
        const withA = { ...commit, config: { ...commit.config, model: Object.fromEntries([[k, a]]) } };
        const withB = { ...commit, config: { ...commit.config, model: Object.fromEntries([[k, b]]) } };
        expect(turnCommitHash(withA), k).not.toBe(turnCommitHash(withB));
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
