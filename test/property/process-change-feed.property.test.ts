/**
 * Change feed paging (30-process-registry §4 invariants 9–10, §3.10) while writers run: fast-check's
 * scheduler interleaves several writers (register, append, wait set/clear, grants, acks, complete)
 * with a reader that pages `processesChangedSince` from an arbitrary cursor with a random limit. The
 * reader never sees a change twice, sees change sequences strictly increasing, every page advances
 * its cursor, and once the writers are done and a page comes back empty, the last version it saw of
 * every process that changed after its start cursor deep-equals `getProcess` — nothing was skipped.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { ProcessChangeCursor, type ProcessRecord, SqliteProcessRegistry } from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { ext, plainType, plus, reg, S, success } from '../support/process-fixtures.js';

const NUM_RUNS = Math.max(1000, Number(process.env.LASH_PROPERTY_RUNS) || 0);

type Op = 'append' | 'wait' | 'clear' | 'grant' | 'complete' | 'advance';
const opArb = fc.constantFrom<Op>('append', 'append', 'wait', 'clear', 'grant', 'complete', 'advance');

it('change-feed paging from any cursor never skips or repeats a change while writers run', async () => {
  const clock = new ManualClock(1000);
  const registry = await SqliteProcessRegistry.memory({ clock });
  let run = 0;
  // Every change of a run happens to that run's processes, so the head after a run is their maximum.
  let globalHead = 0;
  const wait = (id: string) => ({
    sinceMs: 1,
    kind: { kind: 'signal' as const, name: 'x', eventType: 'signal.x', key: `process:${id}:signal.x:1`, ordinal: 1 },
  });
  const apply = async (id: string, op: Op, n: number) => {
    switch (op) {
      case 'append':
        await registry.appendEvent(id, { eventType: 'tick', payload: { n }, replay: null, wakeTargetScope: null });
        return;
      case 'wait':
        await registry.setProcessWait(id, wait(id)).catch((e: { code?: string }) => expect(e.code).toBe('TerminalRejectsWait'));
        return;
      case 'clear':
        await registry.clearProcessWait(id);
        return;
      case 'grant':
        await registry.grantHandle(S(`s-${n % 2}`), id, { kind: 'k', label: String(n) });
        return;
      case 'complete':
        await registry
          .completeProcess(id, success({ id }), ext('feed'))
          .catch((e: { code?: string }) => expect(e.code).toBe('AlreadyTerminal'));
        return;
      case 'advance':
        clock.advance(1);
        return;
    }
  };
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.array(opArb, { maxLength: 6 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.nat(4),
        fc.nat(),
        async (s, scripts, limit, preCount, startPick) => {
          const r = run++;
          const ids = scripts.map((_, w) => `feed-${r}-${w}`);
          // Before the reader starts: register everyone and run a few operations sequentially.
          const base = globalHead;
          for (const id of ids) await registry.registerProcess(plus(reg(id), plainType('tick')));
          const pre = scripts.map((ops) => ops.slice(0, preCount));
          for (const [w, ops] of pre.entries()) for (const [i, op] of ops.entries()) await apply(ids[w]!, op, i);
          const head = (
            await registry.processesChangedSince(ProcessChangeCursor.fromStoreSequence(base), Number.MAX_SAFE_INTEGER)
          ).nextCursor.storeSequence;
          const start = base + (startPick % (head - base + 1));
          let writersDone = false;
          const emitted = new Set<string>();
          const lastSeen = new Map<string, ProcessRecord>();
          let lastSeq = start;
          const reader = (async () => {
            let cursor = ProcessChangeCursor.fromStoreSequence(start);
            for (;;) {
              await s.schedule(Promise.resolve('read'));
              const doneBefore = writersDone;
              const page = await registry.processesChangedSince(cursor, limit);
              if (page.records.length === 0) {
                expect(page.nextCursor).toEqual(cursor);
                if (doneBefore) return;
                continue;
              }
              for (const record of page.records) {
                expect(record.changeSeq).toBeGreaterThan(lastSeq);
                lastSeq = record.changeSeq;
                const key = `${record.id}@${record.changeSeq}`;
                expect(emitted.has(key)).toBe(false);
                emitted.add(key);
                lastSeen.set(record.id, record);
              }
              expect(page.nextCursor.storeSequence).toBe(lastSeq);
              expect(page.nextCursor.storeSequence).toBeGreaterThan(cursor.storeSequence);
              cursor = page.nextCursor;
            }
          })();
          const writers = scripts.map(async (ops, w) => {
            for (const [i, op] of ops.slice(preCount).entries()) {
              await s.schedule(Promise.resolve(`w${w}:${op}`));
              await apply(ids[w]!, op, preCount + i);
            }
          });
          await s.waitFor(
            Promise.all(writers).then(() => {
              writersDone = true;
            }),
          );
          await s.waitFor(reader);
          for (const id of ids) {
            const current = await registry.getProcess(id);
            if (current!.changeSeq > start) expect(lastSeen.get(id)).toEqual(current);
            else expect(lastSeen.has(id)).toBe(false);
            globalHead = Math.max(globalHead, current!.changeSeq);
          }
        },
      ),
      { numRuns: NUM_RUNS },
    );
    expect((await registry.verifyProjections()).mismatches).toEqual([]);
  } finally {
    await registry.close();
  }
}, 240_000);
