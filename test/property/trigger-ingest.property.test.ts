/**
 * fast-check property of trigger ingestion (40-effects-triggers §6 T7, T8), over at least 1,000
 * runs with a `ManualClock`: random subscription mutations (register, update, enable, disable,
 * delete) interleaved with occurrences drawn from a few idempotency keys. An independent model
 * predicts, for each first ingest, exactly the subscriptions that were enabled, live and matching;
 * every replay returns the identical occurrence and delivery set (`alreadyReserved`), a changed
 * request under a used key is `OccurrenceIdempotencyConflict`, and neither ever writes or adds a
 * delivery.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import {
  SqliteTriggerStore,
  type TriggerCommand,
  type TriggerIngressResult,
  type TriggerOccurrenceRequest,
  type TriggerSubscriptionDraft,
} from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';

const NUM_RUNS = Math.max(1000, Number(process.env.LASH_PROPERTY_RUNS) || 0);
const TIMEOUT_MS = 240_000;

const SESSIONS = ['s1', 's2'] as const;
const KEYS = ['k1', 'k2', 'k3'] as const;
const SOURCES = ['src-a', 'src-b'] as const;

type Step =
  | {
      kind: 'register' | 'update';
      session: (typeof SESSIONS)[number];
      key: (typeof KEYS)[number];
      source: (typeof SOURCES)[number];
      label: number;
    }
  | { kind: 'enable' | 'disable' | 'delete'; session: (typeof SESSIONS)[number]; key: (typeof KEYS)[number] }
  | { kind: 'ingest'; idem: number; source: (typeof SOURCES)[number]; payload: number; routeTo: (typeof SESSIONS)[number] | null }
  | { kind: 'advance'; ms: number };

const session = fc.constantFrom(...SESSIONS);
const key = fc.constantFrom(...KEYS);
const source = fc.constantFrom(...SOURCES);
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('register' as const, 'update' as const),
    session,
    key,
    source,
    label: fc.integer({ min: 0, max: 2 }),
  }),
  fc.record({ kind: fc.constantFrom('enable' as const, 'disable' as const, 'delete' as const), session, key }),
  fc.record({
    kind: fc.constant('ingest' as const),
    idem: fc.integer({ min: 0, max: 3 }),
    source,
    payload: fc.integer({ min: 0, max: 1 }),
    routeTo: fc.option(session, { nil: null }),
  }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 1000 }) }),
);

function draftOf(s: string, k: string, src: string, label: number): TriggerSubscriptionDraft {
  return {
    subscriptionKey: k,
    envRef: `env:${s}`,
    sourceType: 'prop.event',
    sourceKey: src,
    payloadSchema: {},
    target: { kind: 'engine', engineKind: 'test', payload: { label } },
    targetIdentity: { kind: 'test', label: `worker-${label}` },
  };
}

/** Reservations sorted by subscription id, with one status, for set comparisons. */
function bySubscription(list: TriggerIngressResult['reservations'], status: 'reserved'): TriggerIngressResult['reservations'] {
  return list
    .map((r) => ({ ...r, reservationStatus: status }))
    .sort((a, b) => (a.subscription.subscriptionId < b.subscription.subscriptionId ? -1 : 1));
}

interface ModelSub {
  revision: number;
  enabled: boolean;
  tombstoned: boolean;
  source: string;
}

it(
  'trigger ingest replays are idempotent and never add deliveries',
  async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        const clock = new ManualClock(1_700_000_000_000);
        const store = await SqliteTriggerStore.memory({ clock });
        try {
          const subs = new Map<string, ModelSub>();
          const first = new Map<number, { request: TriggerOccurrenceRequest; result: TriggerIngressResult }>();
          let deliveries = 0;
          let op = 0;
          for (const s of steps) {
            const id = `${s.kind !== 'ingest' && s.kind !== 'advance' ? `${s.session}/${s.key}` : ''}`;
            const owner =
              s.kind !== 'ingest' && s.kind !== 'advance' ? ({ kind: 'session', sessionId: s.session } as const) : null;
            const actor = owner
              ? ({ kind: 'session', scope: { sessionId: owner.sessionId, agentFrameId: null } } as const)
              : null;
            switch (s.kind) {
              case 'advance':
                clock.advance(s.ms);
                break;
              case 'register':
              case 'update': {
                const sub = subs.get(id);
                const d = draftOf(s.session, s.key, s.source, s.label);
                const command: TriggerCommand =
                  s.kind === 'register'
                    ? { kind: 'register', ownerScope: owner as never, actor: actor as never, draft: d }
                    : {
                        kind: 'update',
                        ownerScope: owner as never,
                        actor: actor as never,
                        subscriptionKey: s.key,
                        draft: d,
                        expectedRevision: sub?.revision ?? 1,
                      };
                const result = await store.executeCommand(`op-${op++}`, command);
                if (result.kind === 'ok' && result.outcome.kind === 'mutation') {
                  const r = result.outcome.receipt.recordSnapshot;
                  subs.set(id, { revision: r.revision, enabled: r.enabled, tombstoned: r.tombstoned, source: r.sourceKey });
                }
                break;
              }
              case 'enable':
              case 'disable':
              case 'delete': {
                const sub = subs.get(id);
                const result = await store.executeCommand(`op-${op++}`, {
                  kind: s.kind,
                  ownerScope: owner as never,
                  actor: actor as never,
                  subscriptionKey: s.key,
                  expectedRevision: sub?.revision ?? 1,
                });
                if (result.kind === 'ok' && result.outcome.kind === 'mutation') {
                  const r = result.outcome.receipt.recordSnapshot;
                  subs.set(id, { revision: r.revision, enabled: r.enabled, tombstoned: r.tombstoned, source: r.sourceKey });
                }
                break;
              }
              case 'ingest': {
                const request: TriggerOccurrenceRequest = {
                  sourceType: 'prop.event',
                  sourceKey: s.source,
                  idempotencyKey: `idem-${s.idem}`,
                  payload: { n: s.payload },
                  sessionId: s.routeTo,
                };
                const seen = first.get(s.idem);
                const before = (await store.readEvents()).length;
                if (seen === undefined) {
                  const result = await store.ingestOccurrence(request);
                  // The model: enabled, live, matching subscriptions (of the routed session), by owner then key.
                  const expected = [...subs.entries()]
                    .filter(
                      ([sid, m]) =>
                        m.enabled &&
                        !m.tombstoned &&
                        m.source === s.source &&
                        (s.routeTo === null || sid.startsWith(`${s.routeTo}/`)),
                    )
                    .map(([sid, m]) => ({ sid, revision: m.revision }))
                    .sort((a, b) => (a.sid < b.sid ? -1 : a.sid > b.sid ? 1 : 0));
                  expect(
                    result.reservations.map((r) => ({
                      sid: `${(r.subscription.ownerScope as { sessionId: string }).sessionId}/${r.subscription.subscriptionKey}`,
                      revision: r.subscription.revision,
                    })),
                  ).toEqual(expected);
                  expect(result.reservations.every((r) => r.reservationStatus === 'reserved')).toBe(true);
                  expect(result.occurrence.occurredAtMs).toBe(clock.timestampMs());
                  deliveries += result.reservations.length;
                  first.set(s.idem, { request, result });
                } else {
                  const same =
                    seen.request.sourceKey === request.sourceKey && (seen.request.payload as { n: number }).n === s.payload;
                  if (same) {
                    const replay = await store.ingestOccurrence(request);
                    expect(replay.occurrence).toEqual(seen.result.occurrence);
                    expect(replay.reservations.map((r) => ({ ...r, reservationStatus: 'reserved' }))).toEqual(
                      seen.result.reservations,
                    );
                    expect(replay.reservations.every((r) => r.reservationStatus === 'alreadyReserved')).toBe(true);
                    expect(replay.skippedMalformedRows).toBe(0);
                  } else {
                    await expect(store.ingestOccurrence(request)).rejects.toMatchObject({
                      code: 'OccurrenceIdempotencyConflict',
                    });
                  }
                  expect((await store.readEvents()).length).toBe(before);
                }
                expect((await store.listDeliveries()).length).toBe(deliveries);
                break;
              }
            }
          }
          // Deliveries never change after the fact: each first ingest's reservations are still listed as reserved.
          for (const { result } of first.values()) {
            const listed = await store.listDeliveriesByOccurrenceId(result.occurrence.occurrenceId);
            expect(bySubscription(listed, 'reserved')).toEqual(bySubscription(result.reservations, 'reserved'));
          }
          expect((await store.listOccurrences({})).occurrences).toHaveLength(first.size);
          expect((await store.verifyProjections()).mismatches).toEqual([]);
        } finally {
          await store.close();
        }
      }),
      {
        numRuns: NUM_RUNS,
        // A shrunk counterexample found in CI: a replay returned its reservations in another order
        // than the first ingest (subscription-id order instead of owner scope, then key).
        examples: [
          [
            [
              { kind: 'register', session: 's2', key: 'k1', source: 'src-b', label: 0 },
              { kind: 'register', session: 's1', key: 'k1', source: 'src-b', label: 0 },
              { kind: 'ingest', idem: 2, source: 'src-b', payload: 0, routeTo: null },
              { kind: 'ingest', idem: 2, source: 'src-b', payload: 0, routeTo: null },
              { kind: 'register', session: 's1', key: 'k1', source: 'src-a', label: 0 },
            ],
          ],
        ],
      },
    );
  },
  TIMEOUT_MS,
);
