/**
 * Validation and normalization of trigger-store inputs (40-effects-triggers §5.2). Interpreted
 * members must have their declared types (`InvalidArgument` otherwise); opaque members must be JSON
 * (`Encode` otherwise). Every absent optional member becomes null and defaults are filled in, so a
 * member given as null and the same member left out hash and store identically.
 */
import { invalidArgument, LashStoreError, TriggerStoreError } from '../errors.js';
import { type JsonValue, normalizeJson } from '../json.js';
import { normalizeCount } from '../numbers.js';
import type { SessionScope } from '../types/common.js';
import type { ProcessOriginator } from '../types/process.js';
import type {
  TriggerInputTemplateEntry,
  TriggerOccurrenceFilter,
  TriggerOccurrenceRequest,
  TriggerOwnerScope,
  TriggerSubscriptionFilter,
} from '../types/trigger.js';

/** A normalized draft: every member present. */
export interface NormalizedDraft {
  subscriptionKey: string;
  envRef: string;
  wakeTarget: SessionScope | null;
  name: string | null;
  sourceType: string;
  sourceKey: string;
  source: JsonValue;
  payloadSchema: JsonValue;
  target: JsonValue;
  targetIdentity: { kind: string; label: string | null; definition: JsonValue | null };
  eventTypes: JsonValue[];
  inputTemplate: Record<string, TriggerInputTemplateEntry>;
  targetLabel: string | null;
}

/** A normalized filter: every member present. */
export type NormalizedFilter = { [K in keyof TriggerSubscriptionFilter]-?: Exclude<TriggerSubscriptionFilter[K], undefined> };

/** A normalized occurrence request: every member present. */
export type NormalizedRequest = { [K in keyof TriggerOccurrenceRequest]-?: Exclude<TriggerOccurrenceRequest[K], undefined> };

function fail(path: string, expected: string): never {
  throw invalidArgument(TriggerStoreError, path, expected);
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(path, 'an object');
  return value as Record<string, unknown>;
}

function string(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, 'a string');
  return value;
}

function nullableString(value: unknown, path: string): string | null {
  return value === undefined || value === null ? null : string(value, path);
}

/** An opaque JSON value to be stored or hashed; anything else is `Encode`. */
export function opaque(value: unknown, path: string, what: string): JsonValue {
  try {
    return normalizeJson(value, path, { allowBytes: false, errorClass: TriggerStoreError });
  } catch (error) {
    const detail = error instanceof LashStoreError ? error.message : String(error);
    throw new TriggerStoreError('Encode', `failed to encode ${what}: ${detail}`, {}, { cause: error });
  }
}

/** A required opaque member: absent is `InvalidArgument`. */
function requiredOpaque(value: unknown, path: string, what: string): JsonValue {
  if (value === undefined) fail(path, 'a JSON value');
  return opaque(value, path, what);
}

export function ownerInput(value: unknown, path = 'ownerScope'): TriggerOwnerScope {
  const o = object(value, path);
  switch (o.kind) {
    case 'session':
      return { kind: 'session', sessionId: string(o.sessionId, `${path}.sessionId`) };
    case 'host':
      return { kind: 'host', bindingId: string(o.bindingId, `${path}.bindingId`) };
    case 'platform':
      return { kind: 'platform' };
    default:
      return fail(`${path}.kind`, "one of 'session', 'host', 'platform'");
  }
}

function sessionScopeInput(value: unknown, path: string): SessionScope {
  const o = object(value, path);
  return {
    sessionId: string(o.sessionId, `${path}.sessionId`),
    agentFrameId: nullableString(o.agentFrameId, `${path}.agentFrameId`),
  };
}

export function originatorInput(value: unknown, path = 'actor'): ProcessOriginator {
  const o = object(value, path);
  switch (o.kind) {
    case 'host':
      return { kind: 'host', scope: nullableString(o.scope, `${path}.scope`) };
    case 'session':
      return { kind: 'session', scope: sessionScopeInput(o.scope, `${path}.scope`) };
    default:
      return fail(`${path}.kind`, "one of 'host', 'session'");
  }
}

export function draftInput(value: unknown, path = 'draft'): NormalizedDraft {
  const d = object(value, path);
  const identity = object(d.targetIdentity, `${path}.targetIdentity`);
  const eventTypes = d.eventTypes === undefined || d.eventTypes === null ? [] : d.eventTypes;
  if (!Array.isArray(eventTypes)) fail(`${path}.eventTypes`, 'an array');
  const template =
    d.inputTemplate === undefined || d.inputTemplate === null ? {} : object(d.inputTemplate, `${path}.inputTemplate`);
  return {
    subscriptionKey: string(d.subscriptionKey, `${path}.subscriptionKey`),
    envRef: string(d.envRef, `${path}.envRef`),
    wakeTarget:
      d.wakeTarget === undefined || d.wakeTarget === null ? null : sessionScopeInput(d.wakeTarget, `${path}.wakeTarget`),
    name: nullableString(d.name, `${path}.name`),
    sourceType: string(d.sourceType, `${path}.sourceType`),
    sourceKey: string(d.sourceKey, `${path}.sourceKey`),
    source: d.source === undefined ? {} : opaque(d.source, `${path}.source`, 'trigger subscription source'),
    payloadSchema: requiredOpaque(d.payloadSchema, `${path}.payloadSchema`, 'trigger payload schema'),
    target: requiredOpaque(d.target, `${path}.target`, 'trigger target'),
    targetIdentity: {
      kind: string(identity.kind, `${path}.targetIdentity.kind`),
      label: nullableString(identity.label, `${path}.targetIdentity.label`),
      definition:
        identity.definition === undefined || identity.definition === null
          ? null
          : opaque(identity.definition, `${path}.targetIdentity.definition`, 'trigger target definition'),
    },
    eventTypes: opaque(eventTypes, `${path}.eventTypes`, 'trigger event types') as JsonValue[],
    inputTemplate: opaque(template, `${path}.inputTemplate`, 'trigger input template') as unknown as Record<
      string,
      TriggerInputTemplateEntry
    >,
    targetLabel: nullableString(d.targetLabel, `${path}.targetLabel`),
  };
}

export function filterInput(value: unknown, path = 'filter'): NormalizedFilter {
  const f = value === undefined || value === null ? {} : object(value, path);
  const enabled = f.enabled;
  if (enabled !== undefined && enabled !== null && typeof enabled !== 'boolean') fail(`${path}.enabled`, 'a boolean');
  return {
    registrantScopeId: nullableString(f.registrantScopeId, `${path}.registrantScopeId`),
    sessionId: nullableString(f.sessionId, `${path}.sessionId`),
    subscriptionKey: nullableString(f.subscriptionKey, `${path}.subscriptionKey`),
    name: nullableString(f.name, `${path}.name`),
    sourceType: nullableString(f.sourceType, `${path}.sourceType`),
    sourceKey: nullableString(f.sourceKey, `${path}.sourceKey`),
    target: f.target === undefined || f.target === null ? null : opaque(f.target, `${path}.target`, 'trigger list filter target'),
    enabled: enabled === undefined || enabled === null ? null : enabled,
  };
}

function revisionInput(value: unknown, path: string): number {
  return normalizeCount(TriggerStoreError, value, path);
}

/** A command with every member normalized (prune keys as a sorted set). */
export type NormalizedCommand =
  | { kind: 'register'; ownerScope: TriggerOwnerScope; actor: ProcessOriginator; draft: NormalizedDraft }
  | { kind: 'list'; ownerScope: TriggerOwnerScope; filter: NormalizedFilter }
  | {
      kind: 'update' | 'revive';
      ownerScope: TriggerOwnerScope;
      actor: ProcessOriginator;
      subscriptionKey: string;
      draft: NormalizedDraft;
      expectedRevision: number;
    }
  | {
      kind: 'enable' | 'disable' | 'delete';
      ownerScope: TriggerOwnerScope;
      actor: ProcessOriginator;
      subscriptionKey: string;
      expectedRevision: number;
    }
  | { kind: 'prune'; ownerScope: TriggerOwnerScope; actor: ProcessOriginator; subscriptionKeys: string[] };

const COMMAND_KINDS = ['register', 'list', 'update', 'enable', 'disable', 'delete', 'revive', 'prune'] as const;

export function commandInput(value: unknown, path = 'command'): NormalizedCommand {
  const c = object(value, path);
  const kind = c.kind as (typeof COMMAND_KINDS)[number];
  if (!COMMAND_KINDS.includes(kind)) fail(`${path}.kind`, `one of ${COMMAND_KINDS.map((k) => `'${k}'`).join(', ')}`);
  const ownerScope = ownerInput(c.ownerScope, `${path}.ownerScope`);
  if (kind === 'list') return { kind, ownerScope, filter: filterInput(c.filter, `${path}.filter`) };
  const actor = originatorInput(c.actor, `${path}.actor`);
  switch (kind) {
    case 'register':
      return { kind, ownerScope, actor, draft: draftInput(c.draft, `${path}.draft`) };
    case 'update':
    case 'revive':
      return {
        kind,
        ownerScope,
        actor,
        subscriptionKey: string(c.subscriptionKey, `${path}.subscriptionKey`),
        draft: draftInput(c.draft, `${path}.draft`),
        expectedRevision: revisionInput(c.expectedRevision, `${path}.expectedRevision`),
      };
    case 'enable':
    case 'disable':
    case 'delete':
      return {
        kind,
        ownerScope,
        actor,
        subscriptionKey: string(c.subscriptionKey, `${path}.subscriptionKey`),
        expectedRevision: revisionInput(c.expectedRevision, `${path}.expectedRevision`),
      };
    default: {
      if (!Array.isArray(c.subscriptionKeys)) fail(`${path}.subscriptionKeys`, 'an array');
      const keys = c.subscriptionKeys.map((k, i) => string(k, `${path}.subscriptionKeys[${i}]`));
      return { kind: 'prune', ownerScope, actor, subscriptionKeys: [...new Set(keys)].sort() };
    }
  }
}

export function requestInput(value: unknown, path = 'request'): NormalizedRequest {
  const r = object(value, path);
  return {
    sourceType: string(r.sourceType, `${path}.sourceType`),
    sourceKey: string(r.sourceKey, `${path}.sourceKey`),
    idempotencyKey: string(r.idempotencyKey, `${path}.idempotencyKey`),
    payload: r.payload === undefined ? null : opaque(r.payload, `${path}.payload`, 'trigger occurrence payload'),
    source: r.source === undefined || r.source === null ? null : opaque(r.source, `${path}.source`, 'trigger occurrence source'),
    sessionId: nullableString(r.sessionId, `${path}.sessionId`),
  };
}

export function occurrenceFilterInput(
  value: unknown,
  path = 'filter',
): Required<{ [K in keyof TriggerOccurrenceFilter]: Exclude<TriggerOccurrenceFilter[K], undefined> }> {
  const f = value === undefined || value === null ? {} : object(value, path);
  const bound = (v: unknown, p: string) => (v === undefined || v === null ? null : normalizeCount(TriggerStoreError, v, p));
  return {
    sourceType: nullableString(f.sourceType, `${path}.sourceType`),
    sourceKey: nullableString(f.sourceKey, `${path}.sourceKey`),
    occurredAtStartMs: bound(f.occurredAtStartMs, `${path}.occurredAtStartMs`),
    occurredAtEndMs: bound(f.occurredAtEndMs, `${path}.occurredAtEndMs`),
  };
}
