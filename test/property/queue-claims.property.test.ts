/**
 * Queued-work and turn-input claims against a model (10-session-store §6 I7, I8, I9, I11, I12, I13,
 * I14, I18).
 *
 * Model: the batches and inputs of two sessions with their claim columns, the lease row of each
 * session, every lease the store handed out (so claims run under current, stale, released and
 * expired fences), and the clock. Commands: enqueue (with delays, classes, policies, merge keys and
 * source keys), lease claim / release, clock advances, every claim operation, abandon, and cancel.
 * After every step: the outcome equals the model's — claims equal the pure selection over the
 * model's filtered candidates (I12), with the claim id and fencing token derived from the head row
 * (I7), never a row the generation holds (I9) — the step appended events iff it changed something
 * (I18), and the lists equal the model's R5 view (I8, I11). Each run ends with `verifyProjections`.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import {
  type ClaimCandidate,
  completionOf,
  type DeliveryPolicy,
  fenceOf,
  type MergeKey,
  type PendingTurnInputCancelOutcome,
  type QueuedWorkClaim,
  type QueuedWorkClaimBoundary,
  type SessionExecutionLease,
  type SlotPolicy,
  Store,
  selectLeadingSessionCommand,
  selectTurnWorkClaimPrefix,
  type TurnInputCheckpointBoundary,
  type TurnInputClaim,
  type TurnInputState,
} from '../../src/index.js';
import { boundaryAdmits } from '../../src/leases/queue-selection.js';
import { ManualClock } from '../../src/testing.js';
import { activeIn, cmd, nextIn, owner, wake } from '../support/fixtures.js';
import {
  EventCursor,
  expectRejected,
  expectResolved,
  expectVerified,
  NUM_RUNS,
  outcome,
  PROPERTY_TIMEOUT_MS,
  same,
} from '../support/property.js';

const SIDS = ['s1', 's2'] as const;
const MERGE_KEYS: MergeKey[] = [{ kind: 'never' }, { kind: 'payloadDefault' }, { kind: 'group', group: 'a' }];
const TURNS = ['t0', 't1'] as const;

interface ClaimCols {
  claimId: string | null;
  token: string | null;
  gen: number;
  fencing: number;
}
interface MBatch extends ClaimCols {
  batchId: string;
  sessionId: string;
  seq: number;
  cls: 'turnWork' | 'sessionCommand';
  delivery: DeliveryPolicy;
  slot: SlotPolicy;
  mergeKey: MergeKey;
  availableAtMs: number;
  sourceKey: string | null;
}
interface MInput extends ClaimCols {
  inputId: string;
  sessionId: string;
  seq: number;
  state: TurnInputState;
  turnId: string | null;
  boundary: TurnInputCheckpointBoundary | null;
  text: string;
  sourceKey: string | null;
}
interface LeaseRow {
  lease: SessionExecutionLease;
  released: boolean;
}

type Op =
  | {
      op: 'enqueueBatch';
      s: number;
      command: boolean;
      delivery: DeliveryPolicy;
      slot: SlotPolicy;
      merge: number;
      delay: number;
      key: number;
    }
  | { op: 'enqueueInput'; s: number; turn: number; boundary: TurnInputCheckpointBoundary; text: string; key: number }
  | { op: 'tryClaim'; s: number; who: number; ttl: number }
  | { op: 'release'; s: number }
  | { op: 'newGeneration'; s: number }
  | { op: 'advance'; ms: number }
  | { op: 'claimReady'; s: number; fence: number; boundary: QueuedWorkClaimBoundary; max: number }
  | { op: 'claimLeading'; s: number; fence: number }
  | { op: 'claimByIds'; s: number; fence: number; boundary: QueuedWorkClaimBoundary; picks: number[] }
  | { op: 'claimNext'; s: number; fence: number; max: number }
  | { op: 'claimActive'; s: number; fence: number; turn: number; checkpoint: TurnInputCheckpointBoundary; max: number }
  | {
      op: 'claimCheckpoint';
      s: number;
      fence: number;
      turn: number;
      checkpoint: TurnInputCheckpointBoundary;
      maxI: number;
      maxB: number;
    }
  | { op: 'abandon'; pick: number }
  | { op: 'cancelBatch'; s: number; pick: number }
  | { op: 'cancelInput'; s: number; pick: number; byKey: boolean };

const s = fc.nat(SIDS.length - 1);
const pick = fc.nat(40);
const delivery = fc.constantFrom<DeliveryPolicy>('earliestSafeBoundary', 'afterCurrentTurnCommit');
const boundary = fc.constantFrom<QueuedWorkClaimBoundary>('idle', 'activeTurnCheckpoint');
const checkpoint = fc.constantFrom<TurnInputCheckpointBoundary>('afterWork', 'beforeCompletion');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      op: fc.constant('enqueueBatch' as const),
      s,
      command: fc.boolean(),
      delivery,
      slot: fc.constantFrom<SlotPolicy>('join', 'exclusive'),
      merge: fc.nat(2),
      delay: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 })),
      key: fc.integer({ min: -3, max: 1 }),
    }),
    weight: 5,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('enqueueInput' as const),
      s,
      turn: fc.integer({ min: -1, max: 1 }),
      boundary: checkpoint,
      text: fc.constantFrom('x', 'y'),
      key: fc.integer({ min: -3, max: 1 }),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({ op: fc.constant('tryClaim' as const), s, who: fc.nat(1), ttl: fc.integer({ min: 1, max: 150 }) }),
    weight: 3,
  },
  { arbitrary: fc.record({ op: fc.constant('release' as const), s }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 40 }) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('claimReady' as const), s, fence: pick, boundary, max: fc.nat(4) }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant('claimLeading' as const), s, fence: pick }), weight: 2 },
  {
    arbitrary: fc.record({
      op: fc.constant('claimByIds' as const),
      s,
      fence: pick,
      boundary,
      picks: fc.array(pick, { maxLength: 3 }),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ op: fc.constant('claimNext' as const), s, fence: pick, max: fc.nat(3) }), weight: 3 },
  {
    arbitrary: fc.record({
      op: fc.constant('claimActive' as const),
      s,
      fence: pick,
      turn: fc.nat(1),
      checkpoint,
      max: fc.nat(3),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('claimCheckpoint' as const),
      s,
      fence: pick,
      turn: fc.nat(1),
      checkpoint,
      maxI: fc.nat(2),
      maxB: fc.nat(2),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ op: fc.constant('abandon' as const), pick }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('cancelBatch' as const), s, pick }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('cancelInput' as const), s, pick, byKey: fc.boolean() }), weight: 2 },
);

/**
 * Queue-only steps with frequent generation changes, so claims often meet rows held by stale
 * generations next to unclaimed ones (the candidate merge across held generations).
 */
const queueOpArb: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      op: fc.constant('enqueueBatch' as const),
      s: fc.constant(0),
      command: fc.constantFrom(false, false, false, true),
      delivery,
      slot: fc.constantFrom<SlotPolicy>('join', 'join', 'exclusive'),
      merge: fc.nat(1),
      delay: fc.oneof({ arbitrary: fc.constant(0), weight: 4 }, { arbitrary: fc.integer({ min: 1, max: 10 }), weight: 1 }),
      key: fc.constant(-1),
    }),
    weight: 5,
  },
  { arbitrary: fc.record({ op: fc.constant('newGeneration' as const), s: fc.constant(0) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 5 }) }), weight: 1 },
  {
    arbitrary: fc.record({
      op: fc.constant('claimReady' as const),
      s: fc.constant(0),
      fence: fc.constant(0),
      boundary,
      max: fc.nat(4),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ op: fc.constant('claimLeading' as const), s: fc.constant(0), fence: fc.constant(0) }), weight: 1 },
  {
    arbitrary: fc.record({
      op: fc.constant('claimByIds' as const),
      s: fc.constant(0),
      fence: fc.constant(0),
      boundary,
      picks: fc.array(pick, { minLength: 1, maxLength: 2 }),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ op: fc.constant('abandon' as const), pick }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('cancelBatch' as const), s: fc.constant(0), pick }), weight: 1 },
);

const candidateOf = (b: MBatch): ClaimCandidate => ({
  enqueueSeq: b.seq,
  claimFencingToken: b.fencing,
  workClass: b.cls,
  deliveryPolicy: b.delivery,
  slotPolicy: b.slot,
  mergeKey: b.mergeKey,
});

class Model {
  now = 1_000;
  lastBatchSeq = 0;
  lastInputSeq = 0;
  batches: MBatch[] = [];
  inputs: MInput[] = [];
  leases = new Map<string, LeaseRow>();
  handedOut: SessionExecutionLease[] = [];
  claims: Array<{ kind: 'queue'; claim: QueuedWorkClaim } | { kind: 'input'; claim: TurnInputClaim }> = [];

  liveGeneration(S: string): number | null {
    const row = this.leases.get(S);
    return row && !row.released && row.lease.expiresAtEpochMs > this.now ? row.lease.fencingToken : null;
  }

  fenceValid(S: string, f: SessionExecutionLease): boolean {
    const row = this.leases.get(S);
    return (
      f.sessionId === S &&
      row !== undefined &&
      !row.released &&
      row.lease.expiresAtEpochMs > this.now &&
      row.lease.leaseToken === f.leaseToken &&
      row.lease.fencingToken === f.fencingToken
    );
  }

  /**
   * The fence a step uses: mostly the session's current lease row (so most claims are valid), else
   * any lease handed out so far (stale, released, expired, or another session's).
   */
  fence(S: string, i: number): SessionExecutionLease | null {
    const current = this.leases.get(S);
    if (current && i < 24) return current.lease;
    return this.handedOut.length === 0 ? null : (this.handedOut[i % this.handedOut.length] as SessionExecutionLease);
  }

  candidates(S: string, g: number): MBatch[] {
    return this.batches
      .filter((b) => b.sessionId === S && b.availableAtMs <= this.now && (b.token === null || b.gen !== g))
      .sort((a, b) => a.seq - b.seq);
  }

  heldLive(row: ClaimCols, S: string): boolean {
    return row.token !== null && row.gen === this.liveGeneration(S);
  }
}

function grant(rows: ClaimCols[], g: number, claimId: string, token: string): void {
  for (const row of rows) {
    row.claimId = claimId;
    row.token = token;
    row.gen = g;
    row.fencing += 1;
  }
}

function clear(row: ClaimCols): void {
  row.claimId = null;
  row.token = null;
  row.gen = 0;
}

/** Every run starts with a lease on each session, so most claims run under a valid fence. */
const PRELUDE: Op[] = SIDS.map((_, i) => ({ op: 'tryClaim', s: i, who: 0, ttl: 100 }));

async function run(ops: Op[]): Promise<void> {
  const clock = new ManualClock(1_000);
  const store = await Store.memory({ clock });
  const m = new Model();
  const cursor = new EventCursor(store);
  try {
    for (const op of [...PRELUDE, ...ops]) {
      const changed = await step(store, m, clock, op);
      const events = await cursor.take();
      same(events.length > 0, changed, `events appended by ${op.op} (${JSON.stringify(op)})`);
      if ('s' in op) await checkLists(store, m, SIDS[op.s] as string);
    }
    for (const S of SIDS) await checkLists(store, m, S);
    await expectVerified(store);
  } finally {
    await store.close();
  }
}

async function checkLists(store: Store, m: Model, S: string): Promise<void> {
  const all = m.batches.filter((b) => b.sessionId === S).sort((a, b) => a.seq - b.seq);
  same(
    (await store.listQueuedWork(S)).map((b) => b.batchId),
    all.map((b) => b.batchId),
    `listQueuedWork(${S})`,
  );
  same(
    (await store.listPendingQueuedWork(S)).map((b) => b.batchId),
    all.filter((b) => !m.heldLive(b, S)).map((b) => b.batchId),
    `listPendingQueuedWork(${S})`,
  );
  const pending = m.inputs
    .filter((i) => i.sessionId === S && (i.state === 'pendingActive' || i.state === 'deferredNextTurn') && !m.heldLive(i, S))
    .sort((a, b) => a.seq - b.seq);
  const listed = await store.listPendingTurnInputs(S);
  same(
    listed.map((i) => [i.inputId, i.state]),
    pending.map((i) => [i.inputId, i.state]),
    `listPendingTurnInputs(${S})`,
  );
}

/** Checks a queued-work claim against the model's expected rows and applies it. Returns whether it changed state. */
function expectQueuedClaim(m: Model, S: string, g: number, got: QueuedWorkClaim | null, rows: MBatch[], label: string): boolean {
  if (rows.length === 0) {
    same(got, null, label);
    return false;
  }
  if (got === null) throw new Error(`${label}: expected a claim of ${rows.map((r) => r.batchId).join(', ')}`);
  const head = rows[0] as MBatch;
  same(
    got.batches.map((b) => b.batchId),
    rows.map((r) => r.batchId),
    `${label} batches`,
  );
  same(got.fencingToken, head.fencing + 1, `${label} fencingToken (I7)`);
  same(got.claimId, `qwc:${head.seq}:${head.fencing + 1}`, `${label} claimId`);
  same(got.sessionLeaseGeneration, g, `${label} generation`);
  same(got.sessionId, S, `${label} session`);
  grant(rows, g, got.claimId, got.leaseToken);
  m.claims.push({ kind: 'queue', claim: got });
  return true;
}

function expectInputClaim(m: Model, S: string, g: number, got: TurnInputClaim | null, rows: MInput[], label: string): boolean {
  if (rows.length === 0) {
    same(got, null, label);
    return false;
  }
  if (got === null) throw new Error(`${label}: expected a claim of ${rows.map((r) => r.inputId).join(', ')}`);
  const head = rows[0] as MInput;
  same(
    got.inputs.map((i) => i.inputId),
    rows.map((r) => r.inputId),
    `${label} inputs`,
  );
  same(got.fencingToken, head.fencing + 1, `${label} fencingToken (I7)`);
  same(got.claimId, `tic:${head.seq}:${head.fencing + 1}`, `${label} claimId`);
  same(got.sessionLeaseGeneration, g, `${label} generation`);
  same(got.sessionId, S, `${label} session`);
  const state: TurnInputState = got.mode.kind === 'activeTurn' ? 'accepted' : 'deferredNextTurn';
  same(
    got.inputs.map((i) => i.state),
    rows.map(() => state),
    `${label} states`,
  );
  grant(rows, g, got.claimId, got.leaseToken);
  for (const row of rows) row.state = state;
  m.claims.push({ kind: 'input', claim: got });
  return true;
}

function activeRows(m: Model, S: string, g: number, turnId: string, cp: TurnInputCheckpointBoundary, max: number): MInput[] {
  return m.inputs
    .filter(
      (i) =>
        i.sessionId === S &&
        i.state === 'pendingActive' &&
        i.turnId === turnId &&
        i.boundary !== null &&
        boundaryAdmits(i.boundary, cp) &&
        (i.token === null || i.gen !== g),
    )
    .sort((a, b) => a.seq - b.seq)
    .slice(0, max);
}

function readyRows(m: Model, S: string, g: number, b: QueuedWorkClaimBoundary, max: number): MBatch[] {
  const candidates = m.candidates(S, g);
  return candidates.slice(0, selectTurnWorkClaimPrefix(candidates.map(candidateOf), b, max));
}

async function step(store: Store, m: Model, clock: ManualClock, op: Op): Promise<boolean> {
  const label = JSON.stringify(op);
  switch (op.op) {
    case 'enqueueBatch': {
      const S = SIDS[op.s] as string;
      const sourceKey = op.key < 0 ? null : `key-${op.key}`;
      const base = op.command ? cmd(S, 'c') : wake(S, 'w', op.delivery, op.slot);
      const draft = {
        ...base,
        deliveryPolicy: op.delivery,
        slotPolicy: op.slot,
        mergeKey: MERGE_KEYS[op.merge] as MergeKey,
        sourceKey,
        availableAtMs: op.delay === 0 ? 0 : m.now + op.delay,
      };
      const got = expectResolved(await outcome(store.enqueueQueuedWork(draft)));
      const existing = sourceKey === null ? undefined : m.batches.find((b) => b.sessionId === S && b.sourceKey === sourceKey);
      if (existing) {
        same(got.batchId, existing.batchId, `${label}: source-key replay (I13)`);
        return false;
      }
      if (got.enqueueSeq <= m.lastBatchSeq) throw new Error(`${label}: enqueueSeq ${got.enqueueSeq} not increasing (I11)`);
      m.lastBatchSeq = got.enqueueSeq;
      m.batches.push({
        batchId: got.batchId,
        sessionId: S,
        seq: got.enqueueSeq,
        cls: op.command ? 'sessionCommand' : 'turnWork',
        delivery: op.delivery,
        slot: op.slot,
        mergeKey: draft.mergeKey,
        availableAtMs: draft.availableAtMs,
        sourceKey,
        claimId: null,
        token: null,
        gen: 0,
        fencing: 0,
      });
      return true;
    }
    case 'enqueueInput': {
      const S = SIDS[op.s] as string;
      const sourceKey = op.key < 0 ? null : `key-${op.key}`;
      const turnId = op.turn < 0 ? null : (TURNS[op.turn] as string);
      const draft = turnId === null ? nextIn(S, op.text, sourceKey) : activeIn(S, turnId, op.boundary, op.text, sourceKey);
      const result = await outcome(store.enqueuePendingTurnInput(draft));
      const existing = sourceKey === null ? undefined : m.inputs.find((i) => i.sessionId === S && i.sourceKey === sourceKey);
      if (existing) {
        const same_ =
          existing.text === op.text && existing.turnId === turnId && (turnId === null || existing.boundary === op.boundary);
        if (same_) {
          const got = expectResolved(result);
          same([got.inputId, got.state], [existing.inputId, existing.state], `${label}: replay (I13)`);
        } else {
          expectRejected(result, 'PendingTurnInputSourceKeyConflict', { existingInputId: existing.inputId });
        }
        return false;
      }
      const got = expectResolved(result);
      if (got.enqueueSeq <= m.lastInputSeq) throw new Error(`${label}: enqueueSeq ${got.enqueueSeq} not increasing (I11)`);
      m.lastInputSeq = got.enqueueSeq;
      m.inputs.push({
        inputId: got.inputId,
        sessionId: S,
        seq: got.enqueueSeq,
        state: turnId === null ? 'deferredNextTurn' : 'pendingActive',
        turnId,
        boundary: turnId === null ? null : op.boundary,
        text: op.text,
        sourceKey,
        claimId: null,
        token: null,
        gen: 0,
        fencing: 0,
      });
      same(got.state, m.inputs.at(-1)?.state, `${label}: initial state`);
      return true;
    }
    case 'tryClaim': {
      const S = SIDS[op.s] as string;
      const got = expectResolved(await outcome(store.tryClaimSessionExecutionLease(S, owner(`o${op.who}`), op.ttl)));
      if (got.kind === 'busy') return false;
      // a fresh acquisition or a re-entry (same token, new expiry): both append a lease event
      m.leases.set(S, { lease: got.lease, released: false });
      m.handedOut.push(got.lease);
      return true;
    }
    case 'release': {
      const S = SIDS[op.s] as string;
      const row = m.leases.get(S);
      if (!row) return false;
      await store.releaseSessionExecutionLease(completionOf(row.lease));
      const changed = !row.released;
      row.released = true;
      return changed;
    }
    case 'newGeneration': {
      // release the current lease (if any) and take a fresh one: the previous generation's claims go stale
      const S = SIDS[op.s] as string;
      const row = m.leases.get(S);
      if (row) {
        await store.releaseSessionExecutionLease(completionOf(row.lease));
        row.released = true;
      }
      const who = owner(`gen-${m.handedOut.length}`);
      const got = expectResolved(await outcome(store.tryClaimSessionExecutionLease(S, who, Number.MAX_SAFE_INTEGER)));
      if (got.kind !== 'acquired') throw new Error(`${label}: a released lease must be acquirable`);
      m.leases.set(S, { lease: got.lease, released: false });
      m.handedOut.push(got.lease);
      return true;
    }
    case 'advance':
      clock.advance(op.ms);
      m.now += op.ms;
      return false;
    case 'claimReady': {
      const S = SIDS[op.s] as string;
      const f = m.fence(S, op.fence);
      if (!f) return false;
      const result = await outcome(store.claimReadyQueuedWork(S, fenceOf(f), owner('claimer'), op.boundary, op.max));
      if (op.max === 0) {
        same(expectResolved(result), null, label);
        return false;
      }
      if (!m.fenceValid(S, f)) {
        expectRejected(result, 'SessionExecutionLeaseExpired', { sessionId: S });
        return false;
      }
      return expectQueuedClaim(
        m,
        S,
        f.fencingToken,
        expectResolved(result),
        readyRows(m, S, f.fencingToken, op.boundary, op.max),
        label,
      );
    }
    case 'claimLeading': {
      const S = SIDS[op.s] as string;
      const f = m.fence(S, op.fence);
      if (!f) return false;
      const result = await outcome(store.claimLeadingReadySessionCommand(S, fenceOf(f), owner('claimer')));
      if (!m.fenceValid(S, f)) {
        expectRejected(result, 'SessionExecutionLeaseExpired');
        return false;
      }
      const candidates = m.candidates(S, f.fencingToken);
      const rows = candidates.slice(0, selectLeadingSessionCommand(candidates.map(candidateOf)));
      return expectQueuedClaim(m, S, f.fencingToken, expectResolved(result), rows, label);
    }
    case 'claimByIds': {
      const S = SIDS[op.s] as string;
      const f = m.fence(S, op.fence);
      if (!f || m.batches.length === 0) return false;
      const chosen = op.picks.map((p) => m.batches[p % m.batches.length] as MBatch);
      const result = await outcome(
        store.claimReadyQueuedWorkByBatchIds(
          S,
          fenceOf(f),
          owner('claimer'),
          op.boundary,
          chosen.map((b) => b.batchId),
        ),
      );
      if (chosen.length === 0) {
        same(expectResolved(result), null, label);
        return false;
      }
      if (!m.fenceValid(S, f)) {
        expectRejected(result, 'SessionExecutionLeaseExpired');
        return false;
      }
      const g = f.fencingToken;
      const ok =
        new Set(chosen.map((b) => b.batchId)).size === chosen.length &&
        chosen.every(
          (b) => b.sessionId === S && b.availableAtMs <= m.now && (b.token === null || b.gen !== g) && b.cls === 'turnWork',
        ) &&
        selectTurnWorkClaimPrefix(chosen.map(candidateOf), op.boundary, chosen.length) === chosen.length;
      return expectQueuedClaim(m, S, g, expectResolved(result), ok ? chosen : [], label);
    }
    case 'claimNext': {
      const S = SIDS[op.s] as string;
      const f = m.fence(S, op.fence);
      if (!f) return false;
      const result = await outcome(store.claimNextTurnInputs(S, fenceOf(f), owner('claimer'), op.max));
      if (op.max === 0) {
        same(expectResolved(result), null, label);
        return false;
      }
      if (!m.fenceValid(S, f)) {
        expectRejected(result, 'SessionExecutionLeaseExpired');
        return false;
      }
      const g = f.fencingToken;
      const rows = m.inputs
        .filter((i) => i.sessionId === S && i.state === 'deferredNextTurn' && (i.token === null || i.gen !== g))
        .sort((a, b) => a.seq - b.seq)
        .slice(0, op.max);
      return expectInputClaim(m, S, g, expectResolved(result), rows, label);
    }
    case 'claimActive': {
      const S = SIDS[op.s] as string;
      const f = m.fence(S, op.fence);
      if (!f) return false;
      const turnId = TURNS[op.turn] as string;
      const result = await outcome(store.claimActiveTurnInputs(S, fenceOf(f), owner('claimer'), turnId, op.checkpoint, op.max));
      if (op.max === 0) {
        same(expectResolved(result), null, label);
        return false;
      }
      if (!m.fenceValid(S, f)) {
        expectRejected(result, 'SessionExecutionLeaseExpired');
        return false;
      }
      const rows = activeRows(m, S, f.fencingToken, turnId, op.checkpoint, op.max);
      return expectInputClaim(m, S, f.fencingToken, expectResolved(result), rows, label);
    }
    case 'claimCheckpoint': {
      const S = SIDS[op.s] as string;
      const f = m.fence(S, op.fence);
      if (!f) return false;
      const turnId = TURNS[op.turn] as string;
      const g = f.fencingToken;
      const inputRows = op.maxI > 0 ? activeRows(m, S, g, turnId, op.checkpoint, op.maxI) : [];
      const head = m.candidates(S, g)[0];
      const queuePending =
        op.maxB > 0 && head !== undefined && head.cls === 'turnWork' && head.delivery === 'earliestSafeBoundary';
      const before = store.checkpointClaimCounts();
      const result = await outcome(
        store.claimCheckpointWork(S, fenceOf(f), owner('claimer'), turnId, op.checkpoint, op.maxI, op.maxB),
      );
      const pending = inputRows.length > 0 || queuePending;
      const after = store.checkpointClaimCounts();
      same(
        [after.probeCount - before.probeCount, after.writeTransactionCount - before.writeTransactionCount],
        [1, pending ? 1 : 0],
        `${label}: checkpoint counters`,
      );
      if (!pending) {
        same(expectResolved(result), [null, null], label);
        return false;
      }
      if (!m.fenceValid(S, f)) {
        expectRejected(result, 'SessionExecutionLeaseExpired');
        return false;
      }
      const [gotInputs, gotQueue] = expectResolved(result);
      const a = expectInputClaim(m, S, g, gotInputs, inputRows, `${label} inputs`);
      const queueRows = op.maxB > 0 ? readyRows(m, S, g, 'activeTurnCheckpoint', op.maxB) : [];
      const b = expectQueuedClaim(m, S, g, gotQueue, queueRows, `${label} queue`);
      return a || b;
    }
    case 'abandon': {
      if (m.claims.length === 0) return false;
      const entry = m.claims[op.pick % m.claims.length] as Model['claims'][number];
      if (entry.kind === 'queue') {
        const c = entry.claim;
        await store.abandonQueuedWorkClaim(c);
        const rows = m.batches.filter((b) => b.sessionId === c.sessionId && b.claimId === c.claimId && b.token === c.leaseToken);
        rows.forEach(clear);
        return rows.length > 0;
      }
      const c = entry.claim;
      await store.abandonTurnInputClaim(c);
      const rows = m.inputs.filter((i) => i.sessionId === c.sessionId && i.claimId === c.claimId && i.token === c.leaseToken);
      for (const row of rows) {
        if (row.state === 'accepted') row.state = c.mode.kind === 'activeTurn' ? 'pendingActive' : 'deferredNextTurn';
        clear(row);
      }
      return rows.length > 0;
    }
    case 'cancelBatch': {
      const S = SIDS[op.s] as string;
      if (m.batches.length === 0) return false;
      const target = m.batches[op.pick % m.batches.length] as MBatch;
      const got = await store.cancelQueuedWorkBatch(S, target.batchId);
      const cancellable = target.sessionId === S && !m.heldLive(target, S);
      same(got?.batchId ?? null, cancellable ? target.batchId : null, label);
      if (cancellable) m.batches = m.batches.filter((b) => b !== target);
      return cancellable;
    }
    case 'cancelInput': {
      const S = SIDS[op.s] as string;
      if (m.inputs.length === 0) return false;
      const target = m.inputs[op.pick % m.inputs.length] as MInput;
      let got: PendingTurnInputCancelOutcome;
      let resolved: MInput | undefined;
      if (op.byKey && target.sourceKey !== null) {
        const key = target.sourceKey;
        const [result] = await store.cancelPendingTurnInputs(S, [{ kind: 'sourceKey', value: key }]);
        got = (result as { outcome: PendingTurnInputCancelOutcome }).outcome;
        resolved = m.inputs.find((i) => i.sessionId === S && i.sourceKey === key);
      } else {
        got = await store.cancelPendingTurnInput(S, target.inputId);
        resolved = target.sessionId === S ? target : undefined;
      }
      let expected: PendingTurnInputCancelOutcome['kind'];
      if (resolved === undefined) expected = 'notFound';
      else if (resolved.state === 'cancelled') expected = 'alreadyCancelled';
      else if (resolved.state === 'completed') expected = 'alreadyCompleted';
      else if (resolved.state === 'accepted' || m.heldLive(resolved, S)) expected = 'alreadyClaimed';
      else expected = 'cancelled';
      same(got.kind, expected, label);
      if (got.kind !== 'notFound' && resolved) same(got.input.inputId, resolved.inputId, `${label}: input`);
      if (expected !== 'cancelled' || !resolved) return false;
      resolved.state = 'cancelled';
      clear(resolved);
      return true;
    }
  }
}

describe('queue and turn-input claims (model)', () => {
  it(
    'claims across stale and current generations equal the pure selection in enqueue order',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(queueOpArb, { minLength: 8, maxLength: 30, size: 'max' }), (ops) => run(ops)),
        { numRuns: NUM_RUNS },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'claims equal the pure selection over the model, fence and liveness rules hold, no-ops append nothing',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 8, maxLength: 30, size: 'max' }), (ops) => run(ops)),
        { numRuns: NUM_RUNS },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
