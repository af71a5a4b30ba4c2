/**
 * Session execution lease fencing (10-session-store §4, §6 I5, I6, I18).
 *
 * Model: one lease row per session id (owner, token, fencing token, claim time, expiry) for 1–3
 * sessions, the clock, and every lease the store handed out. Commands: tryClaim and reclaim with
 * opaque and local-process owners (a holder whose recorded start time is not this process's is
 * provably dead for a claimant on the same host and boot), renew, release with current, stale and
 * forged completions, clock advances, and commits with current, stale and forged fences; TTLs include
 * 0, negatives, fractions and values >= Number.MAX_SAFE_INTEGER. After every step: the outcome and the
 * lease events the step appended equal the model's, and every live row is probed with a foreign claim
 * (`busy`, holder = the model's row, no event). So at most one lease per session is live at any `now`
 * (I5), fencing tokens start at 1 and grow by exactly 1 per fresh acquisition or takeover and are kept
 * by releases (I5), and a commit or renew under anything but the current live fence fails with
 * `SessionExecutionLeaseExpired` (I6).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isDefinitelyDeadForClaimant,
  type LeaseOwnerIdentity,
  type LeaseOwnerLiveness,
  localProcessIdentity,
  type SessionExecutionLease,
  type SessionExecutionLeaseFence,
  Store,
} from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { base, DEAD, localOwner, owner, PID } from '../support/fixtures.js';
import {
  EventCursor,
  expectRejected,
  expectResolved,
  expectVerified,
  NUM_RUNS,
  type Outcome,
  outcome,
  PROPERTY_TIMEOUT_MS,
  same,
} from '../support/property.js';

const SIDS = ['a', 'b', 'c'] as const;
const MAX = Number.MAX_SAFE_INTEGER;
const START = 1_000_000;

/** This process's start time as `/proc` reports it (Linux), so a holder can be proven alive. */
const REAL_START = (() => {
  const identity = localProcessIdentity('self', 'self', 'host-a');
  return identity.liveness.kind === 'localProcess' ? identity.liveness.processStart : null;
})();
/** A pid no process has: `/proc/{pid}/stat` is missing, so its holder is dead. */
const GONE_PID = 2_147_483_647;

const OWNERS: LeaseOwnerIdentity[] = [
  owner('opaque-1'),
  owner('opaque-2'),
  { ownerId: 'opaque-1', incarnationId: 'opaque-1:next', liveness: { kind: 'opaque' } },
  localOwner('dead', 'dead:incarnation', 'host-a', 'boot-a', PID, DEAD),
  localOwner('dead', 'dead:incarnation', 'host-a', 'boot-a', PID, REAL_START ?? 'unknown'),
  localOwner('live', 'live:incarnation', 'host-a', 'boot-a', PID, REAL_START ?? 'unknown'),
  localOwner('gone', 'gone:incarnation', 'host-a', 'boot-a', GONE_PID, 'gone-start'),
  localOwner('claimant', 'claimant:incarnation', 'host-a', 'boot-a', PID, 'claimant-start'),
  localOwner('far', 'far:incarnation', 'host-b', 'boot-a', PID, 'far-start'),
  localOwner('rebooted', 'rebooted:incarnation', 'host-a', 'boot-b', PID, 'rebooted-start'),
];

/** The liveness probe's answer, from what the test knows about pids. */
function aliveModel(pid: number, start: string): boolean | null {
  if (pid === PID) return start === REAL_START;
  if (pid === GONE_PID) return false;
  return null;
}

/** §4.2 `isDefinitelyDeadForClaimant`, written from the spec. */
function deadFor(holder: LeaseOwnerLiveness, claimant: LeaseOwnerLiveness): boolean {
  if (holder.kind !== 'localProcess' || claimant.kind !== 'localProcess') return false;
  if (holder.hostId !== claimant.hostId || holder.bootId !== claimant.bootId) return false;
  return aliveModel(holder.pid, holder.processStart) === false;
}

/** R10 for TTLs: NaN rejects; floored; negative → 0; >= MAX_SAFE_INTEGER → MAX_SAFE_INTEGER. */
function ttlOf(ttlMs: number): number | null {
  if (Number.isNaN(ttlMs)) return null;
  if (ttlMs >= MAX) return MAX;
  return ttlMs <= 0 ? 0 : Math.floor(ttlMs);
}

// ---------------------------------------------------------------- model

interface Row {
  owner: LeaseOwnerIdentity | null;
  leaseToken: string | null;
  fencingToken: number;
  claimedAtMs: number;
  expiresAtMs: number;
}
type LiveRow = Row & { owner: LeaseOwnerIdentity; leaseToken: string };

interface Model {
  now: number;
  rows: Map<string, Row>;
  /** Every lease the store handed out per session (fresh or re-entered), oldest first. */
  leases: Map<string, SessionExecutionLease[]>;
  tokens: Set<string>;
  bound: string | null;
  revision: number;
}

interface Real {
  store: Store;
  clock: ManualClock;
  events: EventCursor;
  verifyEachStep: boolean;
}

function liveRow(row: Row | undefined, now: number): row is LiveRow {
  return row !== undefined && row.leaseToken !== null && row.owner !== null && row.expiresAtMs > now;
}

function leaseOf(S: string, row: LiveRow): SessionExecutionLease {
  return {
    sessionId: S,
    owner: row.owner,
    leaseToken: row.leaseToken,
    fencingToken: row.fencingToken,
    claimedAtEpochMs: row.claimedAtMs,
    expiresAtEpochMs: row.expiresAtMs,
  };
}

function sameIncarnation(a: LeaseOwnerIdentity, b: LeaseOwnerIdentity): boolean {
  return a.ownerId === b.ownerId && a.incarnationId === b.incarnationId;
}

/** R3 / §4.3: the fence names the live row of `S`. */
function fenceValid(m: Model, S: string, fence: SessionExecutionLeaseFence | null): boolean {
  const row = m.rows.get(S);
  return (
    fence !== null &&
    fence.sessionId === S &&
    liveRow(row, m.now) &&
    sameIncarnation(row.owner, fence.owner) &&
    row.leaseToken === fence.leaseToken &&
    row.fencingToken === fence.fencingToken
  );
}

/** §4.5: identity fields equal; expiry ignored. */
function releaseMatches(m: Model, c: SessionExecutionLeaseFence): boolean {
  const row = m.rows.get(c.sessionId);
  return (
    row !== undefined &&
    row.owner !== null &&
    row.leaseToken !== null &&
    sameIncarnation(row.owner, c.owner) &&
    row.leaseToken === c.leaseToken &&
    row.fencingToken === c.fencingToken
  );
}

type FenceMode =
  | 'current'
  | 'stale'
  | 'forgedToken'
  | 'forgedFencing'
  | 'otherIncarnation'
  | 'otherLiveness'
  | 'otherSession'
  | 'none';

/** A fence (or completion, or observed holder) for session `S` built the way `mode` says. */
function fenceFor(m: Model, S: string, mode: FenceMode): SessionExecutionLeaseFence | null {
  if (mode === 'none') return null;
  const target = mode === 'otherSession' ? SIDS[(SIDS.indexOf(S as (typeof SIDS)[number]) + 1) % SIDS.length]! : S;
  const list = m.leases.get(target) ?? [];
  const latest = list.at(-1);
  if (!latest) return { sessionId: target, owner: owner('nobody'), leaseToken: `${target}:never-issued`, fencingToken: 1 };
  const fence: SessionExecutionLeaseFence = {
    sessionId: latest.sessionId,
    owner: latest.owner,
    leaseToken: latest.leaseToken,
    fencingToken: latest.fencingToken,
  };
  switch (mode) {
    case 'current':
    case 'otherSession':
      return fence;
    case 'stale': {
      const older = [...list].reverse().find((l) => l.leaseToken !== latest.leaseToken);
      return older
        ? { sessionId: older.sessionId, owner: older.owner, leaseToken: older.leaseToken, fencingToken: older.fencingToken }
        : { ...fence, leaseToken: `${fence.leaseToken}:stale` };
    }
    case 'forgedToken':
      return { ...fence, leaseToken: `${fence.leaseToken}:forged` };
    case 'forgedFencing':
      return { ...fence, fencingToken: fence.fencingToken + 1 };
    case 'otherIncarnation':
      return { ...fence, owner: { ...fence.owner, incarnationId: `${fence.owner.incarnationId}:other` } };
    case 'otherLiveness':
      return {
        ...fence,
        owner: {
          ...fence.owner,
          liveness:
            fence.owner.liveness.kind === 'opaque'
              ? { kind: 'localProcess', hostId: 'host-a', bootId: 'boot-a', pid: PID, processStart: DEAD }
              : { kind: 'opaque' },
        },
      };
  }
}

type Expected = { type: string; stream: string; data?: unknown };

/** Checks the step's events: types, streams, `recordedAtMs` and the lease payloads. */
async function expectEvents(m: Model, r: Real, expected: Expected[]): Promise<void> {
  const events = await r.events.take();
  same(
    events.map((e) => ({ type: e.type, stream: e.stream, recordedAtMs: e.recordedAtMs })),
    expected.map((e) => ({ type: e.type, stream: e.stream, recordedAtMs: m.now })),
    'events appended by this step',
  );
  expected.forEach((e, i) => {
    if (e.data !== undefined) same(events[i]!.data, e.data, `${e.type} payload`);
  });
}

/** I5: every live row is the one lease of its session; a foreign claim is `busy` and appends nothing. */
async function checkState(m: Model, r: Real): Promise<void> {
  for (const S of SIDS) {
    const row = m.rows.get(S);
    if (!liveRow(row, m.now)) continue;
    const probe = await r.store.tryClaimSessionExecutionLease(S, owner('probe'), 1);
    same(probe, { kind: 'busy', holder: leaseOf(S, row) }, `live lease of ${S}`);
  }
  if (r.verifyEachStep) await expectVerified(r.store);
}

/** Fresh acquisition (claim of a free/expired/released row, or takeover): fencing + 1, new token. */
async function expectAcquired(
  m: Model,
  r: Real,
  S: string,
  o: Outcome<unknown>,
  claimant: LeaseOwnerIdentity,
  ttl: number,
): Promise<void> {
  const value = expectResolved(o) as { kind: string; lease?: SessionExecutionLease };
  if (value.kind !== 'acquired' || !value.lease) throw new Error(`expected a fresh acquisition, got ${JSON.stringify(value)}`);
  const lease = value.lease;
  const previous = m.rows.get(S)?.fencingToken ?? 0;
  const expiresAtMs = Math.min(m.now + ttl, MAX);
  same(
    { ...lease, leaseToken: typeof lease.leaseToken },
    {
      sessionId: S,
      owner: claimant,
      leaseToken: 'string',
      fencingToken: previous + 1,
      claimedAtEpochMs: m.now,
      expiresAtEpochMs: expiresAtMs,
    },
    'fresh lease (fencing token + 1)',
  );
  expect(m.tokens.has(lease.leaseToken), 'lease tokens are unique per acquisition').toBe(false);
  m.tokens.add(lease.leaseToken);
  await expectEvents(m, r, [
    {
      type: 'SessionExecutionLeaseAcquired',
      stream: `lease:${S}`,
      data: {
        sessionId: S,
        owner: claimant,
        leaseToken: lease.leaseToken,
        fencingToken: previous + 1,
        claimedAtMs: m.now,
        expiresAtMs,
      },
    },
  ]);
  m.rows.set(S, {
    owner: claimant,
    leaseToken: lease.leaseToken,
    fencingToken: previous + 1,
    claimedAtMs: m.now,
    expiresAtMs,
  });
  m.leases.set(S, [...(m.leases.get(S) ?? []), lease]);
}

async function expectBusy(m: Model, r: Real, S: string, o: Outcome<unknown>, row: LiveRow): Promise<void> {
  same(expectResolved(o), { kind: 'busy', holder: leaseOf(S, row) }, 'busy');
  await expectEvents(m, r, []);
}

// ---------------------------------------------------------------- commands

abstract class Step implements fc.AsyncCommand<Model, Real> {
  check(): boolean {
    return true;
  }
  abstract apply(m: Model, r: Real): Promise<void>;
  async run(m: Model, r: Real): Promise<void> {
    await this.apply(m, r);
    await checkState(m, r);
  }
  abstract toString(): string;
}

class TryClaim extends Step {
  constructor(
    readonly sid: number,
    readonly who: number,
    readonly ttlMs: number,
  ) {
    super();
  }

  async apply(m: Model, r: Real): Promise<void> {
    const S = SIDS[this.sid]!;
    const o = OWNERS[this.who]!;
    const result = await outcome(r.store.tryClaimSessionExecutionLease(S, o, this.ttlMs));
    const ttl = ttlOf(this.ttlMs);
    const row = m.rows.get(S);
    if (ttl === null) {
      expectRejected(result, 'InvalidArgument', { argument: 'ttlMs', expected: 'a number' });
      await expectEvents(m, r, []);
    } else if (liveRow(row, m.now) && sameIncarnation(row.owner, o)) {
      // Re-entry: same token and fencing token and claim time; the expiry moves (may shorten).
      const expiresAtMs = Math.min(m.now + ttl, MAX);
      const lease = { ...leaseOf(S, { ...row, expiresAtMs }), owner: o };
      same(expectResolved(result), { kind: 'acquired', lease }, 're-entry');
      await expectEvents(m, r, [
        { type: 'SessionExecutionLeaseExtended', stream: `lease:${S}`, data: { sessionId: S, expiresAtMs } },
      ]);
      m.rows.set(S, { ...row, expiresAtMs });
      m.leases.set(S, [...(m.leases.get(S) ?? []), lease]);
    } else if (liveRow(row, m.now)) {
      await expectBusy(m, r, S, result, row);
    } else {
      await expectAcquired(m, r, S, result, o, ttl);
    }
  }

  toString(): string {
    return `tryClaim(${SIDS[this.sid]}, ${OWNERS[this.who]!.ownerId}/${OWNERS[this.who]!.incarnationId}#${this.who}, ${this.ttlMs})`;
  }
}

class Reclaim extends Step {
  constructor(
    readonly sid: number,
    readonly who: number,
    readonly observed: FenceMode,
    readonly ttlMs: number,
  ) {
    super();
  }

  async apply(m: Model, r: Real): Promise<void> {
    const S = SIDS[this.sid]!;
    const claimant = OWNERS[this.who]!;
    const observed = fenceFor(m, S, this.observed === 'none' ? 'forgedToken' : this.observed)!;
    const result = await outcome(r.store.reclaimSessionExecutionLease(S, claimant, observed, this.ttlMs));
    const ttl = ttlOf(this.ttlMs);
    const row = m.rows.get(S);
    if (ttl === null) {
      expectRejected(result, 'InvalidArgument', { argument: 'ttlMs', expected: 'a number' });
      await expectEvents(m, r, []);
    } else if (!liveRow(row, m.now)) {
      // A free, released or expired row: plain acquisition (the observed holder is not checked).
      await expectAcquired(m, r, S, result, claimant, ttl);
    } else if (
      observed.sessionId === S &&
      sameIncarnation(row.owner, observed.owner) &&
      row.leaseToken === observed.leaseToken &&
      row.fencingToken === observed.fencingToken &&
      deadFor(row.owner.liveness, claimant.liveness)
    ) {
      // Takeover of a provably dead holder, observed exactly.
      await expectAcquired(m, r, S, result, claimant, ttl);
    } else {
      await expectBusy(m, r, S, result, row);
    }
  }

  toString(): string {
    return `reclaim(${SIDS[this.sid]}, ${OWNERS[this.who]!.ownerId}#${this.who}, observed ${this.observed}, ${this.ttlMs})`;
  }
}

class Renew extends Step {
  constructor(
    readonly sid: number,
    readonly mode: FenceMode,
    readonly ttlMs: number,
  ) {
    super();
  }

  async apply(m: Model, r: Real): Promise<void> {
    const fence = fenceFor(m, SIDS[this.sid]!, this.mode === 'none' ? 'forgedFencing' : this.mode)!;
    const T = fence.sessionId;
    const result = await outcome(r.store.renewSessionExecutionLease(fence, this.ttlMs));
    const ttl = ttlOf(this.ttlMs);
    const row = m.rows.get(T);
    if (ttl === null) {
      expectRejected(result, 'InvalidArgument', { argument: 'ttlMs', expected: 'a number' });
      await expectEvents(m, r, []);
    } else if (fenceValid(m, T, fence) && liveRow(row, m.now)) {
      const expiresAtMs = Math.min(m.now + ttl, MAX);
      same(
        expectResolved(result),
        {
          sessionId: T,
          owner: fence.owner,
          leaseToken: fence.leaseToken,
          fencingToken: fence.fencingToken,
          claimedAtEpochMs: row.claimedAtMs,
          expiresAtEpochMs: expiresAtMs,
        },
        'renewed lease',
      );
      await expectEvents(m, r, [
        { type: 'SessionExecutionLeaseExtended', stream: `lease:${T}`, data: { sessionId: T, expiresAtMs } },
      ]);
      m.rows.set(T, { ...row, expiresAtMs });
    } else {
      // I6: stale, released, superseded, forged and expired fences cannot renew.
      expectRejected(result, 'SessionExecutionLeaseExpired', { sessionId: T });
      await expectEvents(m, r, []);
    }
  }

  toString(): string {
    return `renew(${SIDS[this.sid]}, ${this.mode}, ${this.ttlMs})`;
  }
}

class Release extends Step {
  constructor(
    readonly sid: number,
    readonly mode: FenceMode,
  ) {
    super();
  }

  async apply(m: Model, r: Real): Promise<void> {
    const completion = fenceFor(m, SIDS[this.sid]!, this.mode === 'none' ? 'stale' : this.mode)!;
    const T = completion.sessionId;
    await r.store.releaseSessionExecutionLease(completion);
    const row = m.rows.get(T);
    if (row && releaseMatches(m, completion)) {
      // The fencing token stays with the released row.
      await expectEvents(m, r, [
        {
          type: 'SessionExecutionLeaseReleased',
          stream: `lease:${T}`,
          data: { sessionId: T, fencingToken: row.fencingToken },
        },
      ]);
      m.rows.set(T, { ...row, owner: null, leaseToken: null, claimedAtMs: 0, expiresAtMs: 0 });
    } else {
      await expectEvents(m, r, []);
    }
  }

  toString(): string {
    return `release(${SIDS[this.sid]}, ${this.mode})`;
  }
}

class Commit extends Step {
  constructor(
    readonly sid: number,
    readonly mode: FenceMode,
    readonly release: boolean,
  ) {
    super();
  }

  async apply(m: Model, r: Real): Promise<void> {
    const S = SIDS[this.sid]!;
    const fence = fenceFor(m, S, this.mode);
    const result = await outcome(
      r.store.commitRuntimeState({
        ...base(S),
        sessionExecutionLease: fence,
        releaseSessionExecutionLease: this.release && fence ? { ...fence } : null,
      }),
    );
    if (m.bound !== null && m.bound !== S) {
      expectRejected(result, 'SessionBindingMismatch', { boundSessionId: m.bound, attemptedSessionId: S });
      await expectEvents(m, r, []);
    } else if (!fenceValid(m, S, fence)) {
      // I6: only the current live lease may commit.
      expectRejected(result, 'SessionExecutionLeaseExpired', { sessionId: S });
      await expectEvents(m, r, []);
    } else {
      same(expectResolved(result).headRevision, m.revision + 1, 'head revision');
      m.revision++;
      m.bound = S;
      const expected: Expected[] = [{ type: 'RuntimeStateCommitted', stream: `session:${S}` }];
      const row = m.rows.get(S)!;
      if (this.release) {
        expected.push({
          type: 'SessionExecutionLeaseReleased',
          stream: `lease:${S}`,
          data: { sessionId: S, fencingToken: row.fencingToken },
        });
        m.rows.set(S, { ...row, owner: null, leaseToken: null, claimedAtMs: 0, expiresAtMs: 0 });
      }
      await expectEvents(m, r, expected);
    }
  }

  toString(): string {
    return `commit(${SIDS[this.sid]}, ${this.mode}, release ${this.release})`;
  }
}

class Advance extends Step {
  constructor(readonly ms: number) {
    super();
  }

  async apply(m: Model, r: Real): Promise<void> {
    r.clock.advance(this.ms);
    m.now += this.ms;
  }

  toString(): string {
    return `advance(${this.ms})`;
  }
}

// ---------------------------------------------------------------- arbitraries

const sid = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, fc.integer({ min: 1, max: SIDS.length - 1 }));
const who = fc.integer({ min: 0, max: OWNERS.length - 1 });
/** Claimants that can prove a holder dead: local processes on host-a / boot-a, plus the odd others. */
const claimant = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(3, 4, 5, 7) }, who);
const ttl = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(0, 1, 7, 60_000, 60_000, 60_000) },
  { weight: 3, arbitrary: fc.constantFrom(-5, 0.9, 7.9, MAX - 1, MAX, 2 ** 60, Number.POSITIVE_INFINITY) },
  { weight: 1, arbitrary: fc.constant(Number.NaN) },
);
const mode = fc.oneof(
  { weight: 5, arbitrary: fc.constant<FenceMode>('current') },
  {
    weight: 5,
    arbitrary: fc.constantFrom<FenceMode>(
      'stale',
      'forgedToken',
      'forgedFencing',
      'otherIncarnation',
      'otherLiveness',
      'otherSession',
      'none',
    ),
  },
);

const leaseCommand: fc.Arbitrary<fc.AsyncCommand<Model, Real>> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(sid, who, ttl).map(([s, w, t]) => new TryClaim(s, w, t)) },
  { weight: 3, arbitrary: fc.tuple(sid, claimant, mode, ttl).map(([s, w, o, t]) => new Reclaim(s, w, o, t)) },
  { weight: 2, arbitrary: fc.tuple(sid, mode, ttl).map(([s, f, t]) => new Renew(s, f, t)) },
  { weight: 2, arbitrary: fc.tuple(sid, mode).map(([s, f]) => new Release(s, f)) },
  { weight: 2, arbitrary: fc.tuple(sid, mode, fc.boolean()).map(([s, f, rel]) => new Commit(s, f, rel)) },
  {
    weight: 2,
    arbitrary: fc
      .oneof({ weight: 4, arbitrary: fc.constantFrom(0, 1, 6, 7, 8) }, fc.constantFrom(1_000, 60_000, 1e9))
      .map((ms) => new Advance(ms)),
  },
);

// ---------------------------------------------------------------- the properties

describe.skipIf(REAL_START === null)('session execution lease fencing (I5, I6)', () => {
  it('the liveness model matches isDefinitelyDeadForClaimant for every owner pair', () => {
    for (const holder of OWNERS) {
      for (const claimant of OWNERS) {
        expect(isDefinitelyDeadForClaimant(holder.liveness, claimant.liveness), `${holder.ownerId} → ${claimant.ownerId}`).toBe(
          deadFor(holder.liveness, claimant.liveness),
        );
      }
    }
  });

  it(
    'claims, reclaims, renewals, releases, commits and clock moves keep one fenced lease per session',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 50 }).map((k) => k === 1),
          fc.commands([leaseCommand], { maxCommands: 16, size: 'medium' }),
          async (verifyEachStep, cmds) => {
            const clock = new ManualClock(START);
            const store = await Store.memory({ clock });
            try {
              const model: Model = {
                now: START,
                rows: new Map(),
                leases: new Map(),
                tokens: new Set(),
                bound: null,
                revision: 0,
              };
              const real: Real = { store, clock, events: new EventCursor(store), verifyEachStep };
              await fc.asyncModelRun(() => ({ model, real }), cmds);
              await real.events.expectTypes([]);
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
