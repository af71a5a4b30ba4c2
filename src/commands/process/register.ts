/** `registerProcess` (30-process-registry §3.1): insert a running row, or replay an identical registration. */
import type { CommandTx } from '../../events/database.js';
import { PROCESS_REGISTERED, type ProcessRegisteredData, processStream } from '../../projections/process/events.js';
import type { ProcessRecord, ProcessRegistration } from '../../types/process.js';
import { loadRecord, type ProcessContext } from './context.js';
import { registrationHashConflict } from './errors.js';

/** `prepared` is the normalized, validated registration and its hash (`prepareRegistration`). */
export function registerProcessTx(
  ctx: ProcessContext,
  tx: CommandTx,
  prepared: { registration: ProcessRegistration; hash: string },
): ProcessRecord {
  const { registration, hash } = prepared;
  const existing = ctx.reads.record(registration.id);
  if (existing) {
    if (existing.registrationHash === hash) return existing;
    throw registrationHashConflict(registration.id, existing.registrationHash, hash);
  }
  const data: ProcessRegisteredData = { processId: registration.id, registration, registrationHash: hash, now: tx.now };
  tx.emit({ stream: processStream(registration.id), type: PROCESS_REGISTERED, data });
  return loadRecord(ctx, registration.id);
}
