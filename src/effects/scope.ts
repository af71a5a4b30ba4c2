/**
 * Execution scopes (40-effects-triggers §2.5): validation, reduction to exactly the variant's
 * fields, and the derived ids. The journal is partitioned by `scopeKey`, never by `scopeId`.
 */
import { EffectHostError, invalidArgument } from '../errors.js';
import { canonicalJson } from '../json.js';
import type { ExecutionScope } from '../types/effect.js';

const SCOPE_FIELDS: Record<ExecutionScope['kind'], readonly string[]> = {
  turn: ['sessionId', 'turnId'],
  process: ['processId'],
  queueDrain: ['sessionId', 'drainId'],
  sessionDelete: ['sessionId'],
  runtimeOperation: ['operationId'],
};

/** The error of a blank scope id. */
export function missingScopeId(): EffectHostError {
  return new EffectHostError('MissingExecutionScopeId', 'execution scopes require non-empty stable ids');
}

/**
 * Validates `value` as an `ExecutionScope` and returns a copy with exactly its variant's fields.
 * Blank (or missing) ids throw `MissingExecutionScopeId`; a wrong shape throws `InvalidArgument`.
 */
export function reduceScope(value: unknown, path = 'scope'): ExecutionScope {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalidArgument(EffectHostError, path, 'an object');
  const o = value as Record<string, unknown>;
  const kind = o.kind;
  if (typeof kind !== 'string' || !Object.hasOwn(SCOPE_FIELDS, kind)) {
    throw invalidArgument(
      EffectHostError,
      `${path}.kind`,
      `one of ${Object.keys(SCOPE_FIELDS)
        .map((k) => `'${k}'`)
        .join(', ')}`,
    );
  }
  const out: Record<string, string> = { kind };
  for (const field of SCOPE_FIELDS[kind as ExecutionScope['kind']]) {
    const id = o[field];
    if (id === undefined || id === null) throw missingScopeId();
    if (typeof id !== 'string') throw invalidArgument(EffectHostError, `${path}.${field}`, 'a string');
    if (id.trim() === '') throw missingScopeId();
    out[field] = id;
  }
  return out as unknown as ExecutionScope;
}

/** turn → turnId; process → processId; queueDrain → drainId; sessionDelete → sessionId; runtimeOperation → operationId. */
export function scopeId(scope: ExecutionScope): string {
  const s = reduceScope(scope);
  switch (s.kind) {
    case 'turn':
      return s.turnId;
    case 'process':
      return s.processId;
    case 'queueDrain':
      return s.drainId;
    case 'sessionDelete':
      return s.sessionId;
    case 'runtimeOperation':
      return s.operationId;
  }
}

/** The session a scope belongs to; null for process and runtimeOperation scopes. */
export function scopeSessionId(scope: ExecutionScope): string | null {
  const s = reduceScope(scope);
  return s.kind === 'turn' || s.kind === 'queueDrain' || s.kind === 'sessionDelete' ? s.sessionId : null;
}

/** Canonical JSON of the reduced scope: identifies the scope completely (kind and every id). */
export function scopeKey(scope: ExecutionScope): string {
  return canonicalJson(reduceScope(scope));
}
