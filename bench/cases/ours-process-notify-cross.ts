import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type ProcessRecord, ProcessRegistration, SqliteProcessRegistry } from 'lash-event-store';
import { defineCase, timed } from '../lib/case.js';
import { latencyNotes } from '../lib/latency.js';

interface Params {
  samples: number;
  [key: string]: number;
}

const host = { originator: { kind: 'host' as const, scope: 'bench' }, causedBy: null };
const BENCH_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * The writer: another OS process on the same file. For each line `<id>` on stdin it completes that
 * process and prints the commit time as epoch-relative high-resolution ms.
 */
const WRITER = `
import { SqliteProcessRegistry } from 'lash-event-store';
import { createInterface } from 'node:readline';
const registry = await SqliteProcessRegistry.open(process.argv[1]);
process.stdout.write('ready\\n');
for await (const id of createInterface({ input: process.stdin })) {
  if (!id) continue;
  await registry.completeProcess(id, { kind: 'success', value: id, control: null }, { kind: 'externalOwner', grantedTo: 'writer' });
  process.stdout.write(String(performance.timeOrigin + performance.now()) + '\\n');
}
await registry.close();
`;

export default defineCase<Params>({
  name: 'ours-process-notify-cross',
  section: 'ours',
  title:
    'notification latency across OS processes: a writer process commits `completeProcess` → this process’s `watchProcess` emits it (found by `PRAGMA data_version` polling, backoff from 25 ms); the commit follows the subscription at once; p50/p99 in the notes (target p99 < 100 ms)',
  durability: 'WAL, synchronous=NORMAL (registry default)',
  unit: 'notifications/s',
  params: { full: { samples: 200 }, quick: { samples: 30 } },
  async measure(ctx, p) {
    const registry = await SqliteProcessRegistry.open(ctx.dbPath);
    const writer = spawn(process.execPath, ['--input-type=module', '-e', WRITER, ctx.dbPath], {
      cwd: BENCH_ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: writer.stdout })[Symbol.asyncIterator]();
    const nextLine = async () => {
      const { value, done } = await lines.next();
      if (done) throw new Error('writer exited');
      return value as string;
    };
    const latencies: number[] = [];
    try {
      if ((await nextLine()) !== 'ready') throw new Error('writer did not start');
      const { ms, cpuMs, io } = await timed(async () => {
        for (let i = 0; i < p.samples; i++) {
          const id = `cross-${i}`;
          await registry.registerProcess(
            ProcessRegistration.create(id, { kind: 'external', metadata: null }, 'externallyOwned', host),
          );
          const received = new Promise<number>((resolve, reject) => {
            registry.watchProcess(id).subscribe({
              next: (record: ProcessRecord) => {
                if (record.status.kind !== 'running') resolve(performance.timeOrigin + performance.now());
              },
              error: reject,
            });
          });
          writer.stdin.write(`${id}\n`);
          const committedAt = Number(await nextLine());
          latencies.push(Math.max(0, (await received) - committedAt));
        }
      });
      return { ops: p.samples, ms, cpuMs, io, notes: latencyNotes(latencies, 100) };
    } finally {
      writer.stdin.end();
      writer.kill();
      await registry.close();
    }
  },
});
