/** How the runner and its child processes talk: a spec on the command line, one result line on stdout. */
import type { CaseParams, IoCounters } from './case.js';

export const RESULT_MARKER = '@@bench-result ';

/** What the runner asks a child to do. */
export interface ChildSpec {
  caseFile: string;
  phase: 'fixture' | 'measure';
  params: CaseParams;
  dbPath: string;
  dir: string;
  quick: boolean;
}

/** What a child answers. */
export type ChildResult =
  | {
      ok: true;
      ops?: number;
      ms?: number;
      cpuMs?: number;
      io?: IoCounters;
      notes?: Record<string, number | string>;
      /** The library could not perform the workload (see `Measurement.failure`). */
      failure?: string;
      maxRssKiB: number;
    }
  | { ok: false; error: string; maxRssKiB: number };
