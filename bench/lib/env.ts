/** The machine and the versions a run measured, for the report. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = join(BENCH_DIR, '..');

export interface Environment {
  startedAt: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  library: { version: string; commit: string | null; dirty: boolean };
  betterSqlite3: { version: string; sqlite: string };
  /** The peer libraries of `bench/package.json` as installed in `bench/node_modules/`. */
  peers: { name: string; version: string }[];
  loadAverageAtStart: number;
}

/** Installed versions of the bench's own dependencies (the peers), read from their package.json. */
export function peerVersions(): { name: string; version: string }[] {
  const manifest = JSON.parse(readFileSync(join(BENCH_DIR, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  return Object.keys(manifest.dependencies ?? {})
    .filter((name) => name !== 'lash-event-store')
    .map((name) => {
      const file = join(BENCH_DIR, 'node_modules', name, 'package.json');
      return { name, version: existsSync(file) ? packageVersion(file) : 'not installed' };
    });
}

function git(args: string[]): string | null {
  const r = spawnSync('git', args, { cwd: REPO_DIR, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function packageVersion(file: string): string {
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

/**
 * The better-sqlite3 the bench uses: it must be the very copy the library loads (the root's, so no
 * second native build) and a 12.x (13.x needs Node 22 and crashes Node 20).
 */
export function checkBetterSqlite3(): { version: string; sqlite: string } {
  const fromBench = createRequire(join(BENCH_DIR, 'lib', 'env.ts')).resolve('better-sqlite3/package.json');
  const fromLibrary = createRequire(join(REPO_DIR, 'dist', 'src', 'index.js')).resolve('better-sqlite3/package.json');
  if (fromBench !== fromLibrary) {
    throw new Error(`bench and library load different better-sqlite3 copies: ${fromBench} vs ${fromLibrary}`);
  }
  const version = packageVersion(fromBench);
  if (!version.startsWith('12.')) throw new Error(`bench needs better-sqlite3 12.x, found ${version}`);
  const db = new Database(':memory:');
  const sqlite = db.prepare('SELECT sqlite_version()').pluck().get() as string;
  db.close();
  return { version, sqlite };
}

export function environment(): Environment {
  const cpu = cpus();
  const status = git(['status', '--porcelain', '--untracked-files=no']);
  return {
    startedAt: new Date().toISOString(),
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${type()} ${release()} ${process.arch}`,
    node: process.version,
    library: {
      version: packageVersion(join(REPO_DIR, 'package.json')),
      commit: git(['rev-parse', '--short', 'HEAD']),
      dirty: status !== null && status !== '',
    },
    betterSqlite3: checkBetterSqlite3(),
    peers: peerVersions(),
    loadAverageAtStart: loadavg()[0] ?? 0,
  };
}
