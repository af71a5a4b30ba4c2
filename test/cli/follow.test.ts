/**
 * `lash-store events --follow` across OS processes: the follower prints the existing events, then
 * the events a writer in another process commits, in order, and ends cleanly (exit 0, nothing on
 * stderr) on SIGINT and on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { beforeAll, expect, test } from 'vitest';
import { eventToNdjson } from '../../src/events/ndjson.js';
import { SqliteProcessRegistry } from '../../src/index.js';
import { copyDb, type DemoDatabases, runDemoFixture, startCli } from '../support/cli.js';
import { compiledScript } from '../support/compiled.js';

const TIMEOUT = 120_000;
const TICKS = 5;

let demo: DemoDatabases;

beforeAll(async () => {
  demo = await runDemoFixture();
}, TIMEOUT);

/** Runs `registry-writer` in its own OS process: registers `processId` and appends `count` ticks. */
async function writeFromAnotherProcess(path: string, processId: string, count: number): Promise<void> {
  const script = await compiledScript('test/support/workers/registry-writer.ts');
  const child = spawn(process.execPath, [script, path, processId, String(count)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => {
    stdout += String(c);
  });
  child.stderr.on('data', (c) => {
    stderr += String(c);
  });
  const status = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  expect(stderr).toBe('');
  expect(stdout).toBe('{"ok":true}\n');
  expect(status).toBe(0);
}

test(
  'followers print the events another process commits, in order, and exit 0 on SIGINT and SIGTERM',
  async () => {
    const path = copyDb(demo.processes);
    const [json, plain] = await Promise.all([
      startCli(['events', path, '--follow', '--json']),
      startCli(['events', path, '--follow', '--after', '18']),
    ]);
    // Both have printed what was there before the writer starts.
    const existing = await json.waitFor((lines) => lines.length >= 20, 20_000);
    expect(existing.map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const existingPlain = await plain.waitFor((lines) => lines.length >= 2, 20_000);
    expect(existingPlain.map((l) => Number(l.trim().split(' ')[0]))).toEqual([19, 20]);

    await writeFromAnotherProcess(path, 'followed-job', TICKS);
    const expectedSeqs = Array.from({ length: TICKS + 1 }, (_, i) => 21 + i);

    const jsonLines = await json.waitFor((lines) => lines.length >= 20 + TICKS + 1, 20_000);
    const plainLines = await plain.waitFor((lines) => lines.length >= 2 + TICKS + 1, 20_000);

    // What the followers printed is exactly what the log now holds, in order.
    const registry = await SqliteProcessRegistry.open(path);
    const stored = await registry.readEvents({ afterSeq: 20 });
    await registry.close();
    expect(stored.map((e) => e.seq)).toEqual(expectedSeqs);
    expect(jsonLines.slice(20)).toEqual(stored.map(eventToNdjson));
    const written = jsonLines.slice(20).map((l) => JSON.parse(l) as { seq: number; type: string; stream: string });
    expect(written.map((e) => e.type)).toEqual(['ProcessRegistered', ...Array(TICKS).fill('ProcessEventAppended')]);
    expect(new Set(written.map((e) => e.stream))).toEqual(new Set(['process:followed-job']));
    expect(stored.slice(1).map((e) => (e.data as { event: { payload: unknown } }).event.payload)).toEqual(
      Array.from({ length: TICKS }, (_, i) => ({ i })),
    );
    const plainNew = plainLines.slice(2);
    expect(plainNew.map((l) => Number(l.trim().split(' ')[0]))).toEqual(expectedSeqs);
    expect(plainNew.map((l) => l.trim().split(/ {2,}/)[3])).toEqual([
      'ProcessRegistered',
      ...Array(TICKS).fill('ProcessEventAppended'),
    ]);

    // The followers keep running until signalled, then end cleanly having printed nothing else.
    expect(json.child.exitCode).toBeNull();
    expect(plain.child.exitCode).toBeNull();
    json.child.kill('SIGINT');
    plain.child.kill('SIGTERM');
    const [jsonEnd, plainEnd] = await Promise.all([json.done, plain.done]);
    for (const end of [jsonEnd, plainEnd]) {
      expect(end.signal).toBeNull();
      expect(end.stderr).toBe('');
      expect(end.status).toBe(0);
    }
    expect(jsonEnd.stdout.split('\n')).toHaveLength(20 + TICKS + 1 + 1);
    expect(plainEnd.stdout.split('\n')).toHaveLength(2 + TICKS + 1 + 1);
  },
  TIMEOUT,
);
