/**
 * Process lease fencing (30-process-registry §4 invariants 11–12, §3.8) against a model under a
 * `ManualClock`: claims, reclaims (with a probe that proves the `dead` owner dead), renewals, releases
 * and leased completions by current, stale and foreign holders, and clock advances. After every
 * step the outcome equals the model's, the stored lease equals the model's row, every fresh
 * acquisition's fencing token is strictly greater than every earlier one of that process row, and a
 * foreign claim of a live lease is `busy` (so there are never two live holders).
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import {
  type LeaseOwnerIdentity,
  type ProcessLease,
  type ProcessLeaseClaimOutcome,
  SqliteProcessRegistry,
} from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { localOwner, owner, reg, success } from '../support/process-fixtures.js';

const NUM_RUNS = Math.max(1000, Number(process.env.LASH_PROPERTY_RUNS) || 0);
const MAX = Number.MAX_SAFE_INTEGER;
const PID = process.pid;

const OWNERS: LeaseOwnerIdentity[] = [
  owner('a'),
  owner('b'),
  { ownerId: 'a', incarnationId: 'a:next', liveness: { kind: 'opaque' } },
  localOwner('dead', 'host', 'boot', PID, 'dead'),
  localOwner('live', 'host', 'boot', PID, 'live'),
  localOwner('other-host', 'host-2', 'boot', PID, 'live'),
];
const FOREIGN = owner('foreign-prober');
const TTLS = [0, 1, 5, 20, 100, -3, 7.5, MAX];

type Step =
  | { kind: 'claim'; owner: number; ttl: number }
  | { kind: 'reclaim'; owner: number; observed: number; ttl: number }
  | { kind: 'renew'; lease: number; ttl: number }
  | { kind: 'release'; lease: number }
  | { kind: 'complete'; lease: number }
  | { kind: 'advance'; ms: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('claim' as const), owner: fc.nat(OWNERS.length - 1), ttl: fc.constantFrom(...TTLS) }),
  fc.record({
    kind: fc.constant('reclaim' as const),
    owner: fc.nat(OWNERS.length - 1),
    observed: fc.nat(20),
    ttl: fc.constantFrom(...TTLS),
  }),
  fc.record({ kind: fc.constant('renew' as const), lease: fc.nat(20), ttl: fc.constantFrom(...TTLS) }),
  fc.record({ kind: fc.constant('release' as const), lease: fc.nat(20) }),
  fc.record({ kind: fc.constant('complete' as const), lease: fc.nat(20) }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(1, 4, 19, 50) }),
);

interface Row {
  owner: LeaseOwnerIdentity | null;
  token: string | null;
  fencing: number;
  claimedAt: number;
  expiresAt: number;
}

const ttlOf = (ttl: number) => (ttl >= MAX ? MAX : ttl <= 0 ? 0 : Math.floor(ttl));
const expiry = (now: number, ttl: number) => Math.min(now + ttlOf(ttl), MAX);
const same = (x: LeaseOwnerIdentity, y: LeaseOwnerIdentity) => x.ownerId === y.ownerId && x.incarnationId === y.incarnationId;
const dead = (holder: LeaseOwnerIdentity, claimant: LeaseOwnerIdentity) =>
  holder.liveness.kind === 'localProcess' &&
  claimant.liveness.kind === 'localProcess' &&
  holder.liveness.hostId === claimant.liveness.hostId &&
  holder.liveness.bootId === claimant.liveness.bootId &&
  holder.liveness.processStart === 'dead';

it('process lease fencing tokens strictly increase per acquisition and there are never two live holders', async () => {
  const clock = new ManualClock(1_000_000);
  const livenessProbe = { isAlive: (_pid: number, start: string) => start !== 'dead' };
  const registry = await SqliteProcessRegistry.memory({ clock, livenessProbe });
  let run = 0;
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 30 }), async (steps) => {
        const id = `lease-${run++}`;
        await registry.registerProcess(reg(id));
        let row: Row | null = null;
        let terminal = false;
        const leases: ProcessLease[] = [];
        const acquiredFencings: number[] = [];
        const live = () => row !== null && row.owner !== null && row.expiresAt > clock.timestampMs();
        const pick = (i: number): ProcessLease | undefined => leases[i % Math.max(1, leases.length)];
        const acquire = (o: LeaseOwnerIdentity, ttl: number, outcome: ProcessLeaseClaimOutcome) => {
          expect(outcome.kind).toBe('acquired');
          if (outcome.kind !== 'acquired') return;
          const fencing = (row?.fencing ?? 0) + 1;
          expect(outcome.lease.fencingToken).toBe(fencing);
          for (const earlier of acquiredFencings) expect(outcome.lease.fencingToken).toBeGreaterThan(earlier);
          expect(leases.some((l) => l.leaseToken === outcome.lease.leaseToken)).toBe(false);
          acquiredFencings.push(fencing);
          const now = clock.timestampMs();
          row = { owner: o, token: outcome.lease.leaseToken, fencing, claimedAt: now, expiresAt: expiry(now, ttl) };
          expect(outcome.lease.expiresAtEpochMs).toBe(row.expiresAt);
          leases.push(outcome.lease);
        };
        for (const step of steps) {
          const now = clock.timestampMs();
          switch (step.kind) {
            case 'advance':
              clock.advance(step.ms);
              break;
            case 'claim': {
              const o = OWNERS[step.owner]!;
              const outcome = await registry.claimProcessLease(id, o, step.ttl);
              const r = row as Row | null;
              if (live() && r) {
                if (same(r.owner!, o)) {
                  expect(outcome).toMatchObject({ kind: 'acquired', lease: { leaseToken: r.token, fencingToken: r.fencing } });
                  r.expiresAt = expiry(now, step.ttl);
                } else {
                  expect(outcome).toMatchObject({ kind: 'busy', holder: { leaseToken: r.token } });
                }
              } else acquire(o, step.ttl, outcome);
              break;
            }
            case 'reclaim': {
              const o = OWNERS[step.owner]!;
              const observed = pick(step.observed) ?? {
                schemaVersion: 1,
                processId: id,
                owner: FOREIGN,
                leaseToken: 'none',
                fencingToken: 0,
                claimedAtEpochMs: 0,
                expiresAtEpochMs: 0,
              };
              const outcome = await registry.reclaimProcessLease(id, o, observed, step.ttl);
              const r = row as Row | null;
              if (live() && r) {
                const matches =
                  same(r.owner!, observed.owner) && r.token === observed.leaseToken && r.fencing === observed.fencingToken;
                if (matches && dead(r.owner!, o)) acquire(o, step.ttl, outcome);
                else expect(outcome).toMatchObject({ kind: 'busy', holder: { leaseToken: r.token } });
              } else acquire(o, step.ttl, outcome);
              break;
            }
            case 'renew': {
              const lease = pick(step.lease);
              if (!lease) break;
              const r = row as Row | null;
              const holds = live() && r !== null && r.token === lease.leaseToken && r.fencing === lease.fencingToken;
              const result = await registry.renewProcessLease(lease, step.ttl).then(
                (l) => l,
                (e: { code?: string }) => e.code,
              );
              if (holds && r) {
                r.expiresAt = expiry(now, step.ttl);
                expect(result).toMatchObject({ leaseToken: lease.leaseToken, expiresAtEpochMs: r.expiresAt });
              } else expect(result).toBe('LeaseExpired');
              break;
            }
            case 'release': {
              const lease = pick(step.lease);
              if (!lease) break;
              await registry.completeProcessLease({ processId: id, leaseToken: lease.leaseToken });
              const r = row as Row | null;
              if (r && r.token === lease.leaseToken) row = { ...r, owner: null, token: null, claimedAt: 0, expiresAt: 0 };
              break;
            }
            case 'complete': {
              const lease = pick(step.lease);
              if (!lease) break;
              const r = row as Row | null;
              const holds = live() && r !== null && r.token === lease.leaseToken && r.fencing === lease.fencingToken;
              const result = await registry.completeProcessWithLease(lease, success(lease.fencingToken)).then(
                (rec) => rec.status.kind,
                (e: { code?: string }) => e.code,
              );
              if (terminal) {
                // Only a replay of the exact same output succeeds once terminal; others conflict.
                expect(['completed', 'ReplayKeyConflict']).toContain(result);
              } else if (holds && r) {
                expect(result).toBe('completed');
                terminal = true;
                row = { ...r, owner: null, token: null, claimedAt: 0, expiresAt: 0 };
              } else expect(result).toBe('LeaseExpired');
              break;
            }
          }
          const stored = await registry.getProcessLease(id);
          const r = row as Row | null;
          if (r === null || r.owner === null) expect(stored).toBeNull();
          else {
            expect(stored).toMatchObject({
              leaseToken: r.token,
              fencingToken: r.fencing,
              claimedAtEpochMs: r.claimedAt,
              expiresAtEpochMs: r.expiresAt,
            });
            expect(stored?.owner.ownerId).toBe(r.owner.ownerId);
          }
          if (live()) {
            const probe = await registry.claimProcessLease(id, FOREIGN, 1);
            expect(probe.kind).toBe('busy');
          }
        }
      }),
      { numRuns: NUM_RUNS },
    );
    expect((await registry.verifyProjections()).mismatches).toEqual([]);
  } finally {
    await registry.close();
  }
}, 240_000);
