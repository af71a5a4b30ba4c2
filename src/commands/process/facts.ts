/**
 * Write-once facts and wait state (30-process-registry §3.5): external ref, first-started, abandon
 * request, set/clear wait. First writers win; identical repeats change nothing and append nothing.
 */
import type { CommandTx } from '../../events/database.js';
import { jsonEqual } from '../../json.js';
import {
  PROCESS_ABANDON_REQUESTED,
  PROCESS_EXTERNAL_REF_SET,
  PROCESS_FIRST_STARTED_RECORDED,
  PROCESS_WAIT_CLEARED,
  PROCESS_WAIT_SET,
  processStream,
} from '../../projections/process/events.js';
import type { AbandonRequest, ProcessExternalRef, ProcessRecord, ProcessStarted, WaitState } from '../../types/process.js';
import { loadRecord, type ProcessContext } from './context.js';
import { externalRefConflict, terminalRejectsAbandon, terminalRejectsWait } from './errors.js';

function emit(ctx: ProcessContext, tx: CommandTx, processId: string, type: string, data: object): ProcessRecord {
  tx.emit({ stream: processStream(processId), type, data: { processId, ...data, now: tx.now } });
  return loadRecord(ctx, processId);
}

/** Sets the external ref once; a deep-equal repeat returns the record unchanged, anything else conflicts. */
export function setExternalRefTx(ctx: ProcessContext, tx: CommandTx, processId: string, ref: ProcessExternalRef): ProcessRecord {
  const record = loadRecord(ctx, processId);
  if (record.externalRef !== null) {
    if (jsonEqual(record.externalRef, ref)) return record;
    throw externalRefConflict(processId, record.externalRef, ref);
  }
  return emit(ctx, tx, processId, PROCESS_EXTERNAL_REF_SET, { externalRef: ref });
}

/** First writer wins; no lease or terminal check. */
export function recordFirstStartedTx(
  ctx: ProcessContext,
  tx: CommandTx,
  processId: string,
  started: ProcessStarted,
): ProcessRecord {
  const record = loadRecord(ctx, processId);
  if (record.firstStarted !== null) return record;
  return emit(ctx, tx, processId, PROCESS_FIRST_STARTED_RECORDED, { started });
}

/** Terminal rows refuse; otherwise first writer wins. */
export function requestProcessAbandonTx(
  ctx: ProcessContext,
  tx: CommandTx,
  processId: string,
  request: AbandonRequest,
): ProcessRecord {
  const record = loadRecord(ctx, processId);
  if (record.status.kind !== 'running') throw terminalRejectsAbandon(processId);
  if (record.abandonRequest !== null) return record;
  return emit(ctx, tx, processId, PROCESS_ABANDON_REQUESTED, { request });
}

/** Terminal rows refuse; otherwise overwrites the wait. */
export function setProcessWaitTx(ctx: ProcessContext, tx: CommandTx, processId: string, wait: WaitState): ProcessRecord {
  const record = loadRecord(ctx, processId);
  if (record.status.kind !== 'running') throw terminalRejectsWait(processId);
  return emit(ctx, tx, processId, PROCESS_WAIT_SET, { wait });
}

/** Clears the wait unconditionally (refreshing `updatedAtMs`, which delays prune). */
export function clearProcessWaitTx(ctx: ProcessContext, tx: CommandTx, processId: string): ProcessRecord {
  loadRecord(ctx, processId);
  return emit(ctx, tx, processId, PROCESS_WAIT_CLEARED, {});
}
