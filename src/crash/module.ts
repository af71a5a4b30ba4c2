/**
 * The plug-in surface of crash campaigns. Each store kind contributes a `WorkloadModule`: the child
 * side runs seeded operations against the store's databases and reports them; the parent side
 * (`ModuleVerifier`) reopens the databases after every crash round and proves from the data that
 * nothing acknowledged was lost, nothing partial survived and the in-flight operation retries as
 * the spec says. The campaign runner knows nothing store-specific.
 */
import type { LeaseOwnerIdentity } from '../types/common.js';
import type { Prng } from './prng.js';

/** What a child workload step can ask of the child runner. */
export interface ChildContext {
  /** The campaign folder every module keeps its databases under. */
  readonly dir: string;
  /** This child's generator (seeded from the campaign seed, round and child index). */
  readonly rng: Prng;
  /** This child's lease owner identity (`localProcessIdentity`, so a killed child is provably dead). */
  readonly identity: LeaseOwnerIdentity;
  /** Host id shared by the parent and every child (one PID namespace). */
  readonly hostId: string;
  /** Round and child index, for unique names. */
  readonly round: number;
  readonly child: number;
  /** Weights to favour (a child armed with a compaction fault point asks for more compactions). */
  readonly focus: ReadonlySet<string>;
  /** A fresh operation id, unique in the campaign. */
  nextOpId(): string;
  /** Runs one reported operation: `begin` before, `ack` or `fail` after. */
  run<T>(spec: OperationSpec<T>): Promise<OperationOutcome<T>>;
  /** Reports a broken invariant the child observed directly. */
  violation(message: string): void;
}

/** One operation as a child reports it. */
export interface OperationSpec<T> {
  /** Set by `nextOpId()`. */
  id: string;
  module: string;
  /** The database (file stem) the operation writes to. */
  db: string;
  op: string;
  /** Everything a retry needs (byte strings allowed). */
  args: unknown;
  exec(): Promise<T>;
  /** What the parent keeps as the acknowledged result. */
  summarize(result: T): unknown;
  /** Errors the workload tolerates (a lost race, say); any other error is a violation. */
  expectedError?(error: unknown): boolean;
}

/** The outcome the child sees. */
export type OperationOutcome<T> = { ok: true; value: T } | { ok: false; error: unknown; expected: boolean };

/** A module's workload inside one child process. */
export interface ChildWorkload {
  /** Relative share of the child's steps this module gets. */
  readonly weight: number;
  /** Picks and runs one operation (or a short sequence, such as claim-then-commit). */
  step(): Promise<void>;
  /** Closes the module's handles (a child is normally killed instead). */
  close(): Promise<void>;
}

/** One reported operation as the parent recorded it. */
export interface OpRecord {
  id: string;
  module: string;
  db: string;
  op: string;
  digest: string;
  /** The decoded `args` of the begin message. */
  args: unknown;
  round: number;
  child: number;
  pid: number;
  status: 'begun' | 'acked' | 'failed';
  /** The decoded ack result. */
  result?: unknown;
  error?: { code: string; message: string; expected: boolean };
  /** True for operations the parent ran itself (retries of in-flight operations). */
  byParent?: boolean;
}

/** Where checks report what they found. */
export interface Findings {
  /** An acknowledged operation whose effect is missing. */
  lost(message: string): void;
  /** Any other broken invariant (partial operation, projection mismatch, wrong retry outcome, …). */
  divergence(message: string): void;
  /** Adds to a named counter of the report (`recoveries.leaseReclaims`, …). */
  count(name: string, by?: number): void;
}

/** How retrying an in-flight operation went. */
export type RetryOutcome = 'replayed' | 'committed' | 'conflicted' | 'idempotent' | 'notRetried';

/** What recovery found out about one operation that was in flight when its process was killed. */
export interface InFlightResolution {
  op: OpRecord;
  /** Whether the history shows the operation had committed before the kill (null: cannot be told apart). */
  committedBeforeKill: boolean | null;
  outcome: RetryOutcome;
}

/** What a verifier gets after a crash round, once every child of the round is dead. */
export interface RecoveryContext {
  readonly round: number;
  /** Every operation the round's children began, in the order the parent read them. */
  readonly ops: readonly OpRecord[];
  /** Pids of every child killed so far (none of them runs any more). */
  readonly deadPids: ReadonlySet<number>;
  /** The parent's own lease owner identity (a live local process). */
  readonly identity: LeaseOwnerIdentity;
  readonly findings: Findings;
  /** A fresh operation id for the parent's own operations. */
  nextOpId(): string;
  /** Counts an operation the parent ran and acknowledged (a retry) in the report. */
  record(op: OpRecord): void;
  /** Reports how an in-flight operation of a killed child was resolved. */
  resolved(resolution: InFlightResolution): void;
}

/** The parent side of one module. */
export interface ModuleVerifier {
  /** Reopens, checks, reclaims and retries after a round. */
  recover(ctx: RecoveryContext): Promise<void>;
  /**
   * At the end of the campaign: every operation acknowledged in any round, again, against the final
   * state (verifiers keep a compact fact per acknowledged operation for this).
   */
  finalCheck(ctx: RecoveryContext): Promise<void>;
  /** Closes the long-lived handles (their `events$` subscriptions complete). */
  close(): Promise<void>;
}

/** Parent-side setup of a module. */
export interface VerifierSetup {
  readonly dir: string;
  readonly findings: Findings;
}

/** A store kind's contribution to crash campaigns. */
export interface WorkloadModule {
  readonly name: string;
  /** Creates the module's databases (before any child runs) and opens the verifier. */
  openVerifier(setup: VerifierSetup): Promise<ModuleVerifier>;
  /** Opens the module's databases inside a child. */
  openChild(ctx: ChildContext): Promise<ChildWorkload>;
}
