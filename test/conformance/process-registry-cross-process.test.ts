/**
 * Cross-process behaviour (30-process-registry §3.12): a child OS process completes a process and
 * the parent's `awaitTerminal` and `watchProcess` see it through `PRAGMA data_version` polling; many
 * writers on separate connections (child processes and extra handles in this process) interleave
 * with a change-feed reader that must observe every terminal exactly once.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { ProcessChangeCursor, type ProcessRecord, type SqliteProcessRegistry } from '../../src/index.js';
import { delay, ext, plainType, plus, reg, success, within } from '../support/process-fixtures.js';
import { describeRegistries, fileRegistryBackend, openRegistryAt, registryTempDir } from '../support/registries.js';

const CHILD = fileURLToPath(new URL('../support/process-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function runChild(args: string[]): Promise<{ ok: boolean; error?: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('error', reject);
    child.on('exit', () => {
      const line = out.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`child printed no result: ${out}\n${err}`));
      }
    });
  });
}

describeRegistries('process registry: across OS processes', () => {
  it('a child process completes a process; the parent awaitTerminal and watchProcess resolve', async () => {
    const dir = registryTempDir();
    const path = join(dir, 'processes.db');
    const registry = await openRegistryAt(path);
    await registry.registerProcess(reg('cross-child'));
    const seen: ProcessRecord[] = [];
    let completed = false;
    const subscription = registry.watchProcess('cross-child').subscribe({
      next: (r) => seen.push(r),
      complete: () => {
        completed = true;
      },
    });
    const waiting = registry.awaitTerminal('cross-child');
    const started = Date.now();
    const child = await runChild(['complete', path, 'cross-child', '200']);
    expect(child).toMatchObject({ ok: true });
    const output = await within(waiting, 5000, 'awaitTerminal across processes');
    expect(output).toMatchObject({ kind: 'success', value: { from: 'child' } });
    // Polling backs off to at most 1 s, so the wait ends within about a second of the commit.
    expect(Date.now() - started).toBeLessThan(30_000);
    const deadline = Date.now() + 3000;
    while (!completed && Date.now() < deadline) await delay(10);
    expect(completed).toBe(true);
    expect(seen.at(-1)).toEqual(await registry.getProcess('cross-child'));
    subscription.unsubscribe();
  });

  it('many writers on separate connections: the change feed observes every terminal exactly once', async () => {
    const { registry, path } = await fileRegistryBackend.open();
    const file = path as string;
    const extra: SqliteProcessRegistry[] = [];
    for (let i = 0; i < 3; i++) extra.push(await openRegistryAt(file));
    const CHILDREN = 3;
    const PER_CHILD = 12;
    const PER_HANDLE = 8;
    const expected = new Set<string>();
    for (let c = 0; c < CHILDREN; c++) {
      for (let i = 0; i < PER_CHILD; i++) expected.add(`child${c}-${String(i).padStart(3, '0')}`);
    }
    for (let h = 0; h < extra.length; h++) for (let i = 0; i < PER_HANDLE; i++) expected.add(`handle${h}-${i}`);
    const terminalCounts = new Map<string, number>();
    let done = false;
    const reader = (async () => {
      let cursor = ProcessChangeCursor.initial();
      for (;;) {
        const page = await registry.processesChangedSince(cursor, 2);
        if (page.records.length === 0) {
          if (done) return;
          await delay(1);
          continue;
        }
        expect(page.nextCursor.storeSequence).toBeGreaterThan(cursor.storeSequence);
        cursor = page.nextCursor;
        for (const record of page.records) {
          if (record.status.kind !== 'running') terminalCounts.set(record.id, (terminalCounts.get(record.id) ?? 0) + 1);
        }
      }
    })();
    const handles = extra.map(async (handle, h) => {
      for (let i = 0; i < PER_HANDLE; i++) {
        const id = `handle${h}-${i}`;
        await handle.registerProcess(plus(reg(id), plainType('tick')));
        await delay(i % 3);
        await handle.appendEvent(id, { eventType: 'tick', payload: { i }, replay: null, wakeTargetScope: null });
        await handle.completeProcess(id, success({ i }), ext('handle'));
      }
    });
    const children = Array.from({ length: CHILDREN }, (_, c) => runChild(['writers', file, `child${c}`, String(PER_CHILD)]));
    const results = await Promise.all(children);
    for (const result of results) expect(result).toMatchObject({ ok: true });
    await Promise.all(handles);
    done = true;
    await within(reader, 20_000, 'change feed reader');
    expect(terminalCounts.size).toBe(expected.size);
    for (const id of expected) expect(terminalCounts.get(id), id).toBe(1);
    const all = await registry.processesChangedSince(ProcessChangeCursor.initial(), 1000);
    const seqs = all.records.map((r) => r.changeSeq);
    expect(new Set(seqs).size).toBe(seqs.length);
  });
}, [fileRegistryBackend]);
