/**
 * Module artifacts and current trigger manifests as stored bytes (20-blobs-attachments-lifecycle
 * §5.3): validation before a put (`ArtifactEncode`), canonical-JSON encoding, and decoding that
 * treats anything unexpected in stored bytes as `CorruptData`.
 */
import { artifactEncode, messageOf } from '../../../attachments/errors.js';
import { corruptData, LashStoreError, StoreError } from '../../../errors.js';
import { canonicalJson, type JsonValue, normalizeJson } from '../../../json.js';
import type { CurrentTriggerManifest, ModuleArtifact } from '../../../types/artifacts.js';

/** The host's optional verifier (`StoreOptions.verifyModuleArtifact`); throws to reject. */
export type ModuleArtifactVerifier = (artifact: ModuleArtifact) => void;

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Code point order (what "sorted ascending" means for keys). */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done === y.done ? 0 : x.done ? -1 : 1;
    const d = (x.value.codePointAt(0) as number) - (y.value.codePointAt(0) as number);
    if (d !== 0) return d;
  }
}

/** Sorted, de-duplicated keys. */
export function sortedUnique(keys: Iterable<string>): string[] {
  return [...new Set(keys)].sort(compareCodePoints);
}

/** Why `value` is not a valid artifact shape, or null (the verifier is not run here). */
function shapeProblem(value: JsonValue): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
    return 'a module artifact must be a JSON object';
  }
  if (typeof value.moduleRef !== 'string' || value.moduleRef === '') return 'moduleRef must be a non-empty string';
  const manifest = value.triggerKeyManifest;
  if (manifest === undefined || manifest === null) return null;
  if (typeof manifest !== 'object' || Array.isArray(manifest) || manifest instanceof Uint8Array) {
    return 'triggerKeyManifest must be null or { subscriptionKeys: string[] }';
  }
  const keys = manifest.subscriptionKeys;
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) {
    return 'triggerKeyManifest.subscriptionKeys must be an array of strings';
  }
  return null;
}

function runVerifier(verify: ModuleArtifactVerifier | null, artifact: ModuleArtifact): string | null {
  if (verify === null) return null;
  try {
    verify(structuredClone(artifact));
    return null;
  } catch (error) {
    return `verifyModuleArtifact rejected the artifact: ${messageOf(error)}`;
  }
}

/** A normalized copy of a valid artifact; anything else rejects with `ArtifactEncode` and writes nothing. */
export function moduleArtifactInput(value: unknown, verify: ModuleArtifactVerifier | null): ModuleArtifact {
  let json: JsonValue;
  try {
    json = normalizeJson(value, 'artifact', { allowBytes: false, errorClass: StoreError });
  } catch (error) {
    if (error instanceof LashStoreError && error.code === 'InvalidArgument') {
      throw artifactEncode(`${String((error as LashStoreError & { argument?: string }).argument)} is not JSON-encodable`);
    }
    throw error;
  }
  const problem = shapeProblem(json);
  if (problem !== null) throw artifactEncode(problem);
  const artifact = json as unknown as ModuleArtifact;
  const rejected = runVerifier(verify, artifact);
  if (rejected !== null) throw artifactEncode(rejected);
  return artifact;
}

/** The stored bytes of an artifact: UTF-8 canonical JSON. */
export function encodeModuleArtifact(artifact: ModuleArtifact): Uint8Array {
  return utf8.encode(canonicalJson(artifact));
}

function parseJson(bytes: Uint8Array): { ok: true; value: JsonValue } | { ok: false; detail: string } {
  try {
    return { ok: true, value: JSON.parse(strictUtf8.decode(bytes)) as JsonValue };
  } catch (error) {
    return { ok: false, detail: `undecodable JSON: ${messageOf(error)}` };
  }
}

/** Decodes a stored module artifact, which must be valid and carry the key it is stored under. */
export function decodeModuleArtifact(
  bytes: Uint8Array,
  moduleRef: string,
  verify: ModuleArtifactVerifier | null,
): ModuleArtifact {
  const key = `lashlang_module/${moduleRef}`;
  const parsed = parseJson(bytes);
  if (!parsed.ok) throw corruptData(StoreError, 'artifact_refs', key, parsed.detail);
  const problem = shapeProblem(parsed.value);
  if (problem !== null) throw corruptData(StoreError, 'artifact_refs', key, `invalid module artifact: ${problem}`);
  const artifact = parsed.value as unknown as ModuleArtifact;
  if (artifact.moduleRef !== moduleRef) {
    throw corruptData(StoreError, 'artifact_refs', key, `stored artifact has moduleRef ${artifact.moduleRef}`);
  }
  const rejected = runVerifier(verify, artifact);
  if (rejected !== null) throw corruptData(StoreError, 'artifact_refs', key, rejected);
  return artifact;
}

/** The current trigger manifest an artifact installs; `ArtifactEncode` for a bad ref or keys. */
export function currentTriggerManifestOf(value: unknown): CurrentTriggerManifest {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw artifactEncode('a module artifact must be an object');
  const o = value as Record<string, unknown>;
  if (typeof o.moduleRef !== 'string' || o.moduleRef === '') throw artifactEncode('moduleRef must be a non-empty string');
  const manifest = o.triggerKeyManifest;
  let keys: string[] = [];
  if (manifest !== undefined && manifest !== null) {
    const list = typeof manifest === 'object' ? (manifest as Record<string, unknown>).subscriptionKeys : undefined;
    if (!Array.isArray(list) || !list.every((k) => typeof k === 'string')) {
      throw artifactEncode('triggerKeyManifest.subscriptionKeys must be an array of strings');
    }
    keys = list as string[];
  }
  return { moduleRef: o.moduleRef, manifest: { subscriptionKeys: sortedUnique(keys) } };
}

/** The stored bytes of a current trigger manifest: UTF-8 canonical JSON. */
export function encodeCurrentTriggerManifest(current: CurrentTriggerManifest): Uint8Array {
  return utf8.encode(canonicalJson(current));
}

/** Decodes a stored current trigger manifest; anything else is `CorruptData` at the pointer's key. */
export function decodeCurrentTriggerManifest(bytes: Uint8Array, ownerNamespace: string): CurrentTriggerManifest {
  const key = `lashlang_trigger_manifest/${ownerNamespace}`;
  const parsed = parseJson(bytes);
  if (!parsed.ok) throw corruptData(StoreError, 'artifact_refs', key, parsed.detail);
  const v = parsed.value;
  const fail = () => corruptData(StoreError, 'artifact_refs', key, 'not a current trigger manifest');
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) throw fail();
  const m = v.manifest;
  if (typeof v.moduleRef !== 'string' || m === null || typeof m !== 'object' || Array.isArray(m) || m instanceof Uint8Array) {
    throw fail();
  }
  const keys = m.subscriptionKeys;
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw fail();
  return { moduleRef: v.moduleRef, manifest: { subscriptionKeys: keys as string[] } };
}
