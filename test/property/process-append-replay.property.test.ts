/**
 * Process event replay (30-process-registry §4 invariants 1–4): random appends with reused keys,
 * types and payloads against a model. A replay with the same key, type and payload returns the stored
 * event (sequence, time, semantics, wake delivery) and consumes no sequence number and appends no
 * database event; the same key with another type or payload is `ReplayKeyConflict` and changes
 * nothing; sequences stay dense. Each run uses a fresh process of one shared registry (the registry
 * is verified against its replayed log at the end).
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { type ProcessEvent, type ProcessEventAppendResult, SqliteProcessRegistry } from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { only, plainType, reg, wakeType } from '../support/process-fixtures.js';

const NUM_RUNS = Math.max(1000, Number(process.env.LASH_PROPERTY_RUNS) || 0);

const stepArb = fc.record({
  type: fc.constantFrom('a', 'b', 'w'),
  payload: fc.constantFrom<Record<string, string | number>>(
    {},
    { n: 1 },
    { n: 2 },
    { wake_input: 'go' },
    { wake_input: 'go', n: 1 },
  ),
  key: fc.option(fc.constantFrom('k1', 'k2', 'k3', ''), { nil: null }),
  advance: fc.nat(3),
});

it('appendEvent replays return the stored event, consume no sequence, conflict on another payload, stay dense', async () => {
  const clock = new ManualClock(1000);
  const registry = await SqliteProcessRegistry.memory({ clock });
  let run = 0;
  let lastSeq = 0;
  const newEvents = async () => {
    const events = await registry.readEvents({ afterSeq: lastSeq });
    lastSeq = events.at(-1)?.seq ?? lastSeq;
    return events;
  };
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 25 }), async (steps) => {
        const id = `p-${run++}`;
        await registry.registerProcess(only(reg(id), plainType('a'), plainType('b'), wakeType('w')));
        await newEvents();
        const byKey = new Map<string, { type: string; payload: unknown; result: ProcessEventAppendResult }>();
        const log: ProcessEvent[] = [];
        for (const step of steps) {
          clock.advance(step.advance);
          const request = {
            eventType: step.type,
            payload: step.payload,
            replay: step.key === null ? null : { key: step.key },
            wakeTargetScope: { sessionId: 's', agentFrameId: null },
          };
          const stored = step.key === null ? undefined : byKey.get(step.key);
          if (stored && (stored.type !== step.type || !isDeepStrictEqual(stored.payload, step.payload))) {
            const error = await registry.appendEvent(id, request).then(
              () => null,
              (e: { code?: string }) => e,
            );
            expect(error?.code).toBe('ReplayKeyConflict');
            expect(await newEvents()).toEqual([]);
            continue;
          }
          const result = await registry.appendEvent(id, request);
          const appended = await newEvents();
          if (stored) {
            expect(result).toEqual(stored.result);
            expect(appended).toEqual([]);
          } else {
            log.push(result.event);
            expect(result.event.sequence).toBe(log.length);
            expect(result.event.occurredAtMs).toBe(clock.timestampMs());
            expect(appended.map((e) => e.type)).toEqual(['ProcessEventAppended']);
            if (step.key !== null) byKey.set(step.key, { type: step.type, payload: step.payload, result });
          }
          expect(result.wakeDelivery === null).toBe(result.event.semantics.wake === null);
        }
        expect(await registry.eventsAfter(id, 0)).toEqual(log);
      }),
      { numRuns: NUM_RUNS },
    );
    const report = await registry.verifyProjections();
    expect(report.mismatches).toEqual([]);
  } finally {
    await registry.close();
  }
}, 240_000);
