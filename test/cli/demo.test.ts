/** `lash-store demo`: runs the whole workload in a temp dir, checks the summary, reopens every database. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { runDemo } from '../../src/cli/demo.js';
import { SqliteEffectHost, SqliteProcessRegistry, SqliteTriggerStore, Store } from '../../src/index.js';

it('demo runs every store, prints the summary and leaves databases that verify clean', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lash-demo-test-'));
  let text = '';
  const code = await runDemo(dir, { write: (s: string) => (text += s) });
  expect(code, text).toBe(0);
  expect(text).toMatch(/75 turn commits with snapshots under fenced leases/);
  expect(text).toMatch(/15 idempotent retries, 15 stale writers fenced out/);
  expect(text).toMatch(/18\/18 queued-work batches and 18\/18 turn inputs claimed and settled in a commit/);
  expect(text).toMatch(/4 background jobs registered, 12 progress events, 4 completed; awaitTerminal resolved 4× success/);
  expect(text).toMatch(/after a simulated restart 6 replayed from the journal \(tool ran 0×, outcomes identical\)/);
  expect(text).toMatch(/1 subscription, 1 occurrence .* 1 delivery reserved as process process:trigger:/);
  expect(text).toMatch(/projections equal the replayed event log in every database/);
  for (const command of ['inspect', 'events', 'verify', 'export']) expect(text).toContain(`lash-store ${command} `);

  // Every database the summary names reopens and verifies clean.
  const named = [...text.matchAll(/^(\S+\.db)\s+(session|process registry|effect journal|trigger store)\s/gm)];
  expect(named.map((m) => m[2])).toEqual([
    'session',
    'session',
    'session',
    'process registry',
    'effect journal',
    'trigger store',
  ]);
  for (const [, shown, kind] of named) {
    const path = isAbsolute(shown as string) ? (shown as string) : resolve(shown as string);
    const db =
      kind === 'session'
        ? await Store.openReadonly(path)
        : kind === 'process registry'
          ? await SqliteProcessRegistry.open(path)
          : kind === 'effect journal'
            ? await SqliteEffectHost.open(path)
            : await SqliteTriggerStore.open(path);
    try {
      expect((await db.verifyProjections()).ok, path).toBe(true);
      expect((await db.readEvents()).length, path).toBeGreaterThan(0);
    } finally {
      await db.close();
    }
  }
});
