/**
 * Helpers of the crash tests: a fresh campaign folder per test, and children started from plain-JS
 * copies of the sources (`test/support/compiled.ts`): `node --import tsx` costs about two seconds of
 * CPU per child start, which a 50-kill campaign on two cores cannot afford.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import type { ChildLauncher } from '../../src/crash/campaign.js';
import { compiledScript } from '../support/compiled.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dirs: string[] = [];

/** A fresh folder, removed after the test. */
export function campaignDir(prefix = 'lash-crash-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Starts children from the transpiled copy of `src/crash/child-main.ts`. */
export async function compiledLauncher(): Promise<ChildLauncher> {
  const script = await compiledScript('src/crash/child-main.ts');
  return { command: process.execPath, args: [script], cwd: ROOT };
}
