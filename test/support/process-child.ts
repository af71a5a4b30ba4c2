/**
 * A child OS process for the cross-process registry tests, run as `node --import tsx
 * test/support/process-child.ts <mode> <db> ...`. Modes:
 * - `complete <db> <processId> <delayMs>`: completes the process after a delay;
 * - `writers <db> <prefix> <count>`: registers, appends to and completes `count` processes;
 * - `register-complete <db> <processId> <delayMs>`: completes a process it first waits to exist.
 * Prints one JSON line `{"ok":true,...}` or `{"ok":false,"error":...}` and exits.
 */
import { ProcessRegistration, SqliteProcessRegistry } from '../../src/index.js';

const [mode, db, arg1, arg2] = process.argv.slice(2);
const host = { originator: { kind: 'host' as const, scope: 'child' }, causedBy: null };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<object> {
  if (!db || !arg1) throw new Error('usage: <mode> <db> <arg> [arg]');
  const registry = await SqliteProcessRegistry.open(db);
  try {
    if (mode === 'complete') {
      await sleep(Number(arg2 ?? 0));
      const record = await registry.completeProcess(
        arg1,
        { kind: 'success', value: { from: 'child', pid: process.pid }, control: null },
        { kind: 'externalOwner', grantedTo: 'child' },
      );
      return { changeSeq: record.changeSeq };
    }
    if (mode === 'writers') {
      const count = Number(arg2);
      for (let i = 0; i < count; i++) {
        const id = `${arg1}-${String(i).padStart(3, '0')}`;
        const registration = ProcessRegistration.withExtraEventTypes(
          ProcessRegistration.create(id, { kind: 'external', metadata: null }, 'externallyOwned', host),
          [{ name: 'tick', payloadSchema: {}, semantics: { terminal: null, wake: null } }],
        );
        await registry.registerProcess(registration);
        await registry.appendEvent(id, { eventType: 'tick', payload: { i }, replay: null, wakeTargetScope: null });
        await registry.completeProcess(
          id,
          { kind: 'success', value: { i }, control: null },
          { kind: 'externalOwner', grantedTo: 'child' },
        );
      }
      return { count };
    }
    throw new Error(`unknown mode ${mode}`);
  } finally {
    await registry.close();
  }
}

main().then(
  (result) => {
    process.stdout.write(`${JSON.stringify({ ok: true, ...result })}\n`);
  },
  (error: unknown) => {
    process.stdout.write(`${JSON.stringify({ ok: false, error: String((error as Error)?.stack ?? error) })}\n`);
    process.exitCode = 1;
  },
);
