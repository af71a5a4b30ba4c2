/**
 * Encoding and decoding of the registry's stored JSON values. Values are written as canonical JSON,
 * so replay reproduces byte-identical rows; a value that does not parse or has the wrong shape
 * raises `CorruptData` naming its table and key — nothing is skipped or substituted.
 */
import { corruptData, ProcessRegistryError } from '../../errors.js';
import { canonicalJson } from '../../json.js';
import type { LeaseOwnerLiveness } from '../../types/common.js';
import type { PersistedSegmentHandover, ProcessEvent, ProcessHandleDescriptor, ProcessRecord } from '../../types/process.js';

const STATUS_KINDS = new Set(['running', 'completed', 'failed', 'cancelled', 'abandoned']);

type Check = (value: Record<string, unknown>) => string | null;

function parse<T>(table: string, key: string, text: unknown, check: Check): T {
  if (typeof text !== 'string') throw corruptData(ProcessRegistryError, table, key, 'stored value is not JSON text');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw corruptData(ProcessRegistryError, table, key, `invalid JSON: ${(error as Error).message}`, error);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw corruptData(ProcessRegistryError, table, key, 'stored value is not a JSON object');
  }
  const problem = check(value as Record<string, unknown>);
  if (problem) throw corruptData(ProcessRegistryError, table, key, problem);
  return value as T;
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isStr = (v: unknown) => typeof v === 'string';
const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const isNullOr = (v: unknown, f: (x: unknown) => boolean) => v === null || f(v);

function checkRecord(r: Record<string, unknown>): string | null {
  if (!isStr(r.id) || !isStr(r.registrationHash)) return 'record has no id or registration hash';
  if (!isNum(r.createdAtMs)) return 'record creation time is not a number';
  if (!isObj(r.status) || !STATUS_KINDS.has(r.status.kind as string)) return 'record status is not a process status';
  if (r.status.kind !== 'running' && !isObj(r.status.awaitOutput)) return 'terminal status has no await output';
  if (!isObj(r.input) || !isStr(r.input.kind)) return 'record input has the wrong shape';
  if (!isObj(r.identity) || !isStr(r.identity.kind)) return 'record identity has the wrong shape';
  if (!Array.isArray(r.eventTypes) || !r.eventTypes.every((t) => isObj(t) && isStr(t.name) && isObj(t.semantics))) {
    return 'record event types have the wrong shape';
  }
  if (!isObj(r.provenance) || !isObj(r.provenance.originator)) return 'record provenance has the wrong shape';
  if (!isStr(r.disposition)) return 'record disposition is missing';
  for (const key of ['envRef', 'wakeTarget', 'externalRef', 'firstStarted', 'abandonRequest', 'wait']) {
    if (!(key in r)) return `record lacks ${key}`;
  }
  if (!isNullOr(r.envRef, isStr) || !isNullOr(r.wakeTarget, isObj) || !isNullOr(r.wait, isObj)) {
    return 'record optional members have the wrong type';
  }
  return null;
}

function checkEvent(e: Record<string, unknown>): string | null {
  if (!isStr(e.processId) || !isNum(e.sequence) || !isStr(e.eventType) || !isNum(e.occurredAtMs)) {
    return 'process event has the wrong shape';
  }
  if (!('payload' in e)) return 'process event has no payload';
  if (!isObj(e.invocation) || !isObj(e.semantics) || !('terminal' in e.semantics) || !('wake' in e.semantics)) {
    return 'process event semantics have the wrong shape';
  }
  return null;
}

/** Canonical JSON text of a stored value. */
export function encodeJson(value: unknown): string {
  return canonicalJson(value);
}

/**
 * The `processes.record_json` text of a record. `updatedAtMs` and `changeSeq` live only in their
 * columns, so an append that changes nothing else rewrites two integers instead of the record.
 */
export function encodeRecord(record: ProcessRecord): string {
  const { updatedAtMs: _updated, changeSeq: _change, ...rest } = record;
  return canonicalJson(rest);
}

/** A record from its `record_json` text and its `updated_at_ms` / `change_seq` columns. */
export function decodeRecord(processId: string, text: unknown, updatedAtMs: unknown, changeSeq: unknown): ProcessRecord {
  const record = parse<ProcessRecord>('processes', processId, text, checkRecord);
  if (!isNum(updatedAtMs) || !isNum(changeSeq)) {
    throw corruptData(ProcessRegistryError, 'processes', processId, 'updated_at_ms or change_seq is not a number');
  }
  record.updatedAtMs = updatedAtMs as number;
  record.changeSeq = changeSeq as number;
  return record;
}

/** A `process_events.event_json` value. */
export function decodeEvent(processId: string, sequence: number, text: unknown): ProcessEvent {
  return parse<ProcessEvent>('process_events', `${processId}/${sequence}`, text, checkEvent);
}

/** A `process_handle_grants.descriptor_json` value. */
export function decodeDescriptor(key: string, text: unknown): ProcessHandleDescriptor {
  const d = parse<ProcessHandleDescriptor>('process_handle_grants', key, text, (o) =>
    isNullOr(o.kind, isStr) && isNullOr(o.label, isStr) ? null : 'descriptor has the wrong shape',
  );
  return { kind: d.kind ?? null, label: d.label ?? null };
}

/** A `process_leases.lease_owner_liveness_json` value. */
export function decodeLiveness(processId: string, text: unknown): LeaseOwnerLiveness {
  const l = parse<Record<string, unknown>>('process_leases', processId, text, (o) => {
    if (o.kind === 'opaque') return null;
    if (o.kind === 'localProcess' && isStr(o.hostId) && isStr(o.bootId) && isNum(o.pid) && isStr(o.processStart)) return null;
    return 'lease owner liveness has the wrong shape';
  });
  if (l.kind === 'opaque') return { kind: 'opaque' };
  return {
    kind: 'localProcess',
    hostId: l.hostId as string,
    bootId: l.bootId as string,
    pid: l.pid as number,
    processStart: l.processStart as string,
  };
}

/** The stored form of a handover: `engineState` as base64 text. */
export function encodeHandover(h: PersistedSegmentHandover): string {
  return canonicalJson({
    segmentOrdinal: h.segmentOrdinal,
    programHash: h.programHash,
    handover: {
      reason: h.handover.reason,
      programHash: h.handover.programHash,
      engineStateBase64: Buffer.from(h.handover.engineState).toString('base64'),
    },
  });
}

/** A `process_segment_handovers.handover_json` value. */
export function decodeHandover(processId: string, ordinal: number, text: unknown): PersistedSegmentHandover {
  const raw = parse<Record<string, unknown>>('process_segment_handovers', `${processId}/${ordinal}`, text, (o) => {
    const h = o.handover;
    if (!isNum(o.segmentOrdinal) || !isStr(o.programHash) || !isObj(h)) return 'handover has the wrong shape';
    if (h.reason !== 'journalBudget' && h.reason !== 'durationCap') return 'handover reason is unknown';
    if (!isNullOr(h.programHash, isStr) || !isStr(h.engineStateBase64)) return 'handover state has the wrong shape';
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(h.engineStateBase64 as string)) return 'handover engine state is not base64';
    return null;
  });
  const h = raw.handover as Record<string, unknown>;
  const bytes = Buffer.from(h.engineStateBase64 as string, 'base64');
  return {
    segmentOrdinal: raw.segmentOrdinal as number,
    programHash: raw.programHash as string,
    handover: {
      reason: h.reason as 'journalBudget' | 'durationCap',
      programHash: h.programHash as string | null,
      engineState: Uint8Array.from(bytes),
    },
  };
}
