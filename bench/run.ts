/**
 * The bench runner. Loads every case in `cases/`, builds fixtures once, then runs interleaved rounds
 * (each round runs every case once, in a rotated order, each in a fresh `node` child on a fresh
 * database file under `.scratch/`), and writes `RESULTS.md`.
 *
 *   node --import tsx run.ts [--rounds N] [--quick] [--only a,b] [--out FILE] [--json FILE] [--keep-scratch]
 *
 * `--quick`: the cases that define quick parameters, small, 1 round, printed only (unless `--out`).
 * Exit status: 0 when every case ran (targets may still FAIL: they are reported, not enforced),
 * 1 when a case or fixture failed, 2 on bad usage.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type BenchCase, type CaseParams, SECTIONS } from './lib/case.js';
import { BENCH_DIR, environment } from './lib/env.js';
import { type ChildResult, type ChildSpec, RESULT_MARKER } from './lib/protocol.js';
import { evaluateTargets, type FixtureRecord, renderMarkdown, resultsTable, shortDurability, targetLine } from './lib/report.js';
import { type RunRecord, summarize } from './lib/stats.js';

const CASES_DIR = join(BENCH_DIR, 'cases');
const CHILD = join(BENCH_DIR, 'lib', 'child.ts');
const CHILD_TIMEOUT_MS = 30 * 60 * 1000;

function usage(message: string): never {
  process.stderr.write(
    `bench: ${message}\nusage: run.ts [--rounds N] [--quick] [--only a,b] [--out FILE] [--json FILE] [--keep-scratch]\n`,
  );
  process.exit(2);
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function loadCases(): Promise<{ def: BenchCase; file: string }[]> {
  const files = readdirSync(CASES_DIR)
    .filter((f) => f.endsWith('.ts'))
    .sort();
  const loaded: { def: BenchCase; file: string }[] = [];
  for (const f of files) {
    const file = join(CASES_DIR, f);
    const def = ((await import(pathToFileURL(file).href)) as { default: BenchCase }).default;
    if (!def || typeof def.measure !== 'function') throw new Error(`${f}: no default-exported case`);
    if (`${def.name}.ts` !== f) throw new Error(`${f}: case name ${def.name} must match its file name`);
    loaded.push({ def, file });
  }
  return loaded.sort((a, b) => SECTIONS.indexOf(a.def.section) - SECTIONS.indexOf(b.def.section));
}

/** Runs one child and returns its result line (a crash or a timeout is a failed result). */
function runChild(spec: ChildSpec): Promise<ChildResult> {
  return new Promise((resolve) => {
    // A case at FULL sets the bench-only LASH_SQLITE_SYNCHRONOUS itself; no other case may inherit it.
    const { LASH_SQLITE_SYNCHRONOUS: _inherited, ...env } = process.env;
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, JSON.stringify(spec)], {
      cwd: BENCH_DIR,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
      if (line) {
        resolve(JSON.parse(line.slice(RESULT_MARKER.length)) as ChildResult);
        return;
      }
      resolve({ ok: false, error: `child exited with ${signal ?? code} and no result`, maxRssKiB: 0 });
    });
  });
}

function removeDb(path: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parse>;
  function parse() {
    return parseArgs({
      options: {
        rounds: { type: 'string' },
        quick: { type: 'boolean', default: false },
        only: { type: 'string' },
        out: { type: 'string' },
        json: { type: 'string' },
        'keep-scratch': { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  }
  try {
    args = parse();
  } catch (error) {
    usage((error as Error).message);
  }
  const quick = args.quick === true;
  const rounds = args.rounds === undefined ? (quick ? 1 : 5) : Number(args.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) usage('--rounds must be a positive integer');

  const all = await loadCases();
  // The quick subset (`lash-store bench`) needs no peer: raw and ours cases that define quick parameters.
  let selected = all.filter((c) => !quick || (c.def.params.quick !== undefined && c.def.section !== 'peer'));
  if (args.only !== undefined) {
    const wanted = new Set(args.only.split(',').map((s) => s.trim()));
    for (const name of wanted) if (!all.some((c) => c.def.name === name)) usage(`unknown case ${name}`);
    // A ratio needs its anchor in the same rounds.
    for (const c of all) if (wanted.has(c.def.name) && c.def.anchor) wanted.add(c.def.anchor);
    for (const c of all) for (const t of wanted.has(c.def.name) ? (c.def.targets ?? []) : []) if (t.anchor) wanted.add(t.anchor);
    // In quick mode a case without quick parameters (the peers) cannot run; its ratios show as missing.
    selected = all.filter((c) => wanted.has(c.def.name) && (!quick || c.def.params.quick !== undefined));
  }
  const paramsOf = (c: BenchCase): CaseParams => (quick ? c.params.quick : c.params.full) as CaseParams;

  const env = environment();
  const started = performance.now();
  const runDir = join(BENCH_DIR, '.scratch', `run-${env.startedAt.replace(/[:.]/g, '-')}-${process.pid}`);
  mkdirSync(runDir, { recursive: true });
  log(`bench: ${selected.length} cases × ${rounds} round(s) in ${runDir}`);
  log(`bench: ${env.cpuModel} × ${env.cores}, Node ${env.node}, better-sqlite3 ${env.betterSqlite3.version}`);

  const fixtures: FixtureRecord[] = [];
  const fixturePaths = new Map<string, string>();
  try {
    for (const { def, file } of selected) {
      if (!def.fixture) continue;
      const dir = join(runDir, 'fixtures', def.name);
      mkdirSync(dir, { recursive: true });
      const dbPath = join(dir, 'fixture.db');
      log(`bench: building fixture of ${def.name} …`);
      const t0 = performance.now();
      const res = await runChild({ caseFile: file, phase: 'fixture', params: paramsOf(def), dbPath, dir, quick });
      const seconds = (performance.now() - t0) / 1000;
      fixtures.push({
        caseName: def.name,
        ok: res.ok,
        seconds,
        notes: res.ok ? (res.notes ?? {}) : {},
        ...(res.ok ? {} : { error: res.error }),
      });
      if (res.ok) fixturePaths.set(def.name, dbPath);
      log(`bench: fixture of ${def.name} ${res.ok ? `built in ${seconds.toFixed(1)} s` : `FAILED:\n${res.error}`}`);
    }

    const records: RunRecord[] = [];
    for (let round = 1; round <= rounds; round++) {
      const shift = (round - 1) % selected.length;
      const order = [...selected.slice(shift), ...selected.slice(0, shift)];
      for (const { def, file } of order) {
        const dir = join(runDir, `round-${round}`, def.name);
        mkdirSync(dir, { recursive: true });
        const dbPath = join(dir, 'bench.db');
        const load1 = loadavg()[0] ?? 0;
        let res: ChildResult;
        if (def.fixture && !fixturePaths.has(def.name)) {
          res = { ok: false, error: 'fixture failed', maxRssKiB: 0 };
        } else {
          const fixture = fixturePaths.get(def.name);
          if (fixture) {
            copyFileSync(fixture, dbPath);
            if (existsSync(`${fixture}-wal`)) copyFileSync(`${fixture}-wal`, `${dbPath}-wal`);
          }
          res = await runChild({ caseFile: file, phase: 'measure', params: paramsOf(def), dbPath, dir, quick });
        }
        removeDb(dbPath);
        rmSync(dir, { recursive: true, force: true });
        const rec: RunRecord = res.ok
          ? {
              round,
              caseName: def.name,
              ok: true,
              ops: res.ops ?? 0,
              ms: res.ms ?? 0,
              cpuMs: res.cpuMs ?? 0,
              rate: (res.ops ?? 0) / ((res.ms ?? 0) / 1000),
              maxRssKiB: res.maxRssKiB,
              ...(res.io ? { io: res.io } : {}),
              load1,
              notes: res.notes ?? {},
              ...(res.failure !== undefined ? { failure: res.failure } : {}),
            }
          : {
              round,
              caseName: def.name,
              ok: false,
              ops: 0,
              ms: 0,
              cpuMs: 0,
              rate: 0,
              maxRssKiB: res.maxRssKiB,
              load1,
              notes: {},
              error: res.error,
            };
        records.push(rec);
        const outcome = !rec.ok
          ? `FAILED: ${rec.error}`
          : rec.failure !== undefined
            ? `library fails: ${rec.failure.split('\n')[0]}`
            : `${Math.round(rec.rate).toLocaleString('en-US').padStart(10)} ${def.unit}  (${rec.ms.toFixed(0)} ms, RSS ${(rec.maxRssKiB / 1024).toFixed(0)} MiB)`;
        log(`round ${round}/${rounds}  ${def.name.padEnd(34)} ${outcome}`);
      }
    }

    const cases = selected.map((c) => c.def);
    const seconds = (performance.now() - started) / 1000;
    const argv = process.argv.slice(2);
    const command = `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`;
    const report = { env, command, rounds, quick, seconds, loadAverageAtEnd: loadavg()[0] ?? 0, cases, records, fixtures };
    const markdown = renderMarkdown(report);
    const summaries = new Map(cases.map((c) => [c.name, summarize(c, records)]));
    const unitOf = (name: string) => cases.find((c) => c.name === name)?.unit ?? '';
    const durabilityOf = (name: string) => shortDurability(cases.find((c) => c.name === name)?.durability ?? '');
    process.stdout.write(`\n${resultsTable(cases, summaries)}\n\n`);
    for (const t of evaluateTargets(cases, records)) process.stdout.write(`${targetLine(t, unitOf, durabilityOf)}\n`);
    const out = args.out ?? (quick || args.only !== undefined ? undefined : join(BENCH_DIR, 'RESULTS.md'));
    if (out) {
      writeFileSync(out, markdown);
      log(`\nbench: wrote ${out}`);
    }
    if (args.json)
      writeFileSync(args.json, `${JSON.stringify(report, (_k, v) => (typeof v === 'function' ? undefined : v), 2)}\n`);
    const failed = records.some((r) => !r.ok) || fixtures.some((f) => !f.ok);
    return failed ? 1 : 0;
  } finally {
    if (!args['keep-scratch']) rmSync(runDir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
