/**
 * Decoding of stored projection records. A record that does not decode, or decodes to the wrong
 * shape, raises `CorruptData` naming its table and key — nothing is skipped or defaulted (R11).
 */
import { unpack } from '../../codec.js';
import { corruptData, StoreError } from '../../errors.js';
import { canonicalJson, type JsonValue } from '../../json.js';

/** Decodes a msgpack record that must be a map; `check` may reject a wrong shape with a message. */
export function decodeRecord<T>(
  table: string,
  key: string,
  bytes: Uint8Array,
  check?: (value: Record<string, unknown>) => string | null,
): T {
  let value: unknown;
  try {
    value = unpack(bytes);
  } catch (error) {
    throw corruptData(StoreError, table, key, `undecodable record: ${(error as Error).message}`, error);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
    throw corruptData(StoreError, table, key, 'record is not a map');
  }
  const problem = check?.(value as Record<string, unknown>);
  if (problem) throw corruptData(StoreError, table, key, problem);
  return value as T;
}

/**
 * Checks a persisted record's `schemaVersion` (10-session-store §3.1.8): missing, non-integer and
 * other versions each raise their own error so an operator knows which binary wrote it.
 */
export function ensureSupportedRecordSchemaVersion(
  recordKind: 'SessionHeadMeta' | 'SessionCheckpoint',
  value: JsonValue,
  expected: number,
): void {
  const isObject = value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array);
  if (!isObject || !('schemaVersion' in value) || value.schemaVersion === undefined) {
    throw new StoreError(
      'MissingRecordSchemaVersion',
      `${recordKind} is missing schema_version and was written by unsupported pre-versioned state (expected ${expected})`,
      { recordKind, expected },
    );
  }
  const actual = value.schemaVersion;
  if (typeof actual !== 'number' || !Number.isInteger(actual) || actual < 0 || actual >= 2 ** 32) {
    const text = canonicalJson(actual);
    throw new StoreError(
      'InvalidRecordSchemaVersion',
      `${recordKind} schema_version ${text} is invalid (expected integer ${expected})`,
      {
        recordKind,
        actual: text,
        expected,
      },
    );
  }
  if (actual !== expected) {
    throw new StoreError(
      'UnsupportedRecordSchemaVersion',
      `${recordKind} schema_version ${actual} is not supported by this binary (expected ${expected})`,
      { recordKind, actual, expected },
    );
  }
}
