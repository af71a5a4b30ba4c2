/**
 * Backend factories for the process registry conformance suites (30-process-registry §5.0). Every
 * suite runs against a file registry and a memory registry; after every test each registry the test
 * opened must pass `verifyProjections()`, and every file it used is reopened and verified too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect } from 'vitest';
import { type ProcessRegistryOptions, SqliteProcessRegistry } from '../../src/index.js';

/** A way to make registries for a test. */
export interface RegistryBackend {
  name: string;
  tier: 'durable' | 'inline';
  /** Whether `reopen` gives a second handle on the same data. */
  file: boolean;
  /** A fresh, empty registry. */
  open(options?: ProcessRegistryOptions): Promise<RegistryHandle>;
}

/** A registry plus, for the file backend, its folder and a way to open more handles on the file. */
export interface RegistryHandle {
  registry: SqliteProcessRegistry;
  path: string | null;
  dir: string | null;
  reopen(options?: ProcessRegistryOptions): Promise<SqliteProcessRegistry>;
}

const opened: SqliteProcessRegistry[] = [];
const reopenPaths = new Set<string>();
const dirs: string[] = [];

/** A fresh temporary folder removed after the test. */
export function registryTempDir(prefix = 'lash-registry-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** Registers a registry so the harness verifies and closes it after the test. */
export function trackRegistry(registry: SqliteProcessRegistry, path: string | null = null): SqliteProcessRegistry {
  opened.push(registry);
  if (path !== null) reopenPaths.add(path);
  return registry;
}

/** Opens a registry on `path` and tracks it. */
export async function openRegistryAt(path: string, options?: ProcessRegistryOptions): Promise<SqliteProcessRegistry> {
  return trackRegistry(await SqliteProcessRegistry.open(path, options), path);
}

export const fileRegistryBackend: RegistryBackend = {
  name: 'file registry',
  tier: 'durable',
  file: true,
  async open(options) {
    const dir = registryTempDir();
    const path = join(dir, 'processes.db');
    const registry = await openRegistryAt(path, options);
    return { registry, path, dir, reopen: (o) => openRegistryAt(path, o ?? options) };
  },
};

export const memoryRegistryBackend: RegistryBackend = {
  name: 'memory registry',
  tier: 'inline',
  file: false,
  async open(options) {
    const registry = trackRegistry(await SqliteProcessRegistry.memory(options));
    return {
      registry,
      path: null,
      dir: null,
      reopen: async () => {
        throw new Error('memory registries cannot be reopened');
      },
    };
  },
};

export const registryBackends: RegistryBackend[] = [fileRegistryBackend, memoryRegistryBackend];

afterEach(async () => {
  const registries = opened.splice(0);
  const paths = [...reopenPaths];
  reopenPaths.clear();
  const folders = dirs.splice(0);
  try {
    for (const registry of registries) {
      let report: Awaited<ReturnType<SqliteProcessRegistry['verifyProjections']>>;
      try {
        report = await registry.verifyProjections();
      } catch (error) {
        if ((error as { code?: string }).code === 'Closed') continue;
        throw error;
      }
      expect(report.mismatches, 'registry projections must equal the replayed log').toEqual([]);
      expect(report.ok).toBe(true);
    }
    for (const path of paths) {
      const registry = await SqliteProcessRegistry.open(path);
      try {
        const report = await registry.verifyProjections();
        expect(report.mismatches, `projections of ${path} must equal the replayed log`).toEqual([]);
      } finally {
        await registry.close();
      }
    }
  } finally {
    for (const registry of registries) await registry.close();
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  }
});

/** Runs `suite` once per registry backend. */
export function describeRegistries(title: string, suite: (backend: RegistryBackend) => void, list = registryBackends): void {
  for (const backend of list) describe(`${title} [${backend.name}]`, () => suite(backend));
}
