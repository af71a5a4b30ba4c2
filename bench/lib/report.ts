/** Markdown report of a run: machine, versions, medians with min–max, ratios, targets, raw rounds. */
import type { BenchCase, Target } from './case.js';
import type { Environment } from './env.js';
import { type CaseSummary, measured, metricOf, type RunRecord, roundRatios, type Spread, spread, summarize } from './stats.js';

export interface FixtureRecord {
  caseName: string;
  ok: boolean;
  seconds: number;
  notes: Record<string, number | string>;
  error?: string;
}

export interface RunReport {
  env: Environment;
  command: string;
  rounds: number;
  quick: boolean;
  seconds: number;
  loadAverageAtEnd: number;
  cases: BenchCase[];
  records: RunRecord[];
  fixtures: FixtureRecord[];
}

export interface TargetResult {
  target: Target;
  caseName: string;
  pass: boolean;
  measured: Spread | null;
}

function fmtNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toLocaleString('en-US', { maximumSignificantDigits: 3 });
}

function fmtRatio(n: number): string {
  return `${n.toFixed(n >= 10 ? 1 : 2)}×`;
}

function fmtSpread(s: Spread | null, fmt: (n: number) => string): string {
  if (!s) return '—';
  return s.n === 1 ? fmt(s.median) : `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;
}

/**
 * Every target of `cases`. A target whose anchor is not part of this run (e.g. a peer in the quick
 * subset) is left out: it compares nothing here.
 */
export function evaluateTargets(cases: BenchCase[], records: RunRecord[]): TargetResult[] {
  const names = new Set(cases.map((c) => c.name));
  const out: TargetResult[] = [];
  for (const c of cases) {
    for (const target of c.targets ?? []) {
      if (target.anchor !== undefined && !names.has(target.anchor)) continue;
      const values =
        target.anchor !== undefined
          ? roundRatios(records, c.name, target.anchor, target.metric)
          : records
              .filter((r) => r.caseName === c.name && measured(r))
              .map((r) => metricOf(r, target.metric))
              .filter(Number.isFinite);
      const m = spread(values);
      const pass =
        m !== null &&
        (target.min === undefined || m.median >= target.min) &&
        (target.max === undefined || m.median <= target.max);
      out.push({ target, caseName: c.name, measured: m, pass });
    }
  }
  return out;
}

function metricText(t: TargetResult, unitOf: (name: string) => string): string {
  const metric = t.target.metric ?? 'rate';
  if (t.target.anchor !== undefined) {
    const what = metric === 'rate' ? '' : metric === 'rssMiB' ? ' of peak RSS' : ` of \`${metric.note}\``;
    return `${fmtSpread(t.measured, fmtRatio)}${what}`;
  }
  if (metric === 'rate') return `${fmtSpread(t.measured, fmtNumber)} ${unitOf(t.caseName)}`;
  if (metric === 'rssMiB') return `${fmtSpread(t.measured, (n) => n.toFixed(0))} MiB peak RSS`;
  return `\`${metric.note}\` ${fmtSpread(t.measured, fmtNumber)}`;
}

/** One line per target, for the console and the report; `durabilityOf` names what is compared. */
export function targetLine(
  t: TargetResult,
  unitOf: (name: string) => string,
  durabilityOf: (name: string) => string = () => '',
): string {
  const verdict = t.measured === null ? 'FAIL (no measurement)' : t.pass ? 'PASS' : 'FAIL';
  const side = (name: string) => {
    const d = durabilityOf(name);
    return d ? `\`${name}\` [${d}]` : `\`${name}\``;
  };
  const what = t.target.anchor !== undefined ? `${side(t.caseName)} ÷ ${side(t.target.anchor)}` : side(t.caseName);
  return `${verdict} — ${t.target.label}: measured ${metricText(t, unitOf)} (${what}, median over rounds)`;
}

/** The journal mode and `synchronous` level of a durability text, without its comments. */
export function shortDurability(text: string): string {
  return (text.split(' (')[0] ?? text).split(';')[0]?.split(' —')[0]?.trim() ?? text;
}

/** The first line of an error or failure message, without table-breaking pipes. */
function firstLine(text: string | undefined): string {
  return (text ?? '').split('\n')[0]?.replaceAll('|', '\\|') ?? '';
}

/** The results table (markdown), also printed to the console. */
export function resultsTable(cases: BenchCase[], summaries: Map<string, CaseSummary>): string {
  const names = new Set(cases.map((c) => c.name));
  const lines = [
    '| case | durability | rate: median (min–max) | ÷ like-with-like anchor of the same round: median (min–max) | CPU / wall | KiB written / op | write calls / op | peak RSS MiB |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const c of cases) {
    const s = summaries.get(c.name);
    if (!s) continue;
    let rate: string;
    if (s.rate) rate = `${fmtSpread(s.rate, fmtNumber)} ${c.unit}`;
    else if (s.libraryFailures.length > 0)
      rate = `**library fails** (${s.libraryFailures.length} of ${s.libraryFailures.length + s.failures.length} runs): ${firstLine(s.libraryFailures[0]?.failure)}`;
    else rate = `**failed** (${s.failures.length} runs)`;
    const ratio = c.anchor
      ? names.has(c.anchor)
        ? `${fmtSpread(s.ratio, fmtRatio)} \`${c.anchor}\``
        : `— (\`${c.anchor}\` not in this run)`
      : '—';
    const cpu = s.cpuShare ? `${Math.round(s.cpuShare.median * 100)}%` : '—';
    const kib = s.kibPerOp ? s.kibPerOp.median.toFixed(1) : '—';
    const calls = s.writesPerOp ? s.writesPerOp.median.toFixed(1) : '—';
    lines.push(
      `| \`${c.name}\` | ${c.durability} | ${rate} | ${ratio} | ${cpu} | ${kib} | ${calls} | ${fmtSpread(s.rssMiB, (n) => n.toFixed(0))} |`,
    );
  }
  return lines.join('\n');
}

function paramText(params: object): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? v.toLocaleString('en-US') : v}`)
    .join(', ');
}

export function renderMarkdown(r: RunReport): string {
  const { env } = r;
  const summaries = new Map(r.cases.map((c) => [c.name, summarize(c, r.records)]));
  const targets = evaluateTargets(r.cases, r.records);
  const unitOf = (name: string) => r.cases.find((c) => c.name === name)?.unit ?? '';
  const commit = env.library.commit ? ` @ ${env.library.commit}${env.library.dirty ? ' + uncommitted changes' : ''}` : '';
  const out: string[] = [];
  out.push('# lash-event-store benchmark results', '');
  out.push(
    `\`${r.command}\` — ${r.rounds} interleaved round${r.rounds === 1 ? '' : 's'}${r.quick ? ' (quick subset)' : ''}, started ${env.startedAt}, took ${Math.round(r.seconds)} s.`,
    '',
  );
  out.push('## Machine and versions', '', '| | |', '| --- | --- |');
  out.push(`| CPU | ${env.cpuModel} × ${env.cores} cores |`);
  out.push(`| memory | ${env.memoryGiB} GiB |`);
  out.push(`| OS | ${env.os} |`);
  out.push(`| Node | ${env.node} |`);
  out.push(`| lash-event-store | ${env.library.version}${commit} (built \`dist/\`) |`);
  out.push(`| better-sqlite3 | ${env.betterSqlite3.version} (SQLite ${env.betterSqlite3.sqlite}) |`);
  const peerCases = new Set(r.cases.filter((c) => c.section === 'peer').map((c) => c.name));
  if (peerCases.size > 0) {
    const installed = env.peers.map((p) => `${p.name} ${p.version}`).join(', ');
    out.push(`| peers (\`bench/package.json\`) | ${installed || 'none installed'} |`);
  }
  out.push(`| 1-min load average | ${env.loadAverageAtStart.toFixed(2)} at start, ${r.loadAverageAtEnd.toFixed(2)} at end |`);
  out.push('');
  const busiest = Math.max(env.loadAverageAtStart, r.loadAverageAtEnd, ...r.records.map((rec) => rec.load1));
  if (busiest > env.cores) {
    out.push(
      `> **The machine was busy during this run** (1-min load average up to ${busiest.toFixed(1)} on ${env.cores} cores, ` +
        'from other processes): absolute rates are depressed and noisy, and the CPU / wall column shows how much of ' +
        'each measured phase the process actually ran. Prefer the per-round ratios, and re-run on an idle machine ' +
        'before quoting absolute numbers.',
      '',
    );
  }
  out.push('## Results', '');
  out.push(
    'Each case ran once per round in a fresh `node` process on a fresh database file in `bench/.scratch/`; ' +
      'only the measured phase is timed. Cells are median (min–max) over rounds. Ratios are computed per round ' +
      "against the anchor's run in the same round, then reduced to a median. CPU / wall is the process's CPU time " +
      'during the measured phase over its wall time (below 100%: waiting on I/O, or preempted). ' +
      '"KiB written / op" and "write calls / op" come from `/proc/self/io` (`wchar`, `syscw`) around the measured ' +
      'phase: WAL frames plus checkpoints, the write amplification of one operation.',
    '',
  );
  out.push(
    '**Like with like.** The durability column says what a commit promises: at `synchronous=NORMAL` a WAL ' +
      'commit is not fsynced (a power loss can drop the last commits, never corrupt); at `FULL` every commit ' +
      'fsyncs the WAL. plainjob and liteque force NORMAL, so they are compared with our cases at NORMAL (the Store ' +
      'default); emmett-sqlite runs node-sqlite3 at its default FULL, so it is compared with our cases run at FULL ' +
      '(`LASH_SQLITE_SYNCHRONOUS=FULL`, a bench-only switch, see `docs/decisions.md`). Each case is divided by the ' +
      'anchor named in its ratio column, and every target line names both sides with their durability.',
    '',
  );
  out.push(resultsTable(r.cases, summaries), '');
  const durabilityOf = (name: string) => shortDurability(r.cases.find((c) => c.name === name)?.durability ?? '');
  if (targets.length > 0) {
    out.push('## Targets', '');
    for (const t of targets) out.push(`- ${targetLine(t, unitOf, durabilityOf)}`);
    out.push('');
  }
  const libraryFailures = [...summaries.values()].filter((s) => s.libraryFailures.length > 0);
  if (libraryFailures.length > 0) {
    out.push('## Workloads a library could not run (its result, not a suite failure)', '');
    for (const s of libraryFailures) {
      const runs = s.libraryFailures.map((f) => f.round).join(', ');
      out.push(`- \`${s.name}\` (rounds ${runs}): ${firstLine(s.libraryFailures[0]?.failure)}`);
    }
    out.push('');
  }
  const failures = [...summaries.values()].flatMap((s) => s.failures);
  if (failures.length > 0) {
    out.push('## Failures', '');
    for (const f of failures) out.push(`- \`${f.caseName}\` round ${f.round}: ${firstLine(f.error)}`);
    out.push('');
  }
  out.push('## Cases', '');
  for (const c of r.cases) {
    const params = r.quick ? c.params.quick : c.params.full;
    out.push(`- \`${c.name}\` (${c.unit}) — ${c.title}. Parameters: ${params ? paramText(params) : '—'}.`);
  }
  out.push('');
  if (r.fixtures.length > 0) {
    out.push('## Fixtures (built once per run, not timed; each round measures a fresh copy)', '');
    for (const f of r.fixtures) {
      const detail = f.ok ? paramText(f.notes) : `failed: ${(f.error ?? '').split('\n')[0]}`;
      out.push(`- \`${f.caseName}\`: ${detail}; built in ${f.seconds.toFixed(1)} s.`);
    }
    out.push('');
  }
  out.push('## Per-round data', '');
  out.push(
    '| round | case | ops | measured ms | rate | CPU ms | KiB written | peak RSS MiB | load avg before | notes |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const rec of [...r.records].sort((a, b) => a.round - b.round)) {
    const notes = !rec.ok
      ? `failed: ${firstLine(rec.error)}`
      : rec.failure !== undefined
        ? [`library fails: ${firstLine(rec.failure)}`, paramText(rec.notes)].filter(Boolean).join('; ')
        : paramText(rec.notes);
    const m = measured(rec);
    out.push(
      `| ${rec.round} | \`${rec.caseName}\` | ${m ? rec.ops.toLocaleString('en-US') : '—'} | ${m ? rec.ms.toFixed(1) : '—'} | ${m ? fmtNumber(rec.rate) : '—'} | ${m ? rec.cpuMs.toFixed(0) : '—'} | ${rec.io ? Math.round(rec.io.writtenBytes / 1024).toLocaleString('en-US') : '—'} | ${(rec.maxRssKiB / 1024).toFixed(0)} | ${rec.load1.toFixed(1)} | ${notes} |`,
    );
  }
  out.push('');
  return out.join('\n');
}
