import { performance } from 'node:perf_hooks';
import { type ProcessRecord, ProcessRegistration, SqliteProcessRegistry } from 'lash-event-store';
import { defineCase, timed } from '../lib/case.js';
import { latencyNotes } from '../lib/latency.js';

interface Params {
  samples: number;
  [key: string]: number;
}

const host = { originator: { kind: 'host' as const, scope: 'bench' }, causedBy: null };

export default defineCase<Params>({
  name: 'ours-process-notify-local',
  section: 'ours',
  title:
    'notification latency in one OS process: commit of `completeProcess` (the moment `events$` receives its event, synchronously after COMMIT) → the `watchProcess` subscriber receives the terminal record; p50/p99 in the notes (target p99 < 1 ms)',
  durability: 'WAL, synchronous=NORMAL (registry default)',
  unit: 'notifications/s',
  params: { full: { samples: 2_000 }, quick: { samples: 200 } },
  async measure(ctx, p) {
    const registry = await SqliteProcessRegistry.open(ctx.dbPath);
    const committedAt = new Map<string, number>();
    // `events$` pushes this handle's events synchronously right after the commit: the commit clock.
    const feed = registry.events$().subscribe((event) => {
      if (event.type === 'ProcessEventAppended') committedAt.set(event.stream, performance.now());
    });
    const latencies: number[] = [];
    try {
      const { ms, cpuMs, io } = await timed(async () => {
        for (let i = 0; i < p.samples; i++) {
          const id = `notify-${i}`;
          await registry.registerProcess(
            ProcessRegistration.create(id, { kind: 'external', metadata: null }, 'externallyOwned', host),
          );
          const received = new Promise<number>((resolve, reject) => {
            registry.watchProcess(id).subscribe({
              next: (record: ProcessRecord) => {
                if (record.status.kind !== 'running') resolve(performance.now());
              },
              error: reject,
            });
          });
          await registry.completeProcess(
            id,
            { kind: 'success', value: i, control: null },
            { kind: 'externalOwner', grantedTo: 'bench' },
          );
          const at = await received;
          const commit = committedAt.get(`process:${id}`);
          if (commit === undefined) throw new Error(`no commit seen for ${id}`);
          latencies.push(at - commit);
        }
      });
      return { ops: p.samples, ms, cpuMs, io, notes: latencyNotes(latencies, 1) };
    } finally {
      feed.unsubscribe();
      await registry.close();
    }
  },
});
