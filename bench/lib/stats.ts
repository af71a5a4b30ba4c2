/** Reductions over rounds: median with min–max, and per-round ratios against an anchor. */
import type { BenchCase, IoCounters, Metric } from './case.js';

/** One measured run of one case in one round. */
export interface RunRecord {
  round: number;
  caseName: string;
  ok: boolean;
  ops: number;
  ms: number;
  cpuMs: number;
  /** ops per second. */
  rate: number;
  maxRssKiB: number;
  /** Writes of the measured phase (Linux). */
  io?: IoCounters;
  /** 1-minute load average just before the child started. */
  load1: number;
  notes: Record<string, number | string>;
  /** The run crashed or could not be measured (a suite failure). */
  error?: string;
  /** The run worked, but the library failed the workload: its result (see `Measurement.failure`). */
  failure?: string;
}

/** A run that produced a rate: it neither crashed nor had the library fail the workload. */
export function measured(r: RunRecord): boolean {
  return r.ok && r.failure === undefined;
}

/** The value `metric` reads from a measured run (NaN when a note is missing or not a number). */
export function metricOf(r: RunRecord, metric: Metric = 'rate'): number {
  if (metric === 'rate') return r.rate;
  if (metric === 'rssMiB') return r.maxRssKiB / 1024;
  const v = r.notes[metric.note];
  return typeof v === 'number' ? v : Number.NaN;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function spread(values: number[]): Spread | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number, n: sorted.length };
}

/** A case reduced over its rounds. */
export interface CaseSummary {
  name: string;
  rate: Spread | null;
  /** Per-round rate ÷ the anchor's rate in the same round. */
  ratio: Spread | null;
  rssMiB: Spread | null;
  cpuShare: Spread | null;
  /** KiB written per operation during the measured phase. */
  kibPerOp: Spread | null;
  /** Write syscalls per operation. */
  writesPerOp: Spread | null;
  failures: RunRecord[];
  /** Runs where the library failed the workload (an expected, reported outcome). */
  libraryFailures: RunRecord[];
}

/** Ratios of `name`'s `metric` to `anchor`'s, one per round where both were measured. */
export function roundRatios(records: RunRecord[], name: string, anchor: string, metric: Metric = 'rate'): number[] {
  const out: number[] = [];
  for (const r of records) {
    if (r.caseName !== name || !measured(r)) continue;
    const a = records.find((x) => x.caseName === anchor && x.round === r.round && measured(x));
    if (!a) continue;
    const ratio = metricOf(r, metric) / metricOf(a, metric);
    if (Number.isFinite(ratio)) out.push(ratio);
  }
  return out;
}

export function summarize(c: BenchCase, records: RunRecord[]): CaseSummary {
  const mine = records.filter((r) => r.caseName === c.name);
  const ok = mine.filter(measured);
  return {
    name: c.name,
    rate: spread(ok.map((r) => r.rate)),
    ratio: c.anchor ? spread(roundRatios(records, c.name, c.anchor)) : null,
    rssMiB: spread(mine.map((r) => r.maxRssKiB / 1024)),
    cpuShare: spread(ok.map((r) => (r.ms > 0 ? r.cpuMs / r.ms : 0))),
    kibPerOp: spread(ok.filter((r) => r.io && r.ops > 0).map((r) => (r.io as IoCounters).writtenBytes / 1024 / r.ops)),
    writesPerOp: spread(ok.filter((r) => r.io && r.ops > 0).map((r) => (r.io as IoCounters).writeCalls / r.ops)),
    failures: mine.filter((r) => !r.ok),
    libraryFailures: mine.filter((r) => r.ok && r.failure !== undefined),
  };
}
