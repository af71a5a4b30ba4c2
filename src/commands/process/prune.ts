/**
 * `pruneTerminalProcesses` (30-process-registry §3.11): select terminal rows older than the cutoff
 * (strict), under the watermark and matching the filter with its status; the facade deletes their
 * owned session stores first, then this command re-checks each candidate and records `ProcessPruned`,
 * whose projection deletes the row and everything attached to it. The log keeps the history.
 */
import type { CommandTx } from '../../events/database.js';
import { NO_BOUND } from '../../numbers.js';
import { PROCESS_PRUNED, type ProcessPrunedData, processStream } from '../../projections/process/events.js';
import type { ProcessPruneReport, ProcessRecord } from '../../types/process.js';
import type { ProcessContext } from './context.js';
import { matchesNormalized, type NormalizedListFilter } from './list-filter.js';

/** What selects prune candidates. */
export interface PruneSelection {
  cutoffMs: number;
  upToChangeSeq: number | null;
  filter: NormalizedListFilter | null;
}

/** True when the record is prunable under `selection`. */
export function isPrunable(record: ProcessRecord, selection: PruneSelection): boolean {
  if (record.status.kind === 'running') return false;
  if (selection.cutoffMs < NO_BOUND && !(record.updatedAtMs < selection.cutoffMs)) return false;
  if (selection.upToChangeSeq !== null && record.changeSeq > selection.upToChangeSeq) return false;
  return selection.filter === null || matchesNormalized(selection.filter, record);
}

/** Candidate ids in ascending id order. */
export function pruneCandidates(ctx: ProcessContext, selection: PruneSelection): string[] {
  const terminal: ProcessRecord[] = [];
  for (const status of ['completed', 'failed', 'cancelled', 'abandoned']) terminal.push(...ctx.reads.records(status));
  return terminal
    .filter((r) => isPrunable(r, selection))
    .map((r) => r.id)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Prunes the candidates that are still eligible; rows that became eligible since are left for later. */
export function pruneTx(ctx: ProcessContext, tx: CommandTx, candidates: string[], selection: PruneSelection): ProcessPruneReport {
  const report: ProcessPruneReport = { prunedProcesses: 0, prunedEvents: 0, prunedProcessIds: [] };
  for (const processId of candidates) {
    const record = ctx.reads.record(processId);
    if (!record || !isPrunable(record, selection)) continue;
    const data: ProcessPrunedData = { processId, cutoffMs: selection.cutoffMs, prunedEvents: ctx.reads.eventCount(processId) };
    tx.emit({ stream: processStream(processId), type: PROCESS_PRUNED, data });
    report.prunedProcesses++;
    report.prunedEvents += data.prunedEvents;
    report.prunedProcessIds.push(processId);
  }
  return report;
}
