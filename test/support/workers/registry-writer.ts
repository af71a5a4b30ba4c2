/**
 * A writer in its own OS process: `node registry-writer.js <db> <processId> <count>` opens the process
 * registry at `<db>`, registers `<processId>` (with a `tick` event type), appends `<count>` `tick`
 * events with payload `{ i }`, closes and prints `{"ok":true}`. `test/cli/follow.test.ts` watches
 * the file with `lash-store events --follow` meanwhile.
 */
import { ProcessRegistration, SqliteProcessRegistry } from '../../../src/index.js';

const [path, processId, countText] = process.argv.slice(2);
if (!path || !processId || !countText) throw new Error('usage: registry-writer <db> <processId> <count>');
const host = { originator: { kind: 'host' as const, scope: 'writer' }, causedBy: null };
const registry = await SqliteProcessRegistry.open(path);
try {
  await registry.registerProcess(
    ProcessRegistration.withExtraEventTypes(
      ProcessRegistration.create(processId, { kind: 'external', metadata: null }, 'externallyOwned', host),
      [{ name: 'tick', payloadSchema: {}, semantics: { terminal: null, wake: null } }],
    ),
  );
  for (let i = 0; i < Number(countText); i++) {
    await registry.appendEvent(processId, { eventType: 'tick', payload: { i }, replay: null, wakeTargetScope: null });
  }
} finally {
  await registry.close();
}
process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
