/**
 * Handle grants (30-process-registry §3.6): addressability keyed by scope id. No grant operation
 * changes a record, bumps the change sequence or appends a process event.
 */
import type { CommandTx } from '../../events/database.js';
import { jsonEqual } from '../../json.js';
import {
  PROCESS_HANDLE_GRANTED,
  PROCESS_HANDLE_REVOKED,
  PROCESS_WAKE_TARGET_CLEARED,
  type ProcessHandleGrantedData,
  type ProcessHandleRevokedData,
  processStream,
} from '../../projections/process/events.js';
import type { SessionScope } from '../../types/common.js';
import type { ProcessHandleDescriptor, ProcessHandleGrant, ProcessSessionDeleteReport } from '../../types/process.js';
import { type ProcessContext, requireProcess } from './context.js';
import { handleNotGranted } from './errors.js';
import { sessionScopeId } from './registration.js';

function grant(tx: CommandTx, processId: string, scope: SessionScope, descriptor: ProcessHandleDescriptor): void {
  const data: ProcessHandleGrantedData = { processId, scopeId: sessionScopeId(scope), sessionId: scope.sessionId, descriptor };
  tx.emit({ stream: processStream(processId), type: PROCESS_HANDLE_GRANTED, data });
}

function revoke(tx: CommandTx, processId: string, scopeId: string, sessionId: string): void {
  const data: ProcessHandleRevokedData = { processId, scopeId, sessionId };
  tx.emit({ stream: processStream(processId), type: PROCESS_HANDLE_REVOKED, data });
}

/** Upserts the grant; an identical existing grant appends nothing. */
export function grantHandleTx(
  ctx: ProcessContext,
  tx: CommandTx,
  scope: SessionScope,
  processId: string,
  descriptor: ProcessHandleDescriptor,
): ProcessHandleGrant {
  requireProcess(ctx, processId);
  const existing = ctx.reads.grant(sessionScopeId(scope), processId);
  if (!existing || existing.sessionId !== scope.sessionId || !jsonEqual(existing.descriptor, descriptor)) {
    grant(tx, processId, scope, descriptor);
  }
  return { sessionId: scope.sessionId, processId, descriptor };
}

/** Deletes the grant if it exists; never errors. */
export function revokeHandleTx(ctx: ProcessContext, tx: CommandTx, scope: SessionScope, processId: string): void {
  const existing = ctx.reads.grant(sessionScopeId(scope), processId);
  if (existing) revoke(tx, processId, existing.scopeId, existing.sessionId);
}

/** Moves each grant from `from` to `to` with its descriptor; any missing grant rolls the whole transfer back. */
export function transferHandleGrantsTx(
  ctx: ProcessContext,
  tx: CommandTx,
  from: SessionScope,
  to: SessionScope,
  processIds: string[],
): void {
  const fromScope = sessionScopeId(from);
  const toScope = sessionScopeId(to);
  for (const processId of processIds) {
    const held = ctx.reads.grant(fromScope, processId);
    if (!held) throw handleNotGranted(processId, from.sessionId);
    if (fromScope === toScope) continue;
    revoke(tx, processId, fromScope, held.sessionId);
    grant(tx, processId, to, held.descriptor);
  }
}

/**
 * `deleteSessionProcessState`: revokes every grant of the session (all scopes), clears wake targets
 * naming it, keeps acks, cancels nothing; reports orphaned and preserved non-terminal processes.
 */
export function deleteSessionProcessStateTx(ctx: ProcessContext, tx: CommandTx, sessionId: string): ProcessSessionDeleteReport {
  const grants = ctx.reads.grantsOfSession(sessionId);
  for (const g of grants) revoke(tx, g.processId, g.scopeId, g.sessionId);
  const orphaned = new Set<string>();
  const preserved = new Set<string>();
  for (const processId of new Set(grants.map((g) => g.processId))) {
    const record = ctx.reads.record(processId);
    if (record?.status.kind !== 'running') continue;
    if (ctx.reads.grantCount(processId) === 0) orphaned.add(processId);
    else preserved.add(processId);
  }
  for (const record of ctx.reads.wakeTargetsOfSession(sessionId)) {
    tx.emit({ stream: processStream(record.id), type: PROCESS_WAKE_TARGET_CLEARED, data: { processId: record.id, now: tx.now } });
  }
  const sorted = (s: Set<string>) => [...s].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    sessionId,
    revokedHandleCount: grants.length,
    deletedWakeCount: 0,
    orphanedProcessIds: sorted(orphaned),
    preservedProcessIds: sorted(preserved),
  };
}
