/**
 * Child process entry: runs one case's fixture or measured phase and prints one result line
 * (`RESULT_MARKER` + JSON) on stdout, including this process's peak RSS at the end.
 * Usage: node --expose-gc --import tsx lib/child.ts '<ChildSpec JSON>'
 */
import { pathToFileURL } from 'node:url';
import type { BenchCase } from './case.js';
import { type ChildResult, type ChildSpec, RESULT_MARKER } from './protocol.js';

async function main(): Promise<ChildResult> {
  const spec = JSON.parse(process.argv[2] ?? '') as ChildSpec;
  const mod = (await import(pathToFileURL(spec.caseFile).href)) as { default: BenchCase };
  const c = mod.default;
  if (spec.phase === 'fixture') {
    if (!c.fixture) throw new Error(`${c.name} has no fixture`);
    const notes = await c.fixture(spec.dbPath, spec.params);
    return { ok: true, notes: notes ?? {}, maxRssKiB: process.resourceUsage().maxRSS };
  }
  const m = await c.measure({ dbPath: spec.dbPath, dir: spec.dir, quick: spec.quick }, spec.params);
  return {
    ok: true,
    ops: m.ops,
    ms: m.ms,
    cpuMs: m.cpuMs,
    ...(m.io ? { io: m.io } : {}),
    notes: m.notes ?? {},
    ...(m.failure !== undefined ? { failure: m.failure } : {}),
    maxRssKiB: process.resourceUsage().maxRSS,
  };
}

let result: ChildResult;
try {
  result = await main();
} catch (error) {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  result = { ok: false, error: text, maxRssKiB: process.resourceUsage().maxRSS };
}
// Exit explicitly: a case that leaves a handle open must not hang the run.
process.stdout.write(`\n${RESULT_MARKER}${JSON.stringify(result)}\n`, () => process.exit(0));
