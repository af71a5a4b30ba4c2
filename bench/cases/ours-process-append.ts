import { ProcessRegistration, SqliteProcessRegistry } from 'lash-event-store';
import { defineCase, timed } from '../lib/case.js';

interface Params {
  appends: number;
  [key: string]: number;
}

export default defineCase<Params>({
  name: 'ours-process-append',
  section: 'ours',
  title:
    '`appendEvent` on a file `SqliteProcessRegistry`: one unkeyed non-terminal process event (~100 B payload) per call, each its own `BEGIN IMMEDIATE` command',
  durability: 'WAL, synchronous=NORMAL (registry default)',
  unit: 'appends/s',
  anchor: 'raw-normal-1row',
  targets: [
    { label: 'appendEvent ≥ 0.4× raw one-row transactions (NORMAL)', kind: 'ratio', anchor: 'raw-normal-1row', min: 0.4 },
  ],
  params: { full: { appends: 10_000 }, quick: { appends: 1_000 } },
  async measure(ctx, p) {
    const registry = await SqliteProcessRegistry.open(ctx.dbPath);
    try {
      const registration = ProcessRegistration.withExtraEventTypes(
        ProcessRegistration.create('bench-process', { kind: 'external', metadata: null }, 'externallyOwned', {
          originator: { kind: 'host', scope: 'bench' },
          causedBy: null,
        }),
        [{ name: 'progress', payloadSchema: {}, semantics: { terminal: null, wake: null } }],
      );
      await registry.registerProcess(registration);
      const line = 'x'.repeat(64);
      const { ms, cpuMs, io } = await timed(async () => {
        for (let i = 1; i <= p.appends; i++) {
          const result = await registry.appendEvent('bench-process', {
            eventType: 'progress',
            payload: { step: i, line },
            replay: null,
            wakeTargetScope: null,
          });
          if (result.event.sequence !== i) throw new Error(`sequence ${result.event.sequence}, expected ${i}`);
        }
      });
      const events = (await registry.readEvents()).length;
      return { ops: p.appends, ms, cpuMs, io, notes: { databaseEvents: events } };
    } finally {
      await registry.close();
    }
  },
});
