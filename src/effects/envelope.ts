/**
 * Runtime effect envelopes (40-effects-triggers §3.4.4 step 0, §3.5): validation, the canonical
 * form the journal stores, and the structural diff that explains a replay mismatch.
 */
import { EffectHostError, invalidArgument, LashStoreError } from '../errors.js';
import { canonicalJson, type JsonValue, normalizeJson, sha256Hex, sortedKeys } from '../json.js';
import type {
  CanonicalRuntimeEffectEnvelope,
  DiffSide,
  EffectEnvelopeDiffTrace,
  RuntimeEffectEnvelope,
  RuntimeEffectKind,
  RuntimeEffectReplayMismatchSummary,
} from '../types/effect.js';

/** Every effect kind, in the order of §3.2. */
export const RUNTIME_EFFECT_KINDS: readonly RuntimeEffectKind[] = [
  'llmCall',
  'direct',
  'toolAttempt',
  'toolBatch',
  'trigger',
  'process',
  'execCode',
  'checkpoint',
  'syncExecutionEnvironment',
  'sleep',
  'awaitEvent',
  'peekAwaitEvent',
  'durableStep',
];

/** How many divergent paths a summary and a message name. */
const FIRST_PATHS = 8;
/** Diff-trace values longer than this (UTF-8 bytes of canonical JSON) are elided. */
const TRACE_VALUE_LIMIT = 2048;

function fail(code: string, message: string): never {
  throw new EffectHostError(code, message);
}

function record(value: unknown, path: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalidArgument(EffectHostError, path, 'an object');
  return value as Record<string, unknown>;
}

const blank = (value: unknown): boolean => typeof value !== 'string' || value.trim() === '';

/** What step 0 learned about an envelope. */
export interface ValidatedEnvelope {
  envelope: RuntimeEffectEnvelope;
  kind: RuntimeEffectKind;
  effectId: string;
  replayKey: string;
  /** Sleeps only: `durationMs` floored, negatives as 0. */
  sleepMs: number | null;
}

/** Step 0's envelope checks, in the order of §3.4.4; each failure throws its own `EffectHostError`. */
export function validateRuntimeEffectEnvelope(value: unknown): ValidatedEnvelope {
  const envelope = record(value, 'envelope');
  const invocation = record(envelope.invocation, 'envelope.invocation');
  const command = record(envelope.command, 'envelope.command');
  const kind = command.kind;
  if (typeof kind !== 'string' || !RUNTIME_EFFECT_KINDS.includes(kind as RuntimeEffectKind)) {
    throw invalidArgument(EffectHostError, 'envelope.command.kind', 'a runtime effect kind');
  }
  const subject = invocation.subject as Record<string, unknown> | null | undefined;
  if (subject === null || typeof subject !== 'object' || subject.kind !== 'effect') {
    fail('RuntimeEffectInvocationSubject', 'runtime effect envelope subject must be an effect');
  }
  if (blank(subject.effectId)) fail('RuntimeEffectInvocationSubject', 'runtime effect envelope effect id must be non-empty');
  if (subject.effectKind !== kind) {
    fail(
      'RuntimeEffectInvocationKind',
      `runtime effect invocation kind ${String(subject.effectKind)} does not match command kind ${kind}`,
    );
  }
  const replay = invocation.replay as Record<string, unknown> | null | undefined;
  if (replay === null || typeof replay !== 'object' || typeof replay.key !== 'string' || replay.key === '') {
    fail('RuntimeEffectReplayRequired', 'runtime effect envelope requires replay.key');
  }
  let sleepMs: number | null = null;
  switch (kind as RuntimeEffectKind) {
    case 'durableStep':
      if (blank(command.stepId)) fail('RuntimeEffectDurableStepId', 'runtime effect durable step id must be non-empty');
      break;
    case 'toolAttempt': {
      const call = command.call as Record<string, unknown> | null | undefined;
      if (call === null || typeof call !== 'object' || blank(call.callId)) {
        fail('RuntimeEffectToolAttemptCallId', 'runtime effect tool attempt requires a non-empty call id');
      }
      const { attempt, maxAttempts } = command;
      const ok = typeof attempt === 'number' && typeof maxAttempts === 'number' && attempt >= 1 && attempt <= maxAttempts;
      if (!ok) {
        fail(
          'RuntimeEffectToolAttemptIndex',
          `runtime effect tool attempt must satisfy 1 <= attempt <= max_attempts, got ${String(attempt)}/${String(maxAttempts)}`,
        );
      }
      break;
    }
    case 'toolBatch': {
      const batch = command.batch as Record<string, unknown> | null | undefined;
      if (batch === null || typeof batch !== 'object' || blank(batch.batchId)) {
        fail('RuntimeEffectToolBatchId', 'runtime effect tool batch id must be non-empty');
      }
      if (!Array.isArray(batch.calls) || batch.calls.length === 0) {
        fail('RuntimeEffectToolBatchEmpty', 'runtime effect tool batch must contain at least one prepared call');
      }
      batch.calls.forEach((entry: unknown, index: number) => {
        const e = (entry ?? {}) as Record<string, unknown>;
        const call = (e.call ?? {}) as Record<string, unknown>;
        if (blank(call.callId))
          fail('RuntimeEffectToolBatchCallId', `runtime effect tool batch call ${index} has an empty call id`);
        if (blank(e.replaySuffix)) {
          fail('RuntimeEffectToolBatchCallReplay', `runtime effect tool batch call ${index} has an empty replay suffix`);
        }
      });
      break;
    }
    case 'sleep': {
      const ms = command.durationMs;
      if (typeof ms !== 'number' || Number.isNaN(ms))
        throw invalidArgument(EffectHostError, 'envelope.command.durationMs', 'a number');
      sleepMs = ms >= Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : Math.max(0, Math.floor(ms));
      break;
    }
    default:
      break;
  }
  return {
    envelope: envelope as unknown as RuntimeEffectEnvelope,
    kind: kind as RuntimeEffectKind,
    effectId: subject.effectId as string,
    replayKey: replay.key,
    sleepMs,
  };
}

/** The envelope with its optional typed members omitted when null (absent and null are equal). */
function withoutNullOptionals(envelope: Record<string, unknown>): Record<string, unknown> {
  const invocation = envelope.invocation;
  if (invocation === null || typeof invocation !== 'object' || Array.isArray(invocation)) return envelope;
  const inv: Record<string, unknown> = { ...(invocation as Record<string, unknown>) };
  for (const member of ['causedBy', 'replay']) if (inv[member] === null) delete inv[member];
  const scope = inv.scope;
  if (scope !== null && typeof scope === 'object' && !Array.isArray(scope)) {
    const s: Record<string, unknown> = { ...(scope as Record<string, unknown>) };
    for (const member of ['turnId', 'turnIndex', 'protocolIteration']) if (s[member] === null) delete s[member];
    inv.scope = s;
  }
  return { ...envelope, invocation: inv };
}

/**
 * `{ json: canonicalJson(envelope), hash: sha256Hex(json) }` with the optional typed members that
 * are null omitted first. A non-JSON envelope throws `RuntimeEffectEnvelopeHash`.
 */
export function canonicalizeRuntimeEffectEnvelope(envelope: RuntimeEffectEnvelope): CanonicalRuntimeEffectEnvelope {
  let normalized: JsonValue;
  try {
    const base =
      envelope !== null && typeof envelope === 'object'
        ? withoutNullOptionals(envelope as unknown as Record<string, unknown>)
        : envelope;
    normalized = normalizeJson(base, 'envelope', { allowBytes: false, errorClass: EffectHostError });
  } catch (error) {
    const detail = error instanceof LashStoreError ? error.message : String(error);
    throw new EffectHostError(
      'RuntimeEffectEnvelopeHash',
      `failed to serialize runtime effect envelope: ${detail}`,
      {},
      { cause: error },
    );
  }
  const json = canonicalJson(normalized);
  return { json, hash: sha256Hex(json) };
}

function invariant(message: string): never {
  throw new EffectHostError('RuntimeEffectEnvelopeCanonicalHashInvariant', message);
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Depth-first divergent paths between two parsed canonical envelopes (§3.5 step 5). */
export function divergentPaths(
  recorded: Json,
  reconstructed: Json,
): Array<{ path: string; a: Json | undefined; b: Json | undefined }> {
  const out: Array<{ path: string; a: Json | undefined; b: Json | undefined }> = [];
  const walk = (a: Json | undefined, b: Json | undefined, path: string): void => {
    if (isObject(a) && isObject(b)) {
      const keys = sortedKeys({ ...a, ...b });
      for (const key of keys) {
        walk(
          Object.hasOwn(a, key) ? a[key] : undefined,
          Object.hasOwn(b, key) ? b[key] : undefined,
          path === '' ? key : `${path}.${key}`,
        );
      }
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      const n = Math.max(a.length, b.length);
      for (let i = 0; i < n; i++) walk(i < a.length ? a[i] : undefined, i < b.length ? b[i] : undefined, `${path}[${i}]`);
      return;
    }
    if (a !== undefined && b !== undefined && canonicalJson(a) === canonicalJson(b)) return;
    out.push({ path, a, b });
  };
  walk(recorded, reconstructed, '');
  return out;
}

function diffSide(value: Json | undefined): DiffSide {
  if (value === undefined) return { kind: 'missing' };
  const json = canonicalJson(value);
  const jsonLen = Buffer.byteLength(json, 'utf8');
  const small = jsonLen <= TRACE_VALUE_LIMIT;
  return {
    kind: 'present',
    jsonLen,
    jsonSha256: sha256Hex(json),
    valueJson: small ? json : null,
    valueJsonOmittedReason: small ? null : 'sizeLimit',
  };
}

function parseSide(side: CanonicalRuntimeEffectEnvelope, label: string): Json {
  try {
    return JSON.parse(side.json) as Json;
  } catch (error) {
    throw new EffectHostError(
      'RuntimeEffectEnvelopeCanonicalDecode',
      `failed to decode ${label} canonical envelope: ${(error as Error).message}`,
    );
  }
}

/**
 * Checks a reconstructed envelope against the recorded one. Returns when they are the same; throws
 * `mismatchCode` with a structural summary (count + first 8 paths) when they differ, and emits the
 * full diff to `diffTraceSink` when one is given. Inconsistent inputs throw the invariant errors.
 */
export function validateReplayedEffectEnvelope(
  recorded: CanonicalRuntimeEffectEnvelope,
  reconstructed: CanonicalRuntimeEffectEnvelope,
  mismatchCode: string,
  diffTraceSink?: ((event: EffectEnvelopeDiffTrace) => void) | null,
): void {
  for (const [label, side] of [
    ['recorded', recorded],
    ['reconstructed', reconstructed],
  ] as const) {
    const derived = sha256Hex(side.json);
    if (derived !== side.hash) {
      invariant(`${label} envelope hash ${side.hash} was not derived from its canonical serialized form (derived ${derived})`);
    }
  }
  if (recorded.hash === reconstructed.hash) return;
  if (recorded.json === reconstructed.json) {
    invariant('envelope hashes differed even though their canonical serialized forms were identical');
  }
  const diffs = divergentPaths(parseSide(recorded, 'recorded'), parseSide(reconstructed, 'reconstructed'));
  if (diffs.length === 0) invariant('envelope hashes differed but their canonical forms had zero divergent structural paths');
  const summary: RuntimeEffectReplayMismatchSummary = {
    divergentPathCount: diffs.length,
    firstDivergentPaths: diffs.slice(0, FIRST_PATHS).map((d) => d.path),
  };
  if (diffTraceSink) {
    diffTraceSink({
      name: 'effect_envelope_diff',
      recordedEnvelopeHash: recorded.hash,
      reconstructedEnvelopeHash: reconstructed.hash,
      divergentPaths: diffs.map((d) => ({ path: d.path, recorded: diffSide(d.a), reconstructed: diffSide(d.b) })),
    });
  }
  throw new EffectHostError(
    mismatchCode,
    `recorded runtime effect hash ${recorded.hash} did not match reconstructed envelope hash ${reconstructed.hash}; divergent_path_count=${summary.divergentPathCount}; divergent_paths=[${summary.firstDivergentPaths.join(', ')}]`,
    { summary },
  );
}
