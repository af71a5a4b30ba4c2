/**
 * The process event pipeline (30-process-registry §3.3), shared by `appendEvent` and both completion
 * paths: replay detection first, then the declared type, the replay-key rule, the payload schema,
 * materialization at the next dense sequence and the single-terminal rule; then the insert.
 */
import { canonicalize } from '../../codec.js';
import type { CommandTx } from '../../events/database.js';
import {
  PROCESS_EVENT_APPENDED,
  PROCESS_STATUS_REPAIRED,
  type ProcessEventAppendedData,
  type ProcessStatusRepairedData,
  processStream,
} from '../../projections/process/events.js';
import type { ProcessEvent, ProcessEventAppendRequest, ProcessEventAppendResult, ProcessRecord } from '../../types/process.js';
import { loadRecord, type ProcessContext } from './context.js';
import {
  alreadyTerminal,
  invalidPayload,
  replayKeyConflict,
  replayKeyRequired,
  undeclaredEventType,
  unknownProcess,
} from './errors.js';
import { payloadSchemaProblem } from './payload-schema.js';
import { eventInvocation, materializeSemantics, payloadHash, wakeDeliveryFor } from './semantics.js';

/** What the pipeline decided: return a stored event, or insert a new one. */
export type AppendDecision =
  | { kind: 'replay'; event: ProcessEvent }
  | { kind: 'insert'; event: ProcessEvent; payloadHash: string; idempotencyKey: string | null };

/** Steps 2–8 of §3.3 against the live row; throws the pipeline's typed errors. */
export function decideAppend(
  ctx: ProcessContext,
  record: ProcessRecord,
  request: ProcessEventAppendRequest,
  now: number,
): AppendDecision {
  const processId = record.id;
  const hash = payloadHash(request.eventType, request.payload);
  const key = request.replay?.key ?? null;
  if (key !== null) {
    const stored = ctx.reads.eventByKey(processId, key);
    if (stored) {
      if (stored.payloadHash !== hash) throw replayKeyConflict(processId, key);
      return { kind: 'replay', event: stored.event };
    }
  }
  const type = record.eventTypes.find((t) => t.name === request.eventType);
  if (!type) throw undeclaredEventType(processId, request.eventType);
  if ((type.semantics.terminal !== null || type.name === 'process.cancel_requested') && (key === null || key === '')) {
    throw replayKeyRequired(processId, request.eventType);
  }
  const problem = payloadSchemaProblem(type.payloadSchema, request.payload);
  if (problem !== null) throw invalidPayload(processId, request.eventType, problem);
  const sequence = ctx.reads.maxSequence(processId) + 1;
  const semantics = materializeSemantics(processId, sequence, type, request.payload);
  if (semantics.terminal !== null && record.status.kind !== 'running') throw alreadyTerminal(processId);
  const event = canonicalize({
    processId,
    sequence,
    eventType: request.eventType,
    payload: request.payload,
    invocation: eventInvocation(processId, sequence, request.eventType, key),
    semantics,
    occurredAtMs: now,
  }) as ProcessEvent;
  return { kind: 'insert', event, payloadHash: hash, idempotencyKey: key };
}

/** Appends the decided event and projects it. */
export function insertDecided(tx: CommandTx, decision: Extract<AppendDecision, { kind: 'insert' }>): void {
  const data: ProcessEventAppendedData = {
    processId: decision.event.processId,
    event: decision.event,
    payloadHash: decision.payloadHash,
    idempotencyKey: decision.idempotencyKey,
  };
  tx.emit({ stream: processStream(data.processId), type: PROCESS_EVENT_APPENDED, data });
}

/**
 * A replayed terminal event whose row is still running (a torn projection, only possible after
 * outside damage): project the stored terminal status again, at the stored event's time.
 */
export function repairIfTorn(ctx: ProcessContext, tx: CommandTx, record: ProcessRecord, stored: ProcessEvent): ProcessRecord {
  const terminal = stored.semantics.terminal;
  if (terminal === null || record.status.kind !== 'running') return record;
  const data: ProcessStatusRepairedData = {
    processId: record.id,
    status: { kind: terminal.state, awaitOutput: terminal.awaitOutput },
    updatedAtMs: stored.occurredAtMs,
  };
  tx.emit({ stream: processStream(record.id), type: PROCESS_STATUS_REPAIRED, data });
  return loadRecord(ctx, record.id);
}

/** `appendEvent(processId, request)`. */
export function appendEventTx(
  ctx: ProcessContext,
  tx: CommandTx,
  processId: string,
  request: ProcessEventAppendRequest,
): ProcessEventAppendResult {
  let record = ctx.reads.recordView(processId);
  if (!record) throw unknownProcess(processId);
  const decision = decideAppend(ctx, record, request, tx.now);
  if (decision.kind === 'replay') record = repairIfTorn(ctx, tx, record, decision.event);
  else insertDecided(tx, decision);
  const target = request.wakeTargetScope ?? record.wakeTarget;
  return { event: decision.event, wakeDelivery: wakeDeliveryFor(decision.event, record, target) };
}
