/**
 * The crash-campaign runner. Each round starts a few child processes on one set of databases; the
 * first child of most rounds has one fault point armed (cycling through every point), the others
 * are SIGKILLed by the parent at a seeded moment (after their n-th reported operation, or during
 * start-up). Once every child of the round is dead, each workload module reopens its databases and
 * checks them (see `ModuleVerifier`). The plan — seeds, armed points, kill moments — follows from
 * the campaign seed; the exact instruction a timed kill lands on depends on scheduling.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpus, hostname, platform, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { FAULT_POINTS, type FaultPoint } from '../events/fault.js';
import { localProcessIdentity } from '../leases/liveness.js';
import { CHILD_CONFIG_ENV, type ChildConfig } from './child.js';
import type { Findings, InFlightResolution, ModuleVerifier, OpRecord, RecoveryContext, WorkloadModule } from './module.js';
import { CRASH_MODULES } from './modules.js';
import { Prng } from './prng.js';
import { type ChildMessage, fromWire, MessageReader } from './protocol.js';

/** How a child process is started: `node <script>` from `dist/`, `node --import tsx <script.ts>` from the sources. */
export interface ChildLauncher {
  command: string;
  args: string[];
  cwd: string;
}

/** The launcher matching how this module itself was loaded (compiled or TypeScript sources). */
export function defaultChildLauncher(): ChildLauncher {
  const here = import.meta.url;
  const fromSources = here.endsWith('.ts');
  const script = fileURLToPath(new URL(`./child-main.${fromSources ? 'ts' : 'js'}`, here));
  const root = fileURLToPath(new URL(fromSources ? '../../' : '../../../', here));
  return { command: process.execPath, args: fromSources ? ['--import', 'tsx', script] : [script], cwd: root };
}

/** Options of `runCrashCampaign`. */
export interface CrashCampaignOptions {
  /** Stop after this many child processes were SIGKILLed. */
  kills: number;
  /** Any string; the same seed gives the same plan. */
  seed: string;
  /** The folder for the databases and archives (created if missing; reused as is). */
  dir: string;
  /** Children running at once in a round (default 2). */
  children?: number;
  /**
   * Workload modules (default: every store that has one, `CRASH_MODULES`). Children load modules by
   * name from `CRASH_MODULES`, so only those can be chosen; a new store adds its module there.
   */
  modules?: readonly WorkloadModule[];
  /** Fault points to cycle through (default: all of them). */
  faultPoints?: readonly FaultPoint[];
  /** Called after every round's recovery. */
  onRound?: (progress: CampaignProgress) => void;
  /** Called with every finding (`LOST: …` / `DIVERGENCE: …`) as soon as it is made. */
  onFinding?: (message: string) => void;
  /** How to start children (default: `defaultChildLauncher()`). */
  launcher?: ChildLauncher;
}

/** Progress after a round. */
export interface CampaignProgress {
  round: number;
  kills: number;
  targetKills: number;
  acknowledged: number;
  lost: number;
  divergences: number;
}

/** The figures of a finished campaign. */
export interface CrashCampaignReport {
  /** True when nothing acknowledged was lost and nothing diverged. */
  ok: boolean;
  seed: string;
  dir: string;
  kills: number;
  rounds: number;
  childrenPerRound: number;
  modules: string[];
  killsByCause: { timed: number; startup: number; safety: number; faultPoint: number };
  faultPoints: Record<FaultPoint, { armed: number; fired: number }>;
  operations: {
    begun: number;
    acknowledged: number;
    failedAsExpected: number;
    inFlightAtKill: number;
    retriedByParent: number;
  };
  acknowledgedByOp: Record<string, number>;
  lost: number;
  divergences: number;
  /** Every operation in flight at a kill: whether it had committed, and how its retry went. */
  inFlight: { round: number; child: number; op: string; committedBeforeKill: boolean | null; outcome: string }[];
  /** The first findings, verbatim. */
  violations: string[];
  /** Recoveries, retries by outcome, events delivered and compacted, … */
  counters: Record<string, number>;
  wallMs: number;
  machine: { cpus: number; cpuModel: string; platform: string; node: string; memoryGiB: number };
}

const MAX_MESSAGES = 100;
/** An armed child that has not reached its point after this many operations is killed anyway. */
const SAFETY_BEGINS = 4000;
const SAFETY_MS = 60_000;

/** How many times a point is passed before it fires (points on hot paths get more room). */
const FAULT_AFTER_MAX: Record<FaultPoint, number> = {
  beforeAppend: 60,
  afterAppendBeforeProjection: 60,
  afterProjectionBeforeCommit: 30,
  afterCommitBeforePublish: 30,
  insideBlobWrite: 12,
  compactBeforeArchiveFsync: 1,
  compactAfterArchiveFsync: 1,
};

class CampaignFindings implements Findings {
  constructor(private readonly onFinding?: (message: string) => void) {}

  lostCount = 0;
  divergenceCount = 0;
  readonly messages: string[] = [];
  readonly counters: Record<string, number> = {};

  lost(message: string): void {
    this.lostCount++;
    this.#keep(`LOST: ${message}`);
  }

  divergence(message: string): void {
    this.divergenceCount++;
    this.#keep(`DIVERGENCE: ${message}`);
  }

  count(name: string, by = 1): void {
    this.counters[name] = (this.counters[name] ?? 0) + by;
  }

  #keep(message: string): void {
    this.onFinding?.(message);
    if (this.messages.length < MAX_MESSAGES) this.messages.push(message);
  }
}

type KillPlan =
  | { kind: 'afterBegin'; begins: number; delayMs: number }
  | { kind: 'startup'; delayMs: number }
  | { kind: 'faultOnly' };

interface ChildPlan {
  index: number;
  seed: string;
  fault: { point: FaultPoint; after: number } | null;
  kill: KillPlan;
}

function planRound(rng: Prng, seed: string, round: number, children: number, points: readonly FaultPoint[]): ChildPlan[] {
  const cycle = points.length + 1;
  const slot = round % cycle;
  const armed = slot < points.length ? (points[slot] as FaultPoint) : null;
  const plans: ChildPlan[] = [];
  for (let index = 0; index < children; index++) {
    const childSeed = `${seed}:round ${round}:child ${index}`;
    if (index === 0 && armed) {
      plans.push({
        index,
        seed: childSeed,
        fault: { point: armed, after: rng.int(FAULT_AFTER_MAX[armed] + 1) },
        kill: { kind: 'faultOnly' },
      });
    } else if (rng.chance(0.05)) {
      plans.push({ index, seed: childSeed, fault: null, kill: { kind: 'startup', delayMs: rng.int(600) } });
    } else {
      plans.push({
        index,
        seed: childSeed,
        fault: null,
        kill: { kind: 'afterBegin', begins: rng.between(1, 300), delayMs: rng.int(4) },
      });
    }
  }
  return plans;
}

type KillCause = 'timed' | 'startup' | 'safety';

interface ChildRun {
  plan: ChildPlan;
  pid: number;
  killCause: KillCause | null;
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: string;
  begins: number;
}

/** Runs a crash campaign and returns its report; `report.ok` is false on any lost or diverging data. */
export async function runCrashCampaign(options: CrashCampaignOptions): Promise<CrashCampaignReport> {
  if (process.env.LASH_FAULT_POINT) {
    throw new Error('LASH_FAULT_POINT is set in the campaign process itself; unset it (children get it from the campaign)');
  }
  if (!Number.isSafeInteger(options.kills) || options.kills < 1) throw new Error('kills must be a positive integer');
  const started = performance.now();
  const modules = options.modules ?? CRASH_MODULES;
  for (const module of modules) {
    if (!CRASH_MODULES.includes(module))
      throw new Error(`workload module '${module.name}' is not in CRASH_MODULES, so children cannot load it`);
  }
  const points = options.faultPoints ?? FAULT_POINTS;
  const childrenPerRound = Math.max(1, options.children ?? 2);
  const launcher = options.launcher ?? defaultChildLauncher();
  const hostId = hostname();
  const identity = localProcessIdentity('crash-campaign', `campaign:${process.pid}`, hostId);
  const findings = new CampaignFindings(options.onFinding);
  const rng = new Prng(`campaign:${options.seed}`);
  const faultPoints = Object.fromEntries(
    FAULT_POINTS.map((p) => [p, { armed: 0, fired: 0 }]),
  ) as CrashCampaignReport['faultPoints'];
  const killsByCause = { timed: 0, startup: 0, safety: 0, faultPoint: 0 };
  const operations = { begun: 0, acknowledged: 0, failedAsExpected: 0, inFlightAtKill: 0, retriedByParent: 0 };
  const acknowledgedByOp: Record<string, number> = {};
  const deadPids = new Set<number>();
  let parentOps = 0;
  const inFlight: CrashCampaignReport['inFlight'] = [];
  const resolved = (r: InFlightResolution) => {
    inFlight.push({
      round: r.op.round,
      child: r.op.child,
      op: r.op.op,
      committedBeforeKill: r.committedBeforeKill,
      outcome: r.outcome,
    });
  };
  const record = (op: OpRecord) => {
    operations.retriedByParent++;
    acknowledgedByOp[op.op] = (acknowledgedByOp[op.op] ?? 0) + 1;
  };

  const verifiers: ModuleVerifier[] = [];
  for (const module of modules) verifiers.push(await module.openVerifier({ dir: options.dir, findings }));

  let kills = 0;
  let round = 0;
  let barren = 0;
  try {
    while (kills < options.kills) {
      const children = Math.min(childrenPerRound, options.kills - kills);
      const plans = planRound(rng.fork(`round ${round}`), options.seed, round, children, points);
      const ops: OpRecord[] = [];
      const runs = plans.map((plan) =>
        startChild(plan, { round, dir: options.dir, hostId, modules: modules.map((m) => m.name), launcher, findings, ops }),
      );
      const ends = await Promise.all(runs.map((r) => r.closed));
      let roundKills = 0;
      runs.forEach((run, i) => {
        const end = ends[i] as { code: number | null; signal: NodeJS.Signals | null };
        if (run.plan.fault) faultPoints[run.plan.fault.point].armed++;
        if (end.signal === 'SIGKILL') {
          roundKills++;
          deadPids.add(run.pid);
          if (run.killCause !== null) killsByCause[run.killCause]++;
          else if (run.plan.fault) {
            killsByCause.faultPoint++;
            faultPoints[run.plan.fault.point].fired++;
          } else findings.divergence(`round ${round} child ${run.plan.index} was SIGKILLed by nobody the campaign knows`);
        } else {
          findings.divergence(
            `round ${round} child ${run.plan.index} ended by itself (code ${end.code}, signal ${end.signal}): ${run.stderr.slice(-800)}`,
          );
        }
      });
      for (const op of ops) {
        operations.begun++;
        if (op.status === 'acked') {
          operations.acknowledged++;
          acknowledgedByOp[op.op] = (acknowledgedByOp[op.op] ?? 0) + 1;
        } else if (op.status === 'failed' && op.error?.expected) operations.failedAsExpected++;
        else if (op.status === 'begun') operations.inFlightAtKill++;
      }
      const ctx: RecoveryContext = {
        round,
        ops,
        deadPids,
        identity,
        findings,
        nextOpId: () => `parent${parentOps++}`,
        record,
        resolved,
      };
      for (const verifier of verifiers) await verifier.recover(ctx);
      findings.count('recoveries.rounds');
      kills += roundKills;
      barren = roundKills === 0 ? barren + 1 : 0;
      options.onRound?.({
        round,
        kills,
        targetKills: options.kills,
        acknowledged: operations.acknowledged,
        lost: findings.lostCount,
        divergences: findings.divergenceCount,
      });
      round++;
      if (barren >= 3) {
        findings.divergence('three rounds in a row killed no child: the children cannot start');
        break;
      }
    }
    const finalCtx: RecoveryContext = {
      round,
      ops: [],
      deadPids,
      identity,
      findings,
      nextOpId: () => `parent${parentOps++}`,
      record,
      resolved,
    };
    for (const verifier of verifiers) await verifier.finalCheck(finalCtx);
  } finally {
    for (const verifier of verifiers) await verifier.close();
  }
  const cpuList = cpus();
  return {
    ok: findings.lostCount === 0 && findings.divergenceCount === 0,
    seed: options.seed,
    dir: options.dir,
    kills,
    rounds: round,
    childrenPerRound,
    modules: modules.map((m) => m.name),
    killsByCause,
    faultPoints,
    operations,
    acknowledgedByOp,
    lost: findings.lostCount,
    divergences: findings.divergenceCount,
    inFlight,
    violations: findings.messages,
    counters: findings.counters,
    wallMs: Math.round(performance.now() - started),
    machine: {
      cpus: cpuList.length,
      cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
      platform: `${platform()} ${process.arch}`,
      node: process.version,
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    },
  };
}

interface ChildSetup {
  round: number;
  dir: string;
  hostId: string;
  modules: string[];
  launcher: ChildLauncher;
  findings: Findings;
  /** The round's operations, appended in the order the parent reads them. */
  ops: OpRecord[];
}

function startChild(plan: ChildPlan, setup: ChildSetup): ChildRun {
  const config: ChildConfig = {
    dir: setup.dir,
    seed: plan.seed,
    round: setup.round,
    child: plan.index,
    hostId: setup.hostId,
    modules: setup.modules,
    focus: plan.fault?.point.startsWith('compact') ? ['compaction'] : [],
    maxSteps: 1_000_000,
  };
  const env: NodeJS.ProcessEnv = { ...process.env, [CHILD_CONFIG_ENV]: JSON.stringify(config) };
  delete env.LASH_FAULT_POINT;
  delete env.LASH_FAULT_AFTER;
  if (plan.fault) {
    env.LASH_FAULT_POINT = plan.fault.point;
    env.LASH_FAULT_AFTER = String(plan.fault.after);
  }
  const proc: ChildProcess = spawn(setup.launcher.command, setup.launcher.args, {
    cwd: setup.launcher.cwd,
    env,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  const tag = `round ${setup.round} child ${plan.index}`;
  const byId = new Map<string, OpRecord>();
  const timers: NodeJS.Timeout[] = [];
  const run: ChildRun = {
    plan,
    pid: proc.pid ?? -1,
    killCause: null,
    stderr: '',
    begins: 0,
    closed: new Promise((resolve) => {
      proc.on('error', (error) => {
        setup.findings.divergence(`${tag} could not start: ${error.message}`);
        resolve({ code: -1, signal: null });
      });
      proc.on('close', (code, signal) => {
        for (const t of timers) clearTimeout(t);
        resolve({ code, signal });
      });
    }),
  };
  const kill = (cause: KillCause) => {
    if (run.killCause !== null || proc.exitCode !== null || proc.signalCode !== null) return;
    run.killCause = cause;
    proc.kill('SIGKILL');
  };
  const handle = (message: ChildMessage) => {
    switch (message.t) {
      case 'ready':
        return;
      case 'begin': {
        const op: OpRecord = {
          id: message.id,
          module: message.module,
          db: message.db,
          op: message.op,
          digest: message.digest,
          args: fromWire(message.args),
          round: setup.round,
          child: plan.index,
          pid: run.pid,
          status: 'begun',
        };
        byId.set(op.id, op);
        setup.ops.push(op);
        run.begins++;
        if (plan.kill.kind === 'afterBegin' && run.begins === plan.kill.begins) {
          if (plan.kill.delayMs === 0) kill('timed');
          else timers.push(setTimeout(() => kill('timed'), plan.kill.delayMs));
        }
        if (run.begins >= SAFETY_BEGINS) kill('safety');
        return;
      }
      case 'ack': {
        const op = byId.get(message.id);
        if (!op) return setup.findings.divergence(`${tag} acknowledged ${message.id}, which it never began`);
        op.status = 'acked';
        op.result = fromWire(message.result);
        return;
      }
      case 'fail': {
        const op = byId.get(message.id);
        if (!op) return setup.findings.divergence(`${tag} failed ${message.id}, which it never began`);
        op.status = 'failed';
        op.error = { code: message.code, message: message.message, expected: message.expected };
        if (!message.expected) setup.findings.divergence(`${tag}: ${op.op} ${op.id} failed: ${message.code}: ${message.message}`);
        return;
      }
      case 'violation':
        setup.findings.divergence(`${tag}: ${message.message}`);
        return;
    }
  };
  const reader = new MessageReader();
  const pipe = proc.stdio[3] as Readable | null | undefined;
  pipe?.setEncoding('utf8');
  pipe?.on('data', (chunk: string) => {
    for (const message of reader.push(chunk)) handle(message);
  });
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (chunk: string) => {
    run.stderr = (run.stderr + chunk).slice(-4000);
  });
  if (plan.kill.kind === 'startup') timers.push(setTimeout(() => kill('startup'), plan.kill.delayMs));
  timers.push(setTimeout(() => kill('safety'), SAFETY_MS));
  return run;
}
