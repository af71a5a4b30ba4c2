/**
 * Terminal completion (30-process-registry §3.4): the terminal request builder shared by both paths,
 * the completion-authority matrix of the unleased path, and the lease-fenced path that releases the
 * lease in the same transaction.
 */
import type { CommandTx } from '../../events/database.js';
import type { JsonValue } from '../../json.js';
import { PROCESS_LEASE_RELEASED, type ProcessLeaseReleasedData, processStream } from '../../projections/process/events.js';
import { isLiveLease } from '../../projections/process/reads.js';
import type {
  ProcessAwaitOutput,
  ProcessCompletionAuthority,
  ProcessEventAppendRequest,
  ProcessLease,
  ProcessRecord,
  ProcessTerminalState,
} from '../../types/process.js';
import { decideAppend, insertDecided, repairIfTorn } from './append-event.js';
import { loadRecord, type ProcessContext } from './context.js';
import { authorityRejected, leaseExpired } from './errors.js';
import { TERMINAL_EVENT_TYPES } from './registration.js';

const OUTPUT_STATES: Record<ProcessAwaitOutput['kind'], ProcessTerminalState> = {
  success: 'completed',
  failure: 'failed',
  cancelled: 'cancelled',
  abandoned: 'abandoned',
};

/** success → completed, failure → failed, cancelled → cancelled, abandoned → abandoned. */
export function terminalState(output: ProcessAwaitOutput): ProcessTerminalState {
  return OUTPUT_STATES[output.kind];
}

/** The terminal append request of a completion; the unleased path carries its authority. */
export function terminalRequest(
  processId: string,
  output: ProcessAwaitOutput,
  authority: ProcessCompletionAuthority | null,
): ProcessEventAppendRequest {
  const eventType = TERMINAL_EVENT_TYPES[terminalState(output)];
  return {
    eventType,
    payload: (authority === null
      ? { awaitOutput: output }
      : { awaitOutput: output, completionAuthority: authority }) as unknown as JsonValue,
    replay: { key: `process:${processId}:terminal:${eventType}` },
    wakeTargetScope: null,
  };
}

/** The authority matrix of §3.4, against the live row's disposition. */
export function checkAuthority(record: ProcessRecord, output: ProcessAwaitOutput, authority: ProcessCompletionAuthority): void {
  const external = record.disposition === 'externallyOwned';
  switch (authority.kind) {
    case 'externalOwner':
      if (!external) {
        throw authorityRejected(
          record.id,
          authority,
          'only externally-owned rows may be completed by an external owner; a lash-executed row has a lease-fenced single writer',
        );
      }
      return;
    case 'workflowKey':
      if (external) {
        throw authorityRejected(
          record.id,
          authority,
          'externally-owned rows are never executed by a workflow substrate; they close through their external owner or a reconciled abandon request',
        );
      }
      return;
    case 'reconciledAbandon':
      if (!external) {
        throw authorityRejected(
          record.id,
          authority,
          'reconciled-abandon closes only externally-owned rows; a lash-executed row is abandoned under its lease',
        );
      }
      if (terminalState(output) !== 'abandoned') {
        throw authorityRejected(record.id, authority, 'reconciled-abandon writes only an Abandoned terminal');
      }
      return;
  }
}

/** `completeProcess`: unleased, authority-checked; a replay returns (and if torn, repairs) the record. */
export function completeProcessTx(
  ctx: ProcessContext,
  tx: CommandTx,
  processId: string,
  output: ProcessAwaitOutput,
  authority: ProcessCompletionAuthority,
): ProcessRecord {
  const record = loadRecord(ctx, processId);
  checkAuthority(record, output, authority);
  const decision = decideAppend(ctx, record, terminalRequest(processId, output, authority), tx.now);
  if (decision.kind === 'replay') return repairIfTorn(ctx, tx, record, decision.event);
  insertDecided(tx, decision);
  return loadRecord(ctx, processId);
}

/** `completeProcessWithLease`: a replay short-circuits before the lease check; an insert releases the lease. */
export function completeProcessWithLeaseTx(
  ctx: ProcessContext,
  tx: CommandTx,
  lease: ProcessLease,
  output: ProcessAwaitOutput,
): ProcessRecord {
  const processId = lease.processId;
  const record = loadRecord(ctx, processId);
  const decision = decideAppend(ctx, record, terminalRequest(processId, output, null), tx.now);
  if (decision.kind === 'replay') return record;
  const row = ctx.reads.lease(processId);
  const holds =
    isLiveLease(row, tx.now) &&
    row.leaseToken === lease.leaseToken &&
    row.owner.ownerId === lease.owner.ownerId &&
    row.owner.incarnationId === lease.owner.incarnationId &&
    row.fencingToken === lease.fencingToken;
  if (!holds) throw leaseExpired(processId);
  insertDecided(tx, decision);
  const data: ProcessLeaseReleasedData = { processId, leaseToken: row.leaseToken, fencingToken: row.fencingToken };
  tx.emit({ stream: processStream(processId), type: PROCESS_LEASE_RELEASED, data });
  return loadRecord(ctx, processId);
}
