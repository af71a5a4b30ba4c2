/**
 * Event appends on the process registry: `appendEvent` of one unkeyed, non-terminal event (~100 B
 * payload) per call, each its own `BEGIN IMMEDIATE` command, spread round-robin over `streams`
 * registered processes (each process is one event stream with its own sequence).
 */
import { ProcessRegistration, SqliteProcessRegistry } from 'lash-event-store';
import { type Measurement, timed } from './case.js';

export interface ProcessAppendParams {
  appends: number;
  streams: number;
  [key: string]: number;
}

const SYNCHRONOUS_ENV = 'LASH_SQLITE_SYNCHRONOUS';

/**
 * Makes the stores this process opens from now on run at `level` (the bench-only switch of
 * `src/sqlite/open.ts`, see docs/decisions.md), and returns the label for the notes.
 */
export function useSynchronous(level: 'NORMAL' | 'FULL'): string {
  if (level === 'NORMAL') delete process.env[SYNCHRONOUS_ENV];
  else process.env[SYNCHRONOUS_ENV] = level;
  return level;
}

export async function processAppends(dbPath: string, p: ProcessAppendParams): Promise<Measurement> {
  const registry = await SqliteProcessRegistry.open(dbPath);
  try {
    const ids = Array.from({ length: p.streams }, (_, s) => `bench-process-${s}`);
    for (const id of ids) {
      await registry.registerProcess(
        ProcessRegistration.withExtraEventTypes(
          ProcessRegistration.create(id, { kind: 'external', metadata: null }, 'externallyOwned', {
            originator: { kind: 'host', scope: 'bench' },
            causedBy: null,
          }),
          [{ name: 'progress', payloadSchema: {}, semantics: { terminal: null, wake: null } }],
        ),
      );
    }
    const line = 'x'.repeat(64);
    const { ms, cpuMs, io } = await timed(async () => {
      for (let i = 0; i < p.appends; i++) {
        const result = await registry.appendEvent(ids[i % p.streams] as string, {
          eventType: 'progress',
          payload: { step: i, line },
          replay: null,
          wakeTargetScope: null,
        });
        const expected = Math.floor(i / p.streams) + 1;
        if (result.event.sequence !== expected) throw new Error(`sequence ${result.event.sequence}, expected ${expected}`);
      }
    });
    const events = (await registry.readEvents()).length;
    return { ops: p.appends, ms, cpuMs, io, notes: { streams: p.streams, databaseEvents: events } };
  } finally {
    await registry.close();
  }
}
