// Run by the root `npm run bench` before `npm --prefix bench ci`: the bench links the library
// (`file:..`), whose `prepare` builds `dist/` with the root's TypeScript, and it reuses the root's
// better-sqlite3 and tsx. On a fresh clone the root is not installed yet, so install it first.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const needed = [
  'node_modules/better-sqlite3/package.json',
  'node_modules/tsx/package.json',
  'node_modules/typescript/package.json',
];
const missing = needed.filter((p) => !existsSync(join(root, p)));
if (missing.length > 0) {
  process.stderr.write(`bench: the root package is not installed (${missing.join(', ')} missing); running npm ci there\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  process.exit(r.status ?? 1);
}
