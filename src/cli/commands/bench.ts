/**
 * `lash-store bench`: the quick subset of the benchmark suite in `bench/` — our cases and the raw
 * better-sqlite3 ceiling, no peer library — in small sizes, printed as a table with its target lines.
 * It runs `bench/run.ts --quick` of the source checkout this CLI is built from, so it measures the
 * very `dist/` it runs from. Exit status: the runner's (0 every case ran, 1 a case failed), 2 when
 * the checkout has no installed bench.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';

export interface BenchOptions {
  rounds?: string;
}

/** The folder of the `lash-event-store` package this file belongs to (source or `dist/` build). */
function packageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
      if (name === 'lash-event-store') return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** Where the suite lives, or the usage error that says why it cannot run here. */
function benchDir(): string {
  const root = packageRoot();
  const bench = join(root ?? '.', 'bench');
  if (root === null || !existsSync(join(bench, 'run.ts'))) {
    throw new UsageError(
      'lash-store bench runs the suite in bench/ of a source checkout, which this installation does not include',
    );
  }
  if (!existsSync(join(bench, 'node_modules', 'lash-event-store'))) {
    throw new UsageError(
      'bench/ is not installed: run `npm --prefix bench ci --ignore-scripts` once (the quick subset needs no peer library build), or `npm run bench` for the whole suite',
    );
  }
  try {
    createRequire(join(bench, 'run.ts')).resolve('tsx');
  } catch {
    throw new UsageError('lash-store bench needs the dev dependency tsx: run `npm ci` in the checkout');
  }
  return bench;
}

export async function benchCommand(options: BenchOptions): Promise<number> {
  const rounds = options.rounds ?? '1';
  if (!/^[1-9]\d*$/.test(rounds)) throw new UsageError(`--rounds must be a positive integer, got ${rounds}`);
  const cwd = benchDir();
  return new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'run.ts', '--quick', '--rounds', rounds], {
      cwd,
      stdio: 'inherit',
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}
