/** Latency percentiles for the notification cases. */

/** The `q` quantile (0–1) of `samples` (ms), nearest-rank. */
export function quantile(samples: number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/** p50/p99/max notes (ms, 3 decimals) and a PASS/FAIL note for a p99 bound. */
export function latencyNotes(samples: number[], p99BoundMs: number): Record<string, number | string> {
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const p99 = quantile(samples, 0.99);
  return {
    samples: samples.length,
    p50Ms: round(quantile(samples, 0.5)),
    p99Ms: round(p99),
    maxMs: round(Math.max(...samples)),
    p99Target: `${p99 < p99BoundMs ? 'PASS' : 'FAIL'} p99 < ${p99BoundMs} ms`,
  };
}
