/**
 * `lash-store` as a real OS process, for the end-to-end tests of `test/cli/`.
 *
 * The entry is `test/support/workers/lash-store.ts`, which does what `bin/lash-store.js` does but
 * imports `src/cli/main.ts` instead of `dist/`: `compiled.ts` transpiles it and the sources into a
 * plain-JS cache (rewritten whenever a source is newer), so the tests always run the current code and
 * a start costs a bare `node` start (~0.3 s) instead of `node --import tsx` (~1–2 s of CPU).
 * Children run with `NO_COLOR=1`, so the output is plain text.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect } from 'vitest';
import { compiledScript } from './compiled.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** How a finished `lash-store` process ended. */
export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Working directory of the child (default: a temporary folder, so nothing lands in the repo). */
  cwd?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** The child is SIGKILLed after this long (default 60 s); the test then fails on its status. */
  timeoutMs?: number;
  /** Another compiled entry script (see `packageCopy`). */
  entry?: string;
}

const temporary: string[] = [];

/** A fresh folder under the OS temp dir, removed after the test file. */
export function tempDir(prefix = 'lash-cli-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

let defaultCwd: string | undefined;

/** The compiled entry that runs `src/cli/main.ts`. */
export function cliEntry(): Promise<string> {
  return compiledScript('test/support/workers/lash-store.ts');
}

function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra };
  delete env.FORCE_COLOR;
  return env;
}

/** Starts `lash-store <args…>`; stdin is closed. */
async function spawnCli(args: string[], options: CliOptions): Promise<ChildProcessWithoutNullStreams> {
  const entry = options.entry ?? (await cliEntry());
  defaultCwd ??= tempDir('lash-cli-cwd-');
  const child = spawn(process.execPath, [entry, ...args], {
    cwd: options.cwd ?? defaultCwd,
    env: childEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end();
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  return child;
}

function finished(child: ChildProcessWithoutNullStreams, out: { stdout: string; stderr: string }, timeoutMs: number) {
  child.stdout.on('data', (chunk: string) => {
    out.stdout += chunk;
  });
  child.stderr.on('data', (chunk: string) => {
    out.stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise<CliResult>((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('close', (status, signal) => {
      clearTimeout(timer);
      resolvePromise({ status, signal, stdout: out.stdout, stderr: out.stderr });
    });
  });
}

/** Runs `lash-store <args…>` to the end. */
export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const child = await spawnCli(args, options);
  return finished(child, { stdout: '', stderr: '' }, options.timeoutMs ?? 60_000);
}

/** A `lash-store` process that keeps running (`events --follow`). */
export interface RunningCli {
  child: ChildProcessWithoutNullStreams;
  /** Complete stdout lines so far. */
  lines(): string[];
  /** Resolves once `predicate(lines)` holds; rejects after `timeoutMs` or if the process ends first. */
  waitFor(predicate: (lines: string[]) => boolean, timeoutMs: number): Promise<string[]>;
  /** Resolves when the process has ended. */
  done: Promise<CliResult>;
}

export async function startCli(args: string[], options: CliOptions = {}): Promise<RunningCli> {
  const child = await spawnCli(args, options);
  const out = { stdout: '', stderr: '' };
  const done = finished(child, out, options.timeoutMs ?? 60_000);
  const lines = () => out.stdout.split('\n').slice(0, -1);
  let ended = false;
  void done.then(() => {
    ended = true;
  });
  const waitFor = (predicate: (lines: string[]) => boolean, timeoutMs: number) =>
    new Promise<string[]>((resolvePromise, reject) => {
      const started = Date.now();
      const poll = () => {
        const now = lines();
        if (predicate(now)) resolvePromise(now);
        else if (ended)
          reject(new Error(`lash-store ended before the expected output; stdout:\n${out.stdout}\nstderr:\n${out.stderr}`));
        else if (Date.now() - started > timeoutMs)
          reject(new Error(`no expected output within ${timeoutMs} ms; stdout:\n${out.stdout}\nstderr:\n${out.stderr}`));
        else setTimeout(poll, 20);
      };
      poll();
    });
  return { child, lines, waitFor, done };
}

/**
 * Runs `tasks` with at most `limit` at once (a 2-core machine runs other test files too); the
 * results come back in the order of `tasks`.
 */
export async function inParallel<T extends ReadonlyArray<() => Promise<unknown>>>(
  tasks: readonly [...T],
  limit = 4,
): Promise<{ -readonly [K in keyof T]: T[K] extends () => Promise<infer R> ? R : never }> {
  const results: unknown[] = new Array(tasks.length);
  let next = 0;
  const lane = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await (tasks[i] as () => Promise<unknown>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, lane));
  return results as { -readonly [K in keyof T]: T[K] extends () => Promise<infer R> ? R : never };
}

/** `text` as a regular expression source that matches it literally. */
export function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const STACK_FRAME = /\n\s+at /;

/**
 * A refusal: exit `status`, nothing on stdout, and stderr exactly `lash-store: <message>` on one
 * line, with no stack trace.
 */
export function expectRefusal(result: CliResult, status: 1 | 2, message: string | RegExp): void {
  const context = JSON.stringify(result);
  expect(result.stderr, context).not.toMatch(STACK_FRAME);
  expect(result.stderr.split('\n'), context).toHaveLength(2);
  if (typeof message === 'string') expect(result.stderr, context).toBe(`lash-store: ${message}\n`);
  else expect(result.stderr, context).toMatch(new RegExp(`^lash-store: ${message.source}\\n$`));
  expect(result.stdout, context).toBe('');
  expect(result.status, context).toBe(status);
}

/**
 * A call commander rejects: exit 2, nothing on stdout, stderr `error: <message>` and the help hint
 * (commander's two lines), no stack trace.
 */
export function expectCommanderError(result: CliResult, message: string): void {
  const context = JSON.stringify(result);
  expect(result.stderr, context).not.toMatch(STACK_FRAME);
  expect(result.stderr, context).toBe(`error: ${message}\n(run with --help for usage)\n`);
  expect(result.stdout, context).toBe('');
  expect(result.status, context).toBe(2);
}

/** The databases `lash-store demo` wrote, as it printed them. */
export interface DemoDatabases {
  dir: string;
  result: CliResult;
  sessions: string[];
  processes: string;
  effects: string;
  triggers: string;
}

/**
 * Runs `lash-store demo` (no folder argument) in a fresh working directory and reads the database
 * paths from its summary table.
 */
export async function runDemoFixture(): Promise<DemoDatabases> {
  const dir = tempDir('lash-cli-demo-');
  const result = await runCli(['demo'], { cwd: dir });
  expect(result.status, result.stderr).toBe(0);
  const rows = [...result.stdout.matchAll(/^(\S+\.db) +(session|process registry|effect journal|trigger store) /gm)];
  const paths = (kind: string) => rows.filter((m) => m[2] === kind).map((m) => resolve(dir, m[1] as string));
  const [processes, effects, triggers] = [paths('process registry'), paths('effect journal'), paths('trigger store')];
  if (processes.length !== 1 || effects.length !== 1 || triggers.length !== 1) {
    throw new Error(`unexpected demo summary:\n${result.stdout}`);
  }
  return {
    dir,
    result,
    sessions: paths('session'),
    processes: processes[0] as string,
    effects: effects[0] as string,
    triggers: triggers[0] as string,
  };
}

/** Copies a (closed) database with any WAL sidecar into a fresh folder; returns the copy's path. */
export function copyDb(path: string): string {
  const copy = join(tempDir('lash-cli-db-'), basename(path));
  copyFileSync(path, copy);
  for (const suffix of ['-wal', '-shm']) if (existsSync(path + suffix)) copyFileSync(path + suffix, copy + suffix);
  return copy;
}

/**
 * A copy of the compiled CLI in a folder of its own that looks like an installed `lash-event-store`
 * package (`package.json` named `lash-event-store`, `node_modules` linked to this checkout's): the
 * commands that look for their package root (`bench`) see that folder, not this checkout. With
 * `benchSources`, it holds a `bench/run.ts` but no `bench/node_modules`. Returns the entry script.
 */
export async function packageCopy(options: { benchSources: boolean }): Promise<string> {
  const entry = await cliEntry();
  const cache = resolve(dirname(entry), '../../..');
  const root = tempDir('lash-cli-package-');
  writeFileSync(join(root, 'package.json'), '{ "name": "lash-event-store", "type": "module" }\n');
  cpSync(join(cache, 'src'), join(root, 'src'), { recursive: true });
  const copied = join(root, relative(cache, entry));
  mkdirSync(dirname(copied), { recursive: true });
  copyFileSync(entry, copied);
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  if (options.benchSources) {
    mkdirSync(join(root, 'bench'));
    writeFileSync(join(root, 'bench', 'run.ts'), '// stand-in: the command must refuse before it runs this\n');
  }
  return copied;
}
