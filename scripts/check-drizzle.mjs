#!/usr/bin/env node
// Fails when drizzle/ is out of date with schema/: regenerates each kind's DDL into a scratch copy
// of its migration folder and checks that drizzle-kit found nothing new to write.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const kinds = readdirSync(join(root, 'drizzle'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);
let stale = false;
for (const kind of kinds) {
  // drizzle-kit only accepts an --out path relative to the working directory.
  const relative = `.drizzle-check/${kind}`;
  const scratch = join(root, relative);
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  try {
    cpSync(join(root, 'drizzle', kind), scratch, { recursive: true });
    const before = readdirSync(scratch).sort().join(',');
    execFileSync(
      join(root, 'node_modules', '.bin', 'drizzle-kit'),
      ['generate', '--dialect', 'sqlite', '--schema', `./schema/${kind}.ts`, '--out', `./${relative}`],
      { cwd: root, stdio: 'pipe' },
    );
    const after = readdirSync(scratch).sort().join(',');
    if (before !== after) {
      stale = true;
      console.error(`drizzle/${kind} is out of date with schema/${kind}.ts: run LASH_DB_KIND=${kind} npm run db:generate`);
    } else {
      console.log(`drizzle/${kind}: up to date with schema/${kind}.ts`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
rmSync(join(root, '.drizzle-check'), { recursive: true, force: true });
process.exit(stale ? 1 : 0);
