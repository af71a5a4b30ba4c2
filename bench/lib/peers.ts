/** Small helpers of the peer cases. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BENCH_DIR } from './env.js';

/** A logger that drops everything (plainjob logs `console.debug` per job by default). */
export const SILENT = {
  error() {},
  warn() {},
  info() {},
  debug() {},
};

/** The installed version of a bench dependency. */
export function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(join(BENCH_DIR, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * Which better-sqlite3 package `name` loads (resolved from its own folder, as its `import` does):
 * its version and folder, to check that a peer runs on the pinned 12.x copy the library loads.
 */
export function betterSqlite3Of(name: string): { version: string; dir: string } {
  const from = createRequire(join(BENCH_DIR, 'node_modules', name, 'package.json'));
  const file = from.resolve('better-sqlite3/package.json');
  return { version: (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version, dir: dirname(file) };
}
