/**
 * Registration builders, scope ids and the registry's registration rules (30-process-registry §2.1,
 * §2.2, §3.1): core event types, normalization, validation and the registration hash.
 */
import { canonicalJson, type JsonValue, sha256Hex } from '../../json.js';
import type { SessionScope } from '../../types/common.js';
import type {
  ProcessEventType,
  ProcessIdentity,
  ProcessInput,
  ProcessOriginator,
  ProcessProvenance,
  ProcessTerminalState,
  RecoveryDisposition,
  ProcessRegistration as Registration,
} from '../../types/process.js';
import { invalidRegistration } from './errors.js';
import { eventTypeInput, registrationInput } from './inputs.js';

/** `session:<sid>` or `session:<sid>/frame:<fid>` (an empty frame id counts as none). */
export function sessionScopeId(scope: SessionScope): string {
  const frame = scope.agentFrameId;
  return frame !== null && frame !== undefined && frame !== ''
    ? `session:${scope.sessionId}/frame:${frame}`
    : `session:${scope.sessionId}`;
}

/** `host`, `host:<scope>` or the session scope id of the originator. */
export function originatorScopeId(originator: ProcessOriginator): string {
  if (originator.kind === 'host')
    return originator.scope !== null && originator.scope !== undefined ? `host:${originator.scope}` : 'host';
  return sessionScopeId(originator.scope);
}

const pointerAwait = { kind: 'pointer', pointer: '/awaitOutput' } as const;

function terminalType(name: string, state: ProcessTerminalState): ProcessEventType {
  return { name, payloadSchema: {}, semantics: { terminal: { state, awaitOutput: pointerAwait }, wake: null } };
}

function plainType(name: string): ProcessEventType {
  return { name, payloadSchema: {}, semantics: { terminal: null, wake: null } };
}

/** The 7 core event types, in the order the registry appends them. */
export const CORE_EVENT_TYPES: readonly ProcessEventType[] = [
  plainType('process.cancel_requested'),
  plainType('process.waiting'),
  plainType('process.resumed'),
  terminalType('process.completed', 'completed'),
  terminalType('process.failed', 'failed'),
  terminalType('process.cancelled', 'cancelled'),
  terminalType('process.abandoned', 'abandoned'),
];

/** The terminal event type name of each terminal state. */
export const TERMINAL_EVENT_TYPES: Record<ProcessTerminalState, string> = {
  completed: 'process.completed',
  failed: 'process.failed',
  cancelled: 'process.cancelled',
  abandoned: 'process.abandoned',
};

/** `list` with every core type whose name is missing appended at the end, in core order. */
export function withCoreTypes(list: ProcessEventType[]): ProcessEventType[] {
  const names = new Set(list.map((t) => t.name));
  return [...list, ...CORE_EVENT_TYPES.filter((t) => !names.has(t.name)).map((t) => structuredClone(t))];
}

function isRecord(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function firstString(...values: Array<JsonValue | undefined>): string | null {
  for (const value of values) if (typeof value === 'string') return value;
  return null;
}

/** The identity `ProcessRegistration.create` derives from an input (30 §2.2). */
export function deriveIdentity(input: ProcessInput): ProcessIdentity {
  switch (input.kind) {
    case 'toolCall': {
      const name = isRecord(input.call) ? input.call.toolName : undefined;
      return { kind: 'tool', label: typeof name === 'string' ? name : null, definition: null };
    }
    case 'engine':
      return { kind: input.engineKind, label: null, definition: null };
    case 'sessionTurn': {
      const req = isRecord(input.createRequest) ? input.createRequest : {};
      const subagent = isRecord(req.subagent) ? req.subagent : {};
      return { kind: 'session_turn', label: firstString(subagent.capability, req.usageSource, req.sessionId), definition: null };
    }
    case 'external': {
      const meta = isRecord(input.metadata) ? input.metadata : {};
      const key = ['label', 'name', 'title'].find((k) => meta[k] !== undefined);
      const value = key === undefined ? undefined : meta[key];
      return { kind: 'external', label: typeof value === 'string' ? value : null, definition: null };
    }
  }
}

/** Builders of registrations (exported; the conformance fixtures rely on them). */
export const ProcessRegistration = {
  /** The 7 core types, no envRef, no wake target, identity derived from `input`. */
  create(id: string, input: ProcessInput, disposition: RecoveryDisposition, provenance: ProcessProvenance): Registration {
    const checked = registrationInput({
      id,
      input,
      disposition,
      identity: { kind: 'external', label: null, definition: null },
      eventTypes: [],
      provenance,
      envRef: null,
      wakeTarget: null,
    });
    return {
      ...checked,
      identity: deriveIdentity(checked.input),
      eventTypes: CORE_EVENT_TYPES.map((t) => structuredClone(t)),
    };
  },
  /** A copy whose event type list is replaced by `list`. */
  withEventTypes(registration: Registration, list: ProcessEventType[]): Registration {
    return { ...registration, eventTypes: list.map((t, i) => eventTypeInput(t, `list[${i}]`)) };
  },
  /** A copy with `list` appended to the event types. */
  withExtraEventTypes(registration: Registration, list: ProcessEventType[]): Registration {
    return {
      ...registration,
      eventTypes: [...registration.eventTypes, ...list.map((t, i) => eventTypeInput(t, `list[${i}]`))],
    };
  },
};

/** The normalized registration and its hash, or `InvalidRegistration` (30 §3.1 steps 1–3). */
export function prepareRegistration(registration: Registration): { registration: Registration; hash: string } {
  const r: Registration = { ...registration, eventTypes: withCoreTypes(registration.eventTypes) };
  const id = r.id;
  if (id.trim() === '') throw invalidRegistration(id, 'process id must be a non-empty string');
  if (id.includes('#')) throw invalidRegistration(id, `process id \`${id}\` contains reserved segment separator \`#\``);
  const needsEnv = r.input.kind === 'toolCall' || r.input.kind === 'engine';
  if (needsEnv && r.envRef === null) throw invalidRegistration(id, `process \`${id}\` requires a captured execution env`);
  if (!needsEnv && r.envRef !== null) {
    throw invalidRegistration(id, `process \`${id}\` must not capture an execution env for this input kind`);
  }
  const seen = new Set<string>();
  for (const type of r.eventTypes) {
    if (type.name.trim() === '') throw invalidRegistration(id, `process \`${id}\` declares an empty event type`, type.name);
    if (seen.has(type.name)) {
      throw invalidRegistration(id, `process \`${id}\` declares duplicate event type \`${type.name}\``, type.name);
    }
    seen.add(type.name);
    const terminal = type.semantics.terminal;
    if (terminal && terminal.state !== 'completed' && terminal.awaitOutput === null) {
      throw invalidRegistration(id, `terminal event \`${type.name}\` for process \`${id}\` must declare await output`, type.name);
    }
  }
  return { registration: r, hash: sha256Hex(canonicalJson(r)) };
}

/** A process registration (the type of the `ProcessRegistration` builders). */
export type ProcessRegistration = Registration;
