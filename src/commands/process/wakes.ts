/** `ackWake` (30-process-registry §3.7): idempotent consumed-wake marker; bumps and notifies nothing. */
import type { CommandTx } from '../../events/database.js';
import { PROCESS_WAKE_ACKED, type ProcessWakeAckedData, processStream } from '../../projections/process/events.js';
import { type ProcessContext, requireProcess } from './context.js';

export function ackWakeTx(ctx: ProcessContext, tx: CommandTx, processId: string, sequence: number): void {
  requireProcess(ctx, processId);
  if (ctx.reads.isAcked(processId, sequence)) return;
  const data: ProcessWakeAckedData = { processId, sequence };
  tx.emit({ stream: processStream(processId), type: PROCESS_WAKE_ACKED, data });
}
