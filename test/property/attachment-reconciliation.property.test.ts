/**
 * Model-based property of attachment reconciliation (20-blobs-attachments-lifecycle §4.3–§4.5,
 * §9.1 invariants 7–9): over random intents in two sessions (no owner, turn owners, process
 * owners), refreshes, commit stamps, forgets, turn commits at chosen times and registry changes,
 * `forgetAgedUncommittedIntents(c)`
 *   - never forgets a committed row, a row younger than the cutoff, a turn-owned row without a later
 *     commit of another turn of its session, or a row of a process the registry still has;
 *   - forgets every other aged uncommitted row (exactly the model's dead set) and is idempotent;
 *   - agrees with `hasLiveRefForId(id, c)` asked just before it;
 * and `listUncommitted`, `listAllRefs` and `holdsRef` always equal the model.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { type AttachmentManifestEntry, Store, turnCommitHash } from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { expectReplayClean, FakeProcessRegistry, PROPERTY_RUNS, PROPERTY_TIMEOUT_MS } from '../support/attachments.js';
import { base, commitWith } from '../support/fixtures.js';

const S = 's';
const SESSIONS = [S, 'other'];
const IDS = ['a', 'b', 'c'];
const TURNS = ['t0', 't1', 't2'];
const PROCESSES = ['p0', 'p1'];
const TIMES = [0, 5, 10, 15, 20];

type Owner = { kind: 'turn' | 'process'; id: string } | null;
type Op =
  | { kind: 'intent'; session: number; id: number; at: number; owner: Owner }
  | { kind: 'commitRefs'; session: number; ids: number[] }
  | { kind: 'forget'; session: number; id: number }
  | { kind: 'turnCommit'; turn: number; at: number }
  | { kind: 'process'; id: number; registered: boolean }
  | { kind: 'reconcile'; cutoff: number };

const ownerArb: fc.Arbitrary<Owner> = fc.oneof(
  fc.constant(null),
  fc.constantFrom(...TURNS).map((id) => ({ kind: 'turn' as const, id })),
  fc.constantFrom(...PROCESSES).map((id) => ({ kind: 'process' as const, id })),
);
const timeArb = fc.constantFrom(...TIMES);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('intent' as const),
      session: fc.integer({ min: 0, max: 1 }),
      id: fc.integer({ min: 0, max: 2 }),
      at: timeArb,
      owner: ownerArb,
    }),
    weight: 5,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('commitRefs' as const),
      session: fc.integer({ min: 0, max: 1 }),
      ids: fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 3 }),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('forget' as const),
      session: fc.integer({ min: 0, max: 1 }),
      id: fc.integer({ min: 0, max: 2 }),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('turnCommit' as const), turn: fc.integer({ min: 0, max: 2 }), at: timeArb }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('process' as const), id: fc.integer({ min: 0, max: 1 }), registered: fc.boolean() }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('reconcile' as const),
      cutoff: fc.oneof(timeArb, fc.constantFrom(-1, 7.5, Number.MAX_SAFE_INTEGER, 2 ** 64)),
    }),
    weight: 3,
  },
);

interface Row extends AttachmentManifestEntry {}

const key = (session: string, id: string) => `${session}\u0000${id}`;

it(
  'reconciliation forgets exactly the aged uncommitted rows of dead owners, never a committed or live-owned one',
  async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 14 }), async (ops) => {
        const clock = new ManualClock(0);
        const registry = new FakeProcessRegistry();
        const store = await Store.memory({ clock, processRegistry: registry });
        const rows = new Map<string, Row>();
        const commits: Array<{ turn: string; at: number }> = [];
        const committedTurns = new Set<string>();
        const dead = (row: Row): boolean => {
          if (row.ownerKind === null) return true;
          if (row.ownerKind === 'process') return !registry.processes.has(row.ownerId as string);
          return row.sessionId === S && commits.some((c) => c.turn !== row.ownerId && c.at > row.intentAtEpochMs);
        };
        const sorted = () =>
          [...rows.values()].sort(
            (x, y) =>
              x.intentAtEpochMs - y.intentAtEpochMs ||
              (x.sessionId < y.sessionId ? -1 : x.sessionId > y.sessionId ? 1 : 0) ||
              (x.attachmentId < y.attachmentId ? -1 : x.attachmentId > y.attachmentId ? 1 : 0),
          );
        try {
          for (const op of ops) {
            switch (op.kind) {
              case 'intent': {
                const sessionId = SESSIONS[op.session] as string;
                const attachmentId = IDS[op.id] as string;
                const intent = {
                  attachmentId,
                  sessionId,
                  canonicalUri: `lash-attachment://sha256/${attachmentId}`,
                  intentAtEpochMs: op.at,
                  ownerKind: op.owner?.kind ?? null,
                  ownerId: op.owner?.id ?? null,
                };
                await store.recordIntent(intent);
                const existing = rows.get(key(sessionId, attachmentId));
                rows.set(key(sessionId, attachmentId), { ...intent, committedAtEpochMs: existing?.committedAtEpochMs ?? null });
                break;
              }
              case 'commitRefs': {
                const sessionId = SESSIONS[op.session] as string;
                const ids = op.ids.map((i) => IDS[i] as string);
                await store.commitRefs(sessionId, ids);
                for (const id of ids) {
                  const row = rows.get(key(sessionId, id));
                  if (row && row.committedAtEpochMs === null) row.committedAtEpochMs = clock.timestampMs();
                }
                break;
              }
              case 'forget':
                await store.forget(SESSIONS[op.session] as string, IDS[op.id] as string);
                rows.delete(key(SESSIONS[op.session] as string, IDS[op.id] as string));
                break;
              case 'turnCommit': {
                const turn = TURNS[op.turn] as string;
                if (committedTurns.has(turn)) break;
                committedTurns.add(turn);
                clock.set(op.at);
                const c = base(S);
                await commitWith(
                  store,
                  { ...c, turnCommit: { sessionId: S, turnId: turn, turnCommitHash: turnCommitHash(c) } },
                  `o-${turn}`,
                );
                for (const row of rows.values()) {
                  if (
                    row.sessionId === S &&
                    row.committedAtEpochMs === null &&
                    row.ownerKind === 'turn' &&
                    row.ownerId === turn
                  ) {
                    row.committedAtEpochMs = op.at;
                  }
                }
                commits.push({ turn, at: op.at });
                break;
              }
              case 'process':
                if (op.registered) registry.processes.add(PROCESSES[op.id] as string);
                else registry.processes.delete(PROCESSES[op.id] as string);
                break;
              case 'reconcile': {
                const c = op.cutoff >= Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : Math.max(0, Math.floor(op.cutoff));
                const doomed = new Set(
                  [...rows.entries()]
                    .filter(([, r]) => r.committedAtEpochMs === null && r.intentAtEpochMs <= c && dead(r))
                    .map(([k]) => k),
                );
                const survivors = new Set([...rows.entries()].filter(([k]) => !doomed.has(k)).map(([, r]) => r.attachmentId));
                const probes = new Map<string, boolean>();
                for (const id of IDS) probes.set(id, await store.hasLiveRefForId(id, op.cutoff));
                await store.forgetAgedUncommittedIntents(op.cutoff);
                for (const [k, row] of rows) {
                  const kept = await store.holdsRef(row.sessionId, row.attachmentId);
                  // Never: a committed row, a young row, a live owner.
                  if (row.committedAtEpochMs !== null || row.intentAtEpochMs > c || !dead(row)) expect(kept, k).toBe(true);
                  // Always: every aged uncommitted row of a dead owner.
                  expect(kept, k).toBe(!doomed.has(k));
                }
                for (const k of doomed) rows.delete(k);
                const after = new Set(await store.listAllRefs());
                for (const id of IDS) {
                  expect(probes.get(id), id).toBe(after.has(id));
                  expect(after.has(id)).toBe(survivors.has(id));
                }
                // Idempotent.
                const seq = (await store.readEvents()).at(-1)?.seq ?? 0;
                await store.forgetAgedUncommittedIntents(op.cutoff);
                expect((await store.readEvents()).at(-1)?.seq ?? 0).toBe(seq);
                break;
              }
            }
            expect(await store.listUncommitted(Number.MAX_SAFE_INTEGER)).toEqual(
              sorted().filter((r) => r.committedAtEpochMs === null),
            );
            expect(await store.listAllRefs()).toEqual([...new Set([...rows.values()].map((r) => r.attachmentId))].sort());
          }
          await expectReplayClean(store);
        } finally {
          await store.close();
        }
      }),
      { numRuns: PROPERTY_RUNS },
    );
  },
  PROPERTY_TIMEOUT_MS,
);
