/** What process registry commands need besides the transaction. */
import type { ProcessReads } from '../../projections/process/reads.js';
import type { LivenessProbe } from '../../types/common.js';
import type { ProcessRecord } from '../../types/process.js';
import { unknownProcess } from './errors.js';

export interface ProcessContext {
  reads: ProcessReads;
  /** The registry's configured probe, used for reclaim death proofs. */
  probe: LivenessProbe;
}

/** The record, or `UnknownProcess`. */
export function loadRecord(ctx: ProcessContext, processId: string): ProcessRecord {
  const record = ctx.reads.record(processId);
  if (!record) throw unknownProcess(processId);
  return record;
}

/** Throws `UnknownProcess` when no row exists. */
export function requireProcess(ctx: ProcessContext, processId: string): void {
  if (!ctx.reads.exists(processId)) throw unknownProcess(processId);
}
