/**
 * `lash-store demo [dir]`: a short, real agent-runtime workload on the embedded default — sessions
 * committing turns under fenced leases with snapshots, queued work and turn inputs claimed and
 * settled in the turn commit, background processes watched to completion, tool effects replayed
 * after a simulated restart, a trigger delivery — then a verification of every database and a
 * summary of what was stored. Only the public API is used; the parts live in `demo/`.
 */
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Presets, SingleBar } from 'cli-progress';
import { SqliteEffectHost, SqliteProcessRegistry, SqliteSessionStoreFactory, SqliteTriggerStore, Store } from '../index.js';
import { runEffects } from './demo/effects.js';
import { runProcesses } from './demo/processes.js';
import { emptySessionTally, runSession } from './demo/sessions.js';
import { runTriggers } from './demo/triggers.js';
import { UsageError } from './errors.js';

/** Where the demo writes its summary (stdout by default). */
export interface DemoOutput {
  write(text: string): unknown;
}

const SESSIONS = ['research-agent', 'coding-agent', 'review-agent'];
const TURNS = 25;
const PROCESSES = 4;
const EFFECTS = 6;

/** Removes a database file with its WAL sidecars. */
function removeDb(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(path + suffix, { force: true });
}

/** A path as the user would type it: relative to the working directory when inside it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** Reopens a database of any kind and re-derives its projections from the log. */
async function verify(kind: 'session' | 'processes' | 'effects' | 'triggers', path: string) {
  const db =
    kind === 'session'
      ? await Store.openReadonly(path)
      : kind === 'processes'
        ? await SqliteProcessRegistry.open(path)
        : kind === 'effects'
          ? await SqliteEffectHost.open(path)
          : await SqliteTriggerStore.open(path);
  try {
    const report = await db.verifyProjections();
    const events = (await db.readEvents()).length;
    return { ok: report.ok, events };
  } finally {
    await db.close();
  }
}

/** Runs the demo; returns the process exit code. */
export async function runDemo(dirArg: string | undefined, out: DemoOutput = process.stdout): Promise<number> {
  const dir = resolve(dirArg ?? 'lash-demo');
  const sessionsDir = join(dir, 'sessions');
  const processesPath = join(dir, 'processes.db');
  const effectsPath = join(dir, 'effects.db');
  const triggersPath = join(dir, 'triggers.db');
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`${shown(dir)} is not a folder`);
  try {
    rmSync(sessionsDir, { recursive: true, force: true });
    for (const path of [processesPath, effectsPath, triggersPath]) removeDb(path);
    mkdirSync(sessionsDir, { recursive: true });
  } catch (error) {
    // A path through a file (ENOTDIR), no permission, a read-only disk: the user's choice of folder.
    if (typeof (error as NodeJS.ErrnoException).code !== 'string') throw error;
    throw new UsageError(`cannot write the demo databases under ${shown(dir)}: ${(error as Error).message}`);
  }

  // The bar draws on stderr only when it is a TTY, so piped output stays clean.
  const bar = new SingleBar(
    { format: 'lash-store demo [{bar}] {value}/{total} {phase}', stream: process.stderr, hideCursor: true },
    Presets.shades_classic,
  );
  bar.start(SESSIONS.length * TURNS + PROCESSES + 2 * EFFECTS + 1, 0, { phase: '' });
  const tick = (phase: string) => () => bar.increment(1, { phase });
  const started = performance.now();
  const registry = await SqliteProcessRegistry.open(processesPath);
  const timings: Record<string, number> = {};
  let lap = performance.now();
  const time = (name: string) => {
    const now = performance.now();
    timings[name] = now - lap;
    lap = now;
  };
  const sessionTally = emptySessionTally();
  const sessionPaths: string[] = [];
  let processTally: Awaited<ReturnType<typeof runProcesses>>;
  try {
    const factory = new SqliteSessionStoreFactory(sessionsDir, { processRegistry: registry });
    for (const sessionId of SESSIONS)
      sessionPaths.push(await runSession(factory, sessionId, TURNS, sessionTally, tick(sessionId)));
    time('sessions');
    processTally = await runProcesses(registry, PROCESSES, tick('background processes'));
    time('processes');
  } finally {
    await registry.close();
  }
  const effectTally = await runEffects(effectsPath, EFFECTS, tick('effects'));
  time('effects');
  const triggerStore = await SqliteTriggerStore.open(triggersPath);
  let triggerTally: Awaited<ReturnType<typeof runTriggers>>;
  try {
    triggerTally = await runTriggers(triggerStore);
    bar.increment(1, { phase: 'trigger' });
  } finally {
    await triggerStore.close();
  }
  time('triggers');
  bar.stop();
  const elapsed = performance.now() - started;

  out.write(`lash-store demo: an agent runtime's state in ${shown(dir)}/\n\n`);
  const width = Math.max(...[...sessionPaths, processesPath, effectsPath, triggersPath].map((p) => shown(p).length));
  out.write(`${'database'.padEnd(width)}  ${'kind'.padEnd(16)}  head  nodes  events  input tokens  verify\n`);
  const databases: Array<{ kind: 'session' | 'processes' | 'effects' | 'triggers'; path: string; what: string }> = [];
  let allOk = true;
  let totalEvents = 0;
  for (const path of sessionPaths) {
    const store = await Store.openReadonly(path);
    const read = await store.loadSession({ kind: 'fullGraph' });
    await store.close();
    const v = await verify('session', path);
    allOk &&= v.ok;
    totalEvents += v.events;
    const tokens = read?.tokenLedger.reduce((n, e) => n + e.usage.inputTokens, 0) ?? 0;
    out.write(
      `${shown(path).padEnd(width)}  ${'session'.padEnd(16)}  ${String(read?.headRevision).padStart(4)}  ${String(read?.graph.nodes.length).padStart(5)}  ${String(v.events).padStart(6)}  ${String(tokens).padStart(12)}  ${v.ok ? 'ok' : 'MISMATCH'}\n`,
    );
  }
  for (const [kind, path, what] of [
    ['processes', processesPath, 'process registry'],
    ['effects', effectsPath, 'effect journal'],
    ['triggers', triggersPath, 'trigger store'],
  ] as const) {
    const v = await verify(kind, path);
    allOk &&= v.ok;
    totalEvents += v.events;
    databases.push({ kind, path, what });
    out.write(
      `${shown(path).padEnd(width)}  ${what.padEnd(16)}  ${'-'.padStart(4)}  ${'-'.padStart(5)}  ${String(v.events).padStart(6)}  ${'-'.padStart(12)}  ${v.ok ? 'ok' : 'MISMATCH'}\n`,
    );
  }

  const s = sessionTally;
  const ms = (name: string) => `${Math.round(timings[name] ?? 0)} ms`;
  out.write('\nsessions   ');
  out.write(
    `${s.commits} turn commits with snapshots under fenced leases (${Math.round((s.commits / (timings.sessions ?? 1)) * 1000)}/s), ` +
      `${s.retries} idempotent retries, ${s.fencedOut} stale writers fenced out; ` +
      `${s.queuedSettled}/${s.queuedEnqueued} queued-work batches and ${s.inputsSettled}/${s.inputsEnqueued} turn inputs claimed and settled in a commit (${ms('sessions')})\n`,
  );
  const succeeded = processTally.awaited.filter((o) => o.kind === 'success').length;
  out.write(
    `processes  ${processTally.registered} background jobs registered, ${processTally.events} progress events, ${processTally.completed} completed; ` +
      `awaitTerminal resolved ${succeeded}× success, watchProcess saw ${processTally.watchUpdates} updates (${ms('processes')})\n`,
  );
  out.write(
    `effects    ${effectTally.executed} tool calls executed (tool ran ${effectTally.executorRunsBeforeRestart}×); after a simulated restart ` +
      `${effectTally.replayed} replayed from the journal (tool ran ${effectTally.executorRunsAfterRestart}×, outcomes ${effectTally.outcomesEqual ? 'identical' : 'DIFFERENT'}) (${ms('effects')})\n`,
  );
  const delivery = triggerTally.deliveries[0];
  out.write(
    `triggers   ${triggerTally.subscriptions} subscription, ${triggerTally.occurrences} occurrence (ci.build.finished, build 1042) → ` +
      `${triggerTally.deliveries.length} delivery reserved as process ${delivery?.processId ?? '-'} (${ms('triggers')})\n`,
  );
  const replayOk = effectTally.executorRunsAfterRestart === 0 && effectTally.outcomesEqual;
  const ok = allOk && replayOk && triggerTally.deliveries.length === 1 && succeeded === processTally.registered;
  out.write(
    `\n${totalEvents} events in ${sessionPaths.length + databases.length} databases in ${Math.round(elapsed)} ms (${Math.round((totalEvents / elapsed) * 1000)} events/s)\n`,
  );
  out.write(`projections ${allOk ? 'equal' : 'DO NOT equal'} the replayed event log in every database\n\n`);
  const first = shown(sessionPaths[0] as string);
  out.write('next:\n');
  const next: Array<[string, string]> = [
    [`npx lash-store inspect ${first}`, 'what the database holds: log, projections, head, leases'],
    [`npx lash-store events ${first}`, 'the audit trail (--json for NDJSON, --follow to keep watching)'],
    [`npx lash-store verify ${shown(processesPath)}`, 're-derive the projections from the log and compare'],
    [`npx lash-store export ${shown(effectsPath)}`, 'the whole audit trail as NDJSON'],
  ];
  const cmdWidth = Math.max(...next.map(([c]) => c.length));
  for (const [command, why] of next) out.write(`  ${command.padEnd(cmdWidth)}  # ${why}\n`);
  return ok ? 0 : 1;
}
