/**
 * Input validation of the process registry: structural problems (a wrong type, a non-JSON value,
 * `NaN`) are `InvalidArgument` naming the exact path, raised before anything is read or written.
 * Each function returns a normalized copy: absent optional members become `null`, so absence and
 * `null` hash and compare alike.
 */
import { ProcessRegistryError } from '../../errors.js';
import type { JsonValue } from '../../json.js';
import { PROCESS_LEASE_SCHEMA_VERSION } from '../../stores/versions-process.js';
import type { LeaseOwnerIdentity, SessionScope } from '../../types/common.js';
import type {
  AbandonEvidence,
  AbandonRequest,
  CausalRef,
  PersistedSegmentHandover,
  ProcessAwaitOutput,
  ProcessChangeCursor,
  ProcessCompletionAuthority,
  ProcessEventAppendRequest,
  ProcessEventSemanticsSpec,
  ProcessEventType,
  ProcessExternalRef,
  ProcessHandleDescriptor,
  ProcessIdentity,
  ProcessInput,
  ProcessLease,
  ProcessLeaseCompletion,
  ProcessOriginator,
  ProcessProvenance,
  ProcessRegistration,
  ProcessStarted,
  ProcessTerminalState,
  ToolFailureClass,
  ValueSelector,
  WaitState,
  WakeDedupeKey,
} from '../../types/process.js';
import { Validator } from '../validate.js';

/** Validators bound to `ProcessRegistryError`; byte leaves are rejected (the registry stores JSON). */
export const v: Validator = new Validator(ProcessRegistryError, false);

const TERMINAL_STATES: readonly ProcessTerminalState[] = ['completed', 'failed', 'cancelled', 'abandoned'];
const FAILURE_CLASSES: readonly ToolFailureClass[] = [
  'invalidRequest',
  'unavailable',
  'permissionDenied',
  'timeout',
  'execution',
  'external',
  'resourceLimit',
  'internal',
];
const WRITERS: readonly AbandonEvidence['writer'][] = ['ownerDrain', 'sweep', 'reconciledRequest'];

/** A finite number kept as given (timestamps inside opaque facts). */
function finite(value: unknown, path: string): number {
  if (typeof value !== 'number' || Number.isNaN(value)) v.fail(path, 'a number');
  if (!Number.isFinite(value)) v.fail(path, 'a finite number');
  return value;
}

export function scopeInput(value: unknown, path: string): SessionScope {
  const o = v.object(value, path);
  const frame = v.nullableString(o.agentFrameId, `${path}.agentFrameId`);
  return { sessionId: v.string(o.sessionId, `${path}.sessionId`), agentFrameId: frame === '' ? null : frame };
}

export function nullableScopeInput(value: unknown, path: string): SessionScope | null {
  return value === undefined || value === null ? null : scopeInput(value, path);
}

export function selectorInput(value: unknown, path: string): ValueSelector {
  const o = v.object(value, path);
  const kind = v.oneOf(o.kind, `${path}.kind`, ['payload', 'pointer', 'const', 'template', 'present'] as const);
  switch (kind) {
    case 'payload':
      return { kind };
    case 'pointer':
    case 'present':
      return { kind, pointer: v.string(o.pointer, `${path}.pointer`) };
    case 'const':
      return { kind, value: v.nullableJson(o.value, `${path}.value`) };
    case 'template': {
      const f = v.object(o.fields ?? {}, `${path}.fields`);
      const fields: Record<string, ValueSelector> = {};
      for (const name of Object.keys(f)) {
        if (f[name] === undefined) continue;
        fields[name] = selectorInput(f[name], `${path}.fields.${name}`);
      }
      return { kind, template: v.string(o.template, `${path}.template`), fields };
    }
  }
}

function nullableSelector(value: unknown, path: string): ValueSelector | null {
  return value === undefined || value === null ? null : selectorInput(value, path);
}

function dedupeKeyInput(value: unknown, path: string): WakeDedupeKey {
  if (value === undefined || value === null) return { kind: 'eventIdentity' };
  const o = v.object(value, path);
  const kind = v.oneOf(o.kind, `${path}.kind`, ['eventIdentity', 'selector', 'const'] as const);
  if (kind === 'eventIdentity') return { kind };
  if (kind === 'selector') return { kind, selector: selectorInput(o.selector, `${path}.selector`) };
  return { kind, value: v.string(o.value, `${path}.value`) };
}

function semanticsInput(value: unknown, path: string): ProcessEventSemanticsSpec {
  if (value === undefined || value === null) return { terminal: null, wake: null };
  const o = v.object(value, path);
  let terminal: ProcessEventSemanticsSpec['terminal'] = null;
  if (o.terminal !== undefined && o.terminal !== null) {
    const t = v.object(o.terminal, `${path}.terminal`);
    terminal = {
      state: v.oneOf(t.state, `${path}.terminal.state`, TERMINAL_STATES),
      awaitOutput: nullableSelector(t.awaitOutput, `${path}.terminal.awaitOutput`),
    };
  }
  let wake: ProcessEventSemanticsSpec['wake'] = null;
  if (o.wake !== undefined && o.wake !== null) {
    const w = v.object(o.wake, `${path}.wake`);
    wake = {
      when: nullableSelector(w.when, `${path}.wake.when`),
      input: selectorInput(w.input, `${path}.wake.input`),
      dedupeKey: dedupeKeyInput(w.dedupeKey, `${path}.wake.dedupeKey`),
    };
  }
  return { terminal, wake };
}

export function eventTypeInput(value: unknown, path: string): ProcessEventType {
  const o = v.object(value, path);
  return {
    name: v.string(o.name, `${path}.name`),
    payloadSchema: o.payloadSchema === undefined ? {} : v.json(o.payloadSchema, `${path}.payloadSchema`),
    semantics: semanticsInput(o.semantics, `${path}.semantics`),
  };
}

export function processInputInput(value: unknown, path: string): ProcessInput {
  const o = v.object(value, path);
  const kind = v.oneOf(o.kind, `${path}.kind`, ['toolCall', 'engine', 'sessionTurn', 'external'] as const);
  switch (kind) {
    case 'toolCall':
      return { kind, call: v.nullableJson(o.call, `${path}.call`) };
    case 'engine':
      return {
        kind,
        engineKind: v.string(o.engineKind, `${path}.engineKind`),
        payload: v.nullableJson(o.payload, `${path}.payload`),
      };
    case 'sessionTurn':
      return {
        kind,
        createRequest: v.nullableJson(o.createRequest, `${path}.createRequest`),
        turnInput: v.nullableJson(o.turnInput, `${path}.turnInput`),
        outputContract: v.nullableJson(o.outputContract, `${path}.outputContract`),
      };
    case 'external':
      return { kind, metadata: v.nullableJson(o.metadata, `${path}.metadata`) };
  }
}

export function identityInput(value: unknown, path: string): ProcessIdentity {
  const o = v.object(value, path);
  return {
    kind: v.string(o.kind, `${path}.kind`),
    label: v.nullableString(o.label, `${path}.label`),
    definition: v.nullableJson(o.definition, `${path}.definition`),
  };
}

export function originatorInput(value: unknown, path: string): ProcessOriginator {
  const o = v.object(value, path);
  const kind = v.oneOf(o.kind, `${path}.kind`, ['host', 'session'] as const);
  if (kind === 'host') return { kind, scope: v.nullableString(o.scope, `${path}.scope`) };
  return { kind, scope: scopeInput(o.scope, `${path}.scope`) };
}

export function causalRefInput(value: unknown, path: string): CausalRef | null {
  if (value === undefined || value === null) return null;
  const o = v.object(value, path);
  const kind = v.oneOf(o.kind, `${path}.kind`, [
    'turn',
    'effect',
    'toolCall',
    'process',
    'processEvent',
    'triggerOccurrence',
    'sessionNode',
  ] as const);
  const s = (key: string) => v.string(o[key], `${path}.${key}`);
  switch (kind) {
    case 'turn':
      return { kind, sessionId: s('sessionId'), turnId: s('turnId') };
    case 'effect':
      return { kind, sessionId: s('sessionId'), turnId: v.nullableString(o.turnId, `${path}.turnId`), effectId: s('effectId') };
    case 'toolCall':
      return { kind, sessionId: s('sessionId'), callId: s('callId') };
    case 'process':
      return { kind, processId: s('processId') };
    case 'processEvent':
      return { kind, processId: s('processId'), sequence: v.count(o.sequence, `${path}.sequence`) };
    case 'triggerOccurrence':
      return {
        kind,
        occurrenceId: s('occurrenceId'),
        subscriptionId: v.nullableString(o.subscriptionId, `${path}.subscriptionId`),
        subscriptionIncarnation: v.nullableString(o.subscriptionIncarnation, `${path}.subscriptionIncarnation`),
        subscriptionRevision: v.nullableCount(o.subscriptionRevision, `${path}.subscriptionRevision`),
      };
    case 'sessionNode':
      return { kind, sessionId: s('sessionId'), nodeId: s('nodeId') };
  }
}

export function provenanceInput(value: unknown, path: string): ProcessProvenance {
  const o = v.object(value, path);
  return {
    originator: originatorInput(o.originator, `${path}.originator`),
    causedBy: causalRefInput(o.causedBy, `${path}.causedBy`),
  };
}

/** The structural check of a registration; the registry's own rules run in `registerProcess`. */
export function registrationInput(value: unknown, path = 'registration'): ProcessRegistration {
  const o = v.object(value, path);
  return {
    id: v.string(o.id, `${path}.id`),
    input: processInputInput(o.input, `${path}.input`),
    disposition: v.oneOf(o.disposition, `${path}.disposition`, ['rerunnable', 'ownerBound', 'externallyOwned'] as const),
    identity: identityInput(o.identity, `${path}.identity`),
    eventTypes: v.list(o.eventTypes, `${path}.eventTypes`).map((t, i) => eventTypeInput(t, `${path}.eventTypes[${i}]`)),
    provenance: provenanceInput(o.provenance, `${path}.provenance`),
    envRef: v.nullableString(o.envRef, `${path}.envRef`),
    wakeTarget: nullableScopeInput(o.wakeTarget, `${path}.wakeTarget`),
  };
}

export function appendRequestInput(value: unknown, path = 'request'): ProcessEventAppendRequest {
  const o = v.object(value, path);
  let replay: { key: string } | null = null;
  if (o.replay !== undefined && o.replay !== null) {
    const r = v.object(o.replay, `${path}.replay`);
    replay = { key: v.string(r.key, `${path}.replay.key`) };
  }
  return {
    eventType: v.string(o.eventType, `${path}.eventType`),
    payload: v.nullableJson(o.payload, `${path}.payload`),
    replay,
    wakeTargetScope: nullableScopeInput(o.wakeTargetScope, `${path}.wakeTargetScope`),
  };
}

function isPlainObject(value: unknown): value is Record<string, JsonValue> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function asOwner(value: unknown): LeaseOwnerIdentity | null {
  try {
    return v.owner(value, 'owner');
  } catch {
    return null;
  }
}

/**
 * The value as a `ProcessAwaitOutput` with optional members normalized to `null`, or `null` when it
 * does not have that shape (used by terminal materialization, 30 §3.3.1).
 */
export function asAwaitOutput(value: JsonValue): ProcessAwaitOutput | null {
  if (!isPlainObject(value)) return null;
  const opt = (key: string): JsonValue | null => (value[key] === undefined ? null : (value[key] as JsonValue));
  const str = (key: string) => typeof value[key] === 'string';
  switch (value.kind) {
    case 'success':
      if (!('value' in value) || value.value === undefined) return null;
      return { kind: 'success', value: value.value as JsonValue, control: opt('control') };
    case 'failure':
      if (!FAILURE_CLASSES.includes(value.class as ToolFailureClass) || !str('code') || !str('message')) return null;
      return {
        kind: 'failure',
        class: value.class as ToolFailureClass,
        code: value.code as string,
        message: value.message as string,
        raw: opt('raw'),
        control: opt('control'),
      };
    case 'cancelled':
      if (!str('message')) return null;
      return { kind: 'cancelled', message: value.message as string, raw: opt('raw'), control: opt('control') };
    case 'abandoned': {
      const e = value.evidence;
      if (!isPlainObject(e) || !WRITERS.includes(e.writer as AbandonEvidence['writer'])) return null;
      if (typeof e.epochMs !== 'number' || !Number.isFinite(e.epochMs)) return null;
      let owner: LeaseOwnerIdentity | null = null;
      if (e.owner !== undefined && e.owner !== null) {
        owner = asOwner(e.owner);
        if (owner === null) return null;
      }
      return {
        kind: 'abandoned',
        evidence: { writer: e.writer as AbandonEvidence['writer'], owner, epochMs: e.epochMs },
        control: opt('control'),
      };
    }
    default:
      return null;
  }
}

export function awaitOutputInput(value: unknown, path = 'output'): ProcessAwaitOutput {
  const json = v.json(value, path);
  const output = asAwaitOutput(json);
  if (output === null) v.fail(path, 'a ProcessAwaitOutput (success, failure, cancelled or abandoned)');
  return output;
}

export function authorityInput(value: unknown, path = 'authority'): ProcessCompletionAuthority {
  const o = v.object(value, path);
  const kind = v.oneOf(o.kind, `${path}.kind`, ['externalOwner', 'workflowKey', 'reconciledAbandon'] as const);
  if (kind === 'externalOwner') return { kind, grantedTo: v.string(o.grantedTo, `${path}.grantedTo`) };
  if (kind === 'workflowKey') return { kind, workflowKey: v.string(o.workflowKey, `${path}.workflowKey`) };
  return { kind };
}

export function externalRefInput(value: unknown, path = 'externalRef'): ProcessExternalRef {
  const o = v.object(value, path);
  return {
    backend: v.string(o.backend, `${path}.backend`),
    id: v.string(o.id, `${path}.id`),
    metadata: v.nullableJson(o.metadata, `${path}.metadata`),
  };
}

export function startedInput(value: unknown, path = 'started'): ProcessStarted {
  const o = v.object(value, path);
  return { owner: v.owner(o.owner, `${path}.owner`), startedAtMs: finite(o.startedAtMs, `${path}.startedAtMs`) };
}

export function abandonRequestInput(value: unknown, path = 'request'): AbandonRequest {
  const o = v.object(value, path);
  return {
    requestedBy: v.string(o.requestedBy, `${path}.requestedBy`),
    requestedAtMs: finite(o.requestedAtMs, `${path}.requestedAtMs`),
    reason: v.nullableString(o.reason, `${path}.reason`),
  };
}

export function waitInput(value: unknown, path = 'wait'): WaitState {
  const o = v.object(value, path);
  const k = v.object(o.kind, `${path}.kind`);
  v.oneOf(k.kind, `${path}.kind.kind`, ['signal'] as const);
  return {
    kind: {
      kind: 'signal',
      name: v.string(k.name, `${path}.kind.name`),
      eventType: v.string(k.eventType, `${path}.kind.eventType`),
      key: v.string(k.key, `${path}.kind.key`),
      ordinal: finite(k.ordinal, `${path}.kind.ordinal`),
    },
    sinceMs: finite(o.sinceMs, `${path}.sinceMs`),
  };
}

export function descriptorInput(value: unknown, path = 'descriptor'): ProcessHandleDescriptor {
  const o = v.object(value, path);
  return { kind: v.nullableString(o.kind, `${path}.kind`), label: v.nullableString(o.label, `${path}.label`) };
}

/** A lease as presented by a caller (renew, leased completion, reclaim observation). */
export function leaseInput(value: unknown, path = 'lease'): ProcessLease {
  const o = v.object(value, path);
  return {
    schemaVersion:
      o.schemaVersion === undefined || o.schemaVersion === null
        ? PROCESS_LEASE_SCHEMA_VERSION
        : v.count(o.schemaVersion, `${path}.schemaVersion`),
    processId: v.string(o.processId, `${path}.processId`),
    owner: v.owner(o.owner, `${path}.owner`),
    leaseToken: v.string(o.leaseToken, `${path}.leaseToken`),
    fencingToken: v.count(o.fencingToken, `${path}.fencingToken`),
    claimedAtEpochMs: v.count(o.claimedAtEpochMs ?? 0, `${path}.claimedAtEpochMs`),
    expiresAtEpochMs: v.count(o.expiresAtEpochMs ?? 0, `${path}.expiresAtEpochMs`),
  };
}

export function leaseCompletionInput(value: unknown, path = 'completion'): ProcessLeaseCompletion {
  const o = v.object(value, path);
  return { processId: v.string(o.processId, `${path}.processId`), leaseToken: v.string(o.leaseToken, `${path}.leaseToken`) };
}

export function handoverInput(value: unknown, path = 'handover'): PersistedSegmentHandover {
  const o = v.object(value, path);
  const h = v.object(o.handover, `${path}.handover`);
  return {
    segmentOrdinal: v.count(o.segmentOrdinal, `${path}.segmentOrdinal`),
    programHash: v.string(o.programHash, `${path}.programHash`),
    handover: {
      reason: v.oneOf(h.reason, `${path}.handover.reason`, ['journalBudget', 'durationCap'] as const),
      programHash: v.nullableString(h.programHash, `${path}.handover.programHash`),
      engineState: new Uint8Array(v.bytes(h.engineState, `${path}.handover.engineState`)),
    },
  };
}

export function cursorInput(value: unknown, path = 'cursor'): ProcessChangeCursor {
  const o = v.object(value, path);
  return { storeSequence: v.count(o.storeSequence, `${path}.storeSequence`) };
}
