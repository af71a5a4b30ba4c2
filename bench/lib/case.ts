/**
 * What a bench case is. Each file in `bench/cases/` default-exports one `defineCase({...})`: the
 * runner reads its metadata for the report, and a fresh child process runs its `measure` (and, once
 * per run, its `fixture`) on a fresh database file in the scratch folder.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Parameters of a case (JSON: they travel to the child process on its command line). */
export type CaseParams = Record<string, number | string | boolean>;

/** Facts a case reports beside its rate (event counts, graph size, …). */
export type Notes = Record<string, number | string>;

/** What the measured phase of one run did. */
export interface Measurement {
  /** Operations completed in the measured phase: the numerator of the rate. */
  ops: number;
  /** Wall time of the measured phase, in ms (`performance.now()`). */
  ms: number;
  /** CPU time (user + system) of this process during the measured phase, in ms. */
  cpuMs: number;
  /** Write syscalls and bytes written (WAL, checkpoints) during the measured phase; Linux only. */
  io?: IoCounters;
  notes?: Notes;
  /**
   * Set when the library itself could not perform the workload (e.g. it throws on this driver
   * version): that error is the case's result. It is reported in the table, not counted as a failed
   * run of the suite; `ops` and `ms` are then 0 and no rate is computed.
   */
  failure?: string;
}

/** Counters of `/proc/self/io`: `syscw` (write-type syscalls) and `wchar` (bytes passed to them). */
export interface IoCounters {
  writeCalls: number;
  writtenBytes: number;
}

/** This process's write counters, or null where `/proc/self/io` does not exist. */
function readIo(): IoCounters | null {
  try {
    const text = readFileSync('/proc/self/io', 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    return { writeCalls: field('syscw'), writtenBytes: field('wchar') };
  } catch {
    return null;
  }
}

/** What a target reads from each run of its case: the rate, the peak RSS (MiB) or a numeric note. */
export type Metric = 'rate' | 'rssMiB' | { note: string };

/**
 * A pass/fail line of the report, evaluated on the median over rounds. With `anchor`, the value is
 * the per-round ratio of this case's metric to the anchor's same metric in the same round (median of
 * those ratios); without, the metric itself. It passes when the median is ≥ `min` and ≤ `max`
 * (whichever are given).
 */
export interface Target {
  label: string;
  /** Default `rate`. */
  metric?: Metric;
  anchor?: string;
  min?: number;
  max?: number;
}

/** Where a measured run works. */
export interface CaseContext {
  /** A fresh database path in this run's scratch folder; a copy of the fixture when the case has one. */
  dbPath: string;
  /** The scratch folder of this run (removed afterwards). */
  dir: string;
  quick: boolean;
}

/** Report groups, in display order. */
export const SECTIONS = ['raw', 'ours', 'peer'] as const;
export type Section = (typeof SECTIONS)[number];

/** A bench case. */
export interface BenchCase<P extends CaseParams = CaseParams> {
  /** Unique id, also the file name (`cases/<name>.ts`). */
  name: string;
  section: Section;
  /** One line: what one operation is. */
  title: string;
  /** Journal mode and `synchronous` level (compare like with like). */
  durability: string;
  /** Unit of the rate, e.g. `txn/s`, `commits/s`, `events/s`. */
  unit: string;
  /** Parameters of a full run, and of `--quick` (a case without `quick` is skipped there). */
  params: { full: P; quick?: P };
  /**
   * The case whose rate of the same round this case's rate is divided by: the like-with-like
   * comparison (a peer at the same durability, or the raw ceiling).
   */
  anchor?: string;
  targets?: Target[];
  /**
   * Builds a database once per bench run at `path` (in its own child process, not timed); every
   * round then measures a fresh copy of it. Returns notes for the report.
   */
  fixture?: (path: string, params: P) => Promise<Notes | undefined>;
  /** Runs in a fresh child process: setup, then the timed phase (use `timed`). */
  measure: (ctx: CaseContext, params: P) => Promise<Measurement>;
}

/** Identity helper that types a case definition. */
export function defineCase<P extends CaseParams>(definition: BenchCase<P>): BenchCase<P> {
  return definition;
}

declare const gc: (() => void) | undefined;

/**
 * Times `fn` — the measured phase only — with `performance.now()` and `process.cpuUsage()`, and
 * counts its writes (read from `/proc/self/io` just outside the timed region). A full GC runs first
 * (children start with `--expose-gc`) so garbage from the setup is not billed to it.
 */
export async function timed<T>(fn: () => Promise<T> | T): Promise<{ value: T; ms: number; cpuMs: number; io?: IoCounters }> {
  if (typeof gc === 'function') gc();
  const io0 = readIo();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const io1 = readIo();
  const io =
    io0 && io1 ? { writeCalls: io1.writeCalls - io0.writeCalls, writtenBytes: io1.writtenBytes - io0.writtenBytes } : undefined;
  return { value, ms, cpuMs: (cpu.user + cpu.system) / 1000, ...(io ? { io } : {}) };
}
