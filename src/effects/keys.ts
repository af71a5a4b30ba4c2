/**
 * Await-event keys (40-effects-triggers §4.2–§4.3): wait identities, key ids, HMAC signatures,
 * constant-time authentication, resolutions, and the JSON forms the command line accepts.
 */
import { createHmac } from 'node:crypto';
import { EffectHostError, invalidArgument, LashStoreError } from '../errors.js';
import { canonicalJson, type JsonValue, normalizeJson, sha256Hex } from '../json.js';
import type { AwaitEventKey, AwaitEventWaitIdentity, ExecutionScope, Resolution } from '../types/effect.js';
import { reduceScope, scopeSessionId } from './scope.js';

/** The error of a blank wait id or a bad ordinal. */
function invalidWait(): EffectHostError {
  return new EffectHostError('InvalidAwaitEventWaitIdentity', 'await-event wait identity requires non-empty stable ids');
}

const WAIT_KINDS = ['toolCompletion', 'processSignal', 'turnCancelGate', 'turnTerminal', 'custom'] as const;

function waitId(o: Record<string, unknown>, field: string, path: string): string {
  const v = o[field];
  if (v === undefined || v === null) throw invalidWait();
  if (typeof v !== 'string') throw invalidArgument(EffectHostError, `${path}.${field}`, 'a string');
  if (v.trim() === '') throw invalidWait();
  return v;
}

/** Validates a wait identity and returns a copy with exactly its variant's fields. */
export function reduceWait(value: unknown, path = 'wait'): AwaitEventWaitIdentity {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalidArgument(EffectHostError, path, 'an object');
  const o = value as Record<string, unknown>;
  switch (o.kind) {
    case 'toolCompletion':
      return { kind: 'toolCompletion', toolCallId: waitId(o, 'toolCallId', path) };
    case 'processSignal': {
      const processId = waitId(o, 'processId', path);
      const signalName = waitId(o, 'signalName', path);
      const ordinal = o.ordinal;
      if (typeof ordinal === 'number' && Number.isNaN(ordinal))
        throw invalidArgument(EffectHostError, `${path}.ordinal`, 'a number');
      if (typeof ordinal !== 'number' || !Number.isSafeInteger(ordinal) || ordinal < 1) throw invalidWait();
      return { kind: 'processSignal', processId, signalName, ordinal };
    }
    case 'turnCancelGate':
      return { kind: 'turnCancelGate' };
    case 'turnTerminal':
      return { kind: 'turnTerminal' };
    case 'custom':
      return { kind: 'custom', key: waitId(o, 'key', path) };
    default:
      throw invalidArgument(EffectHostError, `${path}.kind`, `one of ${WAIT_KINDS.map((k) => `'${k}'`).join(', ')}`);
  }
}

/** True for the two reserved per-turn control promises. */
export function isTurnControl(wait: AwaitEventWaitIdentity): boolean {
  return wait.kind === 'turnCancelGate' || wait.kind === 'turnTerminal';
}

/** `sha256Hex(canonicalJson([scope, wait]))` over reduced values. */
export function deriveKeyId(scope: ExecutionScope, wait: AwaitEventWaitIdentity): string {
  return sha256Hex(canonicalJson([scope, wait]));
}

/** Hex HMAC-SHA256 of `canonicalJson([scope, wait, keyId])`. */
export function signKey(secret: Uint8Array, scope: ExecutionScope, wait: AwaitEventWaitIdentity, keyId: string): string {
  return createHmac('sha256', secret)
    .update(canonicalJson([scope, wait, keyId]))
    .digest('hex');
}

/**
 * Constant-time string equality: loops over the longer input and folds the length difference in,
 * so neither content nor length leaks through timing.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const n = Math.max(a.length, b.length);
  let diff = a.length ^ b.length;
  for (let i = 0; i < n; i++) diff |= (i < a.length ? a.charCodeAt(i) : 0) ^ (i < b.length ? b.charCodeAt(i) : 0);
  return diff === 0;
}

/** A key's identity after reduction: what rows are compared with. */
export interface KeyIdentity {
  scope: ExecutionScope;
  wait: AwaitEventWaitIdentity;
  keyId: string;
  scopeJson: string;
  waitJson: string;
  sessionId: string | null;
  turnControl: boolean;
}

/** The identity of reduced `(scope, wait)`. */
export function keyIdentity(scope: ExecutionScope, wait: AwaitEventWaitIdentity): KeyIdentity {
  return {
    scope,
    wait,
    keyId: deriveKeyId(scope, wait),
    scopeJson: canonicalJson(scope),
    waitJson: canonicalJson(wait),
    sessionId: scopeSessionId(scope),
    turnControl: isTurnControl(wait),
  };
}

/**
 * `authenticates(key)` of §4.3: the recomputed key id and signature both match, compared in
 * constant time and both always evaluated. Returns the identity, or null when the key fails
 * (including any key whose scope or wait does not validate).
 */
export function authenticate(secret: Uint8Array, key: unknown): KeyIdentity | null {
  if (key === null || typeof key !== 'object' || Array.isArray(key)) return null;
  const k = key as Record<string, unknown>;
  if (typeof k.keyId !== 'string' || typeof k.signature !== 'string') return null;
  let identity: KeyIdentity;
  try {
    identity = keyIdentity(reduceScope(k.scope), reduceWait(k.wait));
  } catch {
    return null;
  }
  const idOk = constantTimeEqual(identity.keyId, k.keyId);
  const sigOk = constantTimeEqual(signKey(secret, identity.scope, identity.wait, k.keyId), k.signature);
  return idOk && sigOk ? identity : null;
}

/** `lash-await-event:{keyId}` (the format engine adapters use). */
export function awaitEventPromiseKey(key: AwaitEventKey): string {
  return `lash-await-event:${key.keyId}`;
}

function encodeError(what: string, error: unknown): EffectHostError {
  const detail = error instanceof LashStoreError ? error.message : String(error);
  return new EffectHostError('Encode', `failed to encode ${what}: ${detail}`, {}, { cause: error });
}

/** A JSON value to be stored: anything else throws `Encode`. */
export function storedJson(value: unknown, what: string, path: string): JsonValue {
  try {
    return normalizeJson(value, path, { allowBytes: false, errorClass: EffectHostError });
  } catch (error) {
    throw encodeError(what, error);
  }
}

/** Thrown by `resolutionShape` for a wrong shape; the caller picks the error code. */
class ShapeError extends Error {}

function shape(value: unknown, path: string): Resolution {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ShapeError(`\`${path}\` must be an object`);
  const o = value as Record<string, unknown>;
  switch (o.kind) {
    case 'ok':
      if (o.payload === undefined) throw new ShapeError(`\`${path}.payload\` is required`);
      return { kind: 'ok', payload: o.payload as JsonValue };
    case 'err': {
      const p = o.payload;
      if (p === null || typeof p !== 'object' || Array.isArray(p)) throw new ShapeError(`\`${path}.payload\` must be an object`);
      const e = p as Record<string, unknown>;
      if (typeof e.code !== 'string') throw new ShapeError(`\`${path}.payload.code\` must be a string`);
      if (typeof e.message !== 'string') throw new ShapeError(`\`${path}.payload.message\` must be a string`);
      return {
        kind: 'err',
        payload: { code: e.code, message: e.message, raw: e.raw === undefined ? null : (e.raw as JsonValue) },
      };
    }
    case 'timeout':
      return { kind: 'timeout' };
    case 'cancelled':
      return { kind: 'cancelled' };
    default:
      throw new ShapeError(`\`${path}.kind\` must be one of 'ok', 'err', 'timeout', 'cancelled'`);
  }
}

/**
 * Validates a resolution and returns it reduced to its variant's members (`err.payload.raw`
 * absent becomes null). A wrong shape is `InvalidArgument`; a non-JSON payload is `Encode`.
 */
export function resolutionInput(value: unknown, path = 'resolution'): Resolution {
  let r: Resolution;
  try {
    r = shape(value, path);
  } catch (error) {
    if (error instanceof ShapeError) throw invalidArgument(EffectHostError, path, `a Resolution (${error.message})`);
    throw error;
  }
  return storedJson(r, 'await-event resolution', path) as unknown as Resolution;
}

/** Decodes a stored terminal; the caller turns a throw into `CorruptData`. */
export function decodeResolution(json: string): Resolution {
  return shape(JSON.parse(json) as unknown, 'terminal');
}

function reduceOrKeep<T>(reduce: () => T, original: object): T | object {
  try {
    return reduce();
  } catch (error) {
    if (error instanceof EffectHostError && error.code === 'InvalidArgument') throw new ShapeError(error.message);
    return original;
  }
}

function parseKeyShape(value: unknown): AwaitEventKey {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ShapeError('the key must be an object');
  const o = value as Record<string, unknown>;
  const scope = o.scope;
  if (scope === null || typeof scope !== 'object' || Array.isArray(scope)) throw new ShapeError('`scope` must be an object');
  // Blank ids are a well-formed key that simply never authenticates; only wrong types are shape errors.
  const reducedScope = reduceOrKeep(() => reduceScope(scope, 'scope'), scope) as ExecutionScope;
  const wait = o.wait;
  if (wait === null || typeof wait !== 'object' || Array.isArray(wait)) throw new ShapeError('`wait` must be an object');
  const reducedWait = reduceOrKeep(() => reduceWait(wait, 'wait'), wait) as AwaitEventWaitIdentity;
  if (typeof o.keyId !== 'string') throw new ShapeError('`keyId` must be a string');
  if (typeof o.signature !== 'string') throw new ShapeError('`signature` must be a string');
  return { scope: reducedScope, wait: reducedWait, keyId: o.keyId, signature: o.signature };
}

/** Parses the JSON form of a key (`JSON.stringify(key)`); errors are `InvalidAwaitEventKeyJson`. */
export function parseAwaitEventKey(json: string): AwaitEventKey {
  try {
    if (typeof json !== 'string') throw new ShapeError('expected a JSON string');
    return parseKeyShape(JSON.parse(json) as unknown);
  } catch (error) {
    throw new EffectHostError('InvalidAwaitEventKeyJson', `invalid await-event key JSON: ${(error as Error).message}`);
  }
}

/** Parses the JSON form of a resolution; errors are `InvalidResolutionJson`. */
export function parseResolution(json: string): Resolution {
  try {
    if (typeof json !== 'string') throw new ShapeError('expected a JSON string');
    return shape(JSON.parse(json) as unknown, 'resolution');
  } catch (error) {
    throw new EffectHostError('InvalidResolutionJson', `invalid await-event resolution JSON: ${(error as Error).message}`);
  }
}
