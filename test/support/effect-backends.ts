/**
 * Backend factories for the effect-host and trigger-store conformance suites, in the style of
 * `backends.ts`: every suite runs against a file backend and a memory backend, and after every test
 * each handle the test opened must pass `verifyProjections()` (closed file handles are reopened to
 * verify).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect } from 'vitest';
import {
  type EffectHostOptions,
  SqliteEffectHost,
  SqliteTriggerStore,
  type TriggerStoreOptions,
  type VerifyReport,
} from '../../src/index.js';

/** What the harness needs of a handle. */
interface Verifiable {
  verifyProjections(): Promise<VerifyReport>;
  close(): Promise<void>;
}

const opened: Verifiable[] = [];
const reopeners = new Map<string, () => Promise<Verifiable>>();
const dirs: string[] = [];

/** A fresh temporary folder removed after the test. */
export function tempDir(prefix = 'lash-effects-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** Registers a handle so the harness verifies and closes it after the test. */
export function track<T extends Verifiable>(handle: T): T {
  opened.push(handle);
  return handle;
}

/** An effect host over a fresh file that the harness verifies (reopening it) after the test. */
export function effectPath(name = 'effects.db'): string {
  const path = join(tempDir(), name);
  reopeners.set(path, () => SqliteEffectHost.open(path));
  return path;
}

/** A trigger store file that the harness verifies (reopening it) after the test. */
export function triggerPath(name = 'triggers.db'): string {
  const path = join(tempDir(), name);
  reopeners.set(path, () => SqliteTriggerStore.open(path));
  return path;
}

/** Opens a tracked effect host on `path`. */
export async function openHost(path: string, options?: EffectHostOptions): Promise<SqliteEffectHost> {
  return track(await SqliteEffectHost.open(path, options));
}

/** Opens a tracked trigger store on `path`. */
export async function openTriggers(path: string, options?: TriggerStoreOptions): Promise<SqliteTriggerStore> {
  return track(await SqliteTriggerStore.open(path, options));
}

/** A way to make hosts (or stores) for a test. */
export interface Backend<H, O> {
  name: string;
  tier: 'durable' | 'inline';
  /** Whether `make` on one fixture gives independent handles over one database. */
  shared: boolean;
  /** A fresh fixture: `make()` opens a handle on the fixture's database. */
  fixture(): { make(options?: O): Promise<H>; path: string | null };
}

export const effectBackends: Backend<SqliteEffectHost, EffectHostOptions>[] = [
  {
    name: 'file SqliteEffectHost',
    tier: 'durable',
    shared: true,
    fixture() {
      const path = effectPath();
      return { path, make: (options) => openHost(path, options) };
    },
  },
  {
    name: 'memory SqliteEffectHost',
    tier: 'inline',
    shared: false,
    fixture() {
      return { path: null, make: async (options) => track(await SqliteEffectHost.memory(options)) };
    },
  },
];

export const triggerBackends: Backend<SqliteTriggerStore, TriggerStoreOptions>[] = [
  {
    name: 'file SqliteTriggerStore',
    tier: 'durable',
    shared: true,
    fixture() {
      const path = triggerPath();
      return { path, make: (options) => openTriggers(path, options) };
    },
  },
  {
    name: 'memory SqliteTriggerStore',
    tier: 'inline',
    shared: false,
    fixture() {
      return { path: null, make: async (options) => track(await SqliteTriggerStore.memory(options)) };
    },
  },
];

/** Runs `suite` once per backend. */
export function describeEach<H, O>(title: string, list: Backend<H, O>[], suite: (backend: Backend<H, O>) => void): void {
  for (const backend of list) describe(`${title} [${backend.name}]`, () => suite(backend));
}

/** After each test: open handles verify clean; file databases are reopened and verified too. */
afterEach(async () => {
  const handles = opened.splice(0);
  for (const handle of handles) {
    let report: VerifyReport;
    try {
      report = await handle.verifyProjections();
    } catch (error) {
      if ((error as { code?: string }).code === 'Closed') continue;
      throw error;
    }
    expect(report.mismatches, 'projections must equal the replayed log').toEqual([]);
    expect(report.ok).toBe(true);
    await handle.close();
  }
  for (const [path, reopen] of reopeners) {
    let handle: Verifiable;
    try {
      handle = await reopen();
    } catch (error) {
      // A test that checks a refused open leaves a file that is not of this kind.
      if (['SchemaVersionMismatch', 'DatabaseKindMismatch'].includes((error as { code?: string }).code ?? '')) continue;
      throw error;
    }
    const report = await handle.verifyProjections();
    await handle.close();
    expect(report.mismatches, `projections of ${path} must equal the replayed log`).toEqual([]);
  }
  reopeners.clear();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
