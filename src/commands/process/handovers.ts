/**
 * Segment handovers (30-process-registry §3.9): registry-internal continuation state; not process
 * events, never in the change feed, bump nothing.
 */
import type { CommandTx } from '../../events/database.js';
import {
  PROCESS_SEGMENT_HANDOVER_PUT,
  PROCESS_SEGMENT_HANDOVERS_DELETED,
  type ProcessSegmentHandoverPutData,
  processStream,
} from '../../projections/process/events.js';
import type { PersistedSegmentHandover } from '../../types/process.js';
import { type ProcessContext, requireProcess } from './context.js';
import { segmentHandoverConflict } from './errors.js';

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Value equality of two handovers (engine state compared byte for byte). */
export function sameHandover(a: PersistedSegmentHandover, b: PersistedSegmentHandover): boolean {
  return (
    a.segmentOrdinal === b.segmentOrdinal &&
    a.programHash === b.programHash &&
    a.handover.reason === b.handover.reason &&
    a.handover.programHash === b.handover.programHash &&
    bytesEqual(a.handover.engineState, b.handover.engineState)
  );
}

/** Equal repeat: no-op; different: conflict; new: drop ordinals below N − 1, then insert. */
export function putSegmentHandoverTx(
  ctx: ProcessContext,
  tx: CommandTx,
  processId: string,
  handover: PersistedSegmentHandover,
): void {
  requireProcess(ctx, processId);
  const n = handover.segmentOrdinal;
  const existing = ctx.reads.handover(processId, n);
  if (existing) {
    if (sameHandover(existing, handover)) return;
    throw segmentHandoverConflict(processId, n);
  }
  const deletedOrdinals = ctx.reads.handoverOrdinals(processId).filter((o) => o < n - 1);
  const data: ProcessSegmentHandoverPutData = { processId, handover, deletedOrdinals };
  tx.emit({ stream: processStream(processId), type: PROCESS_SEGMENT_HANDOVER_PUT, data });
}

/** Deletes every handover of the process; appends nothing when there is none. */
export function deleteSegmentHandoversTx(ctx: ProcessContext, tx: CommandTx, processId: string): void {
  if (ctx.reads.handoverOrdinals(processId).length === 0) return;
  tx.emit({ stream: processStream(processId), type: PROCESS_SEGMENT_HANDOVERS_DELETED, data: { processId } });
}
