/**
 * Backend factories for the conformance suites. Every suite runs against each backend (a file
 * `Store` and an in-memory `Store` today; a PostgreSQL backend will add itself here), and after every
 * test each store the test opened must pass `verifyProjections()`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect } from 'vitest';
import { type Clock, Store, type StoreOptions } from '../../src/index.js';

/** A way to make session stores for a test. */
export interface StoreBackend {
  name: string;
  /** Tier the backend's stores report. */
  tier: 'durable' | 'inline';
  /** Whether `reopen` gives a second handle on the same data. */
  reopenable: boolean;
  /** A fresh, empty store. */
  open(options?: StoreOptions): Promise<StoreHandle>;
}

/** A store plus, for file backends, a way to open more handles on the same file. */
export interface StoreHandle {
  store: Store;
  path: string | null;
  reopen(options?: StoreOptions): Promise<Store>;
}

const opened: Store[] = [];
const reopenPaths = new Set<string>();
const dirs: string[] = [];

/** A fresh temporary folder removed after the test. */
export function tempDir(prefix = 'lash-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** Registers a store so the harness verifies and closes it after the test. */
export function track(store: Store): Store {
  opened.push(store);
  return store;
}

export const fileBackend: StoreBackend = {
  name: 'file Store',
  tier: 'durable',
  reopenable: true,
  async open(options) {
    const path = join(tempDir(), 'session.db');
    reopenPaths.add(path);
    const store = track(await Store.open(path, options));
    return { store, path, reopen: async (o) => track(await Store.open(path, o ?? options)) };
  },
};

export const memoryBackend: StoreBackend = {
  name: 'memory Store',
  tier: 'inline',
  reopenable: false,
  async open(options) {
    const store = track(await Store.memory(options));
    return {
      store,
      path: null,
      reopen: async () => {
        throw new Error('memory stores cannot be reopened');
      },
    };
  },
};

export const backends: StoreBackend[] = [fileBackend, memoryBackend];

/** After each test: every store still open verifies clean; closed file stores are reopened to verify. */
afterEach(async () => {
  const stores = opened.splice(0);
  const paths = [...reopenPaths];
  reopenPaths.clear();
  const folders = dirs.splice(0);
  // A failed check must not leak this test's stores, files or folders into the next test.
  try {
    for (const store of stores) {
      let report: Awaited<ReturnType<Store['verifyProjections']>>;
      try {
        report = await store.verifyProjections();
      } catch (error) {
        if ((error as { code?: string }).code === 'Closed') continue;
        throw error;
      }
      expect(report.mismatches, 'projections must equal the replayed log').toEqual([]);
      expect(report.ok).toBe(true);
    }
    for (const path of paths) {
      const store = await Store.open(path);
      try {
        const report = await store.verifyProjections();
        expect(report.mismatches, `projections of ${path} must equal the replayed log`).toEqual([]);
      } finally {
        await store.close();
      }
    }
  } finally {
    for (const store of stores) await store.close();
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  }
});

/** Runs `suite` once per backend. */
export function describeBackends(title: string, suite: (backend: StoreBackend) => void, list = backends): void {
  for (const backend of list) describe(`${title} [${backend.name}]`, () => suite(backend));
}

/** A clock option for tests. */
export function withClock(clock: Clock): StoreOptions {
  return { clock };
}
