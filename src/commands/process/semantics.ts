/**
 * Selector evaluation and semantics materialization (30-process-registry §3.3.1): what a declared
 * event type makes of a payload — terminal output, wake input and dedupe key — plus the wake id and
 * the fixed invocation shape. Pure functions; the append command captures their results in events.
 */
import { canonicalJson, type JsonValue, sha256Hex } from '../../json.js';
import type { SessionScope } from '../../types/common.js';
import type {
  ProcessAwaitOutput,
  ProcessEvent,
  ProcessEventInvocation,
  ProcessEventSemantics,
  ProcessEventType,
  ProcessRecord,
  ProcessTerminalState,
  ProcessWakeDelivery,
  ValueSelector,
} from '../../types/process.js';
import { selectorFailed } from './errors.js';
import { asAwaitOutput } from './inputs.js';
import { sessionScopeId } from './registration.js';

const NO_MATCH = Symbol('no match');

/** Resolves an RFC 6901 JSON pointer, or `NO_MATCH`. */
export function resolvePointer(doc: JsonValue, pointer: string): JsonValue | typeof NO_MATCH {
  if (pointer === '') return doc;
  if (!pointer.startsWith('/')) return NO_MATCH;
  let current: JsonValue = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(current)) {
      if (!/^(0|[1-9][0-9]*)$/.test(token)) return NO_MATCH;
      const index = Number(token);
      if (index >= current.length) return NO_MATCH;
      current = current[index] as JsonValue;
    } else if (current !== null && typeof current === 'object' && !(current instanceof Uint8Array)) {
      if (!Object.hasOwn(current, token)) return NO_MATCH;
      current = current[token] as JsonValue;
    } else {
      return NO_MATCH;
    }
  }
  return current;
}

/** A string raw, anything else as canonical compact JSON. */
export function toText(value: JsonValue): string {
  return typeof value === 'string' ? value : canonicalJson(value);
}

/** null/false/""/[]/{} are false; every number is true. */
export function truthy(value: JsonValue): boolean {
  if (value === null || value === false) return false;
  if (typeof value === 'string') return value !== '';
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object' && !(value instanceof Uint8Array)) return Object.keys(value).length > 0;
  return true;
}

/** Evaluates a selector against a payload; a pointer that does not resolve is `SelectorFailed`. */
export function select(processId: string, payload: JsonValue, selector: ValueSelector): JsonValue {
  switch (selector.kind) {
    case 'payload':
      return payload;
    case 'pointer': {
      const found = resolvePointer(payload, selector.pointer);
      if (found === NO_MATCH) throw selectorFailed(processId, selector.pointer);
      return found;
    }
    case 'const':
      return selector.value;
    case 'present':
      return resolvePointer(payload, selector.pointer) !== NO_MATCH;
    case 'template': {
      let text = selector.template;
      for (const name of Object.keys(selector.fields).sort()) {
        const field = selector.fields[name] as ValueSelector;
        text = text.split(`{${name}}`).join(toText(select(processId, payload, field)));
      }
      return text;
    }
  }
}

function convertByState(state: ProcessTerminalState, value: JsonValue): ProcessAwaitOutput {
  switch (state) {
    case 'completed':
      return { kind: 'success', value, control: null };
    case 'failed':
      return { kind: 'failure', class: 'execution', code: 'process_failed', message: toText(value), raw: value, control: null };
    case 'cancelled':
      return { kind: 'cancelled', message: toText(value), raw: value, control: null };
    case 'abandoned':
      return { kind: 'abandoned', evidence: { writer: 'ownerDrain', owner: null, epochMs: 0 }, control: null };
  }
}

/** The semantics an event of `type` with `payload` has at `sequence`. */
export function materializeSemantics(
  processId: string,
  sequence: number,
  type: ProcessEventType,
  payload: JsonValue,
): ProcessEventSemantics {
  let terminal: ProcessEventSemantics['terminal'] = null;
  const t = type.semantics.terminal;
  if (t) {
    let awaitOutput: ProcessAwaitOutput;
    if (t.awaitOutput) {
      const selected = select(processId, payload, t.awaitOutput);
      awaitOutput = asAwaitOutput(selected) ?? convertByState(t.state, selected);
    } else if (t.state === 'completed') {
      awaitOutput = { kind: 'success', value: payload, control: null };
    } else {
      throw selectorFailed(processId, null);
    }
    terminal = { state: t.state, awaitOutput };
  }
  let wake: ProcessEventSemantics['wake'] = null;
  const w = type.semantics.wake;
  if (w && (w.when === null || truthy(select(processId, payload, w.when)))) {
    const input = toText(select(processId, payload, w.input));
    let dedupeKey: string;
    if (w.dedupeKey.kind === 'eventIdentity') dedupeKey = `${processId}:${sequence}`;
    else if (w.dedupeKey.kind === 'selector') dedupeKey = toText(select(processId, payload, w.dedupeKey.selector));
    else dedupeKey = w.dedupeKey.value;
    wake = { input, dedupeKey };
  }
  return { terminal, wake };
}

/** The invocation every process event carries. */
export function eventInvocation(
  processId: string,
  sequence: number,
  eventType: string,
  replayKey: string | null,
): ProcessEventInvocation {
  return {
    scope: { sessionId: 'runtime' },
    subject: { kind: 'processEvent', processId, sequence, eventType },
    causedBy: { kind: 'process', processId },
    replay: replayKey === null ? null : { key: replayKey },
  };
}

/** `wake:` + sha256hex(canonicalJSON([targetScopeId, dedupeKey])). */
export function wakeId(targetScopeId: string, dedupeKey: string): string {
  return `wake:${sha256Hex(canonicalJson([targetScopeId, dedupeKey]))}`;
}

/** The delivery of an event's wake to `target`, or null when it has no wake or there is no target. */
export function wakeDeliveryFor(
  event: ProcessEvent,
  record: ProcessRecord,
  target: SessionScope | null,
): ProcessWakeDelivery | null {
  const wake = event.semantics.wake;
  if (wake === null || target === null) return null;
  const targetScopeId = sessionScopeId(target);
  return {
    wakeId: wakeId(targetScopeId, wake.dedupeKey),
    targetSessionId: target.sessionId,
    targetScopeId,
    processId: event.processId,
    sequence: event.sequence,
    eventType: event.eventType,
    eventInvocation: event.invocation,
    processCausedBy: record.provenance.causedBy === null ? null : structuredClone(record.provenance.causedBy),
    dedupeKey: wake.dedupeKey,
    input: wake.input,
    createdAtMs: event.occurredAtMs,
  };
}

/** sha256hex(canonicalJSON([eventType, payload])): what replay detection compares. */
export function payloadHash(eventType: string, payload: JsonValue): string {
  return sha256Hex(canonicalJson([eventType, payload]));
}
