/**
 * Decoding of the trigger store's stored JSON. A scan skips (counts and logs) a row it cannot
 * decode; a targeted read raises `CorruptData` naming the table and key.
 */
import { corruptData, TriggerStoreError } from '../../errors.js';
import type { TriggerOccurrenceRecord, TriggerSubscriptionRecord } from '../../types/trigger.js';

const isString = (v: unknown) => typeof v === 'string';
const isInt = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v);
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function checkSubscription(v: Record<string, unknown>): string | null {
  if (!isString(v.subscriptionId) || !isString(v.subscriptionKey) || !isString(v.incarnation) || !isString(v.definitionHash)) {
    return 'subscription record lacks its identity';
  }
  if (!isInt(v.revision) || !isInt(v.createdAtMs) || !isInt(v.updatedAtMs)) return 'subscription record has no revision or times';
  if (!isObject(v.ownerScope) || !isString(v.ownerScope.kind)) return 'subscription record has no owner scope';
  if (typeof v.enabled !== 'boolean' || typeof v.tombstoned !== 'boolean') return 'subscription record has no state flags';
  if (!isString(v.sourceType) || !isString(v.sourceKey) || !isString(v.envRef)) return 'subscription record has no source';
  if (!isObject(v.targetIdentity) || !isString(v.targetIdentity.kind)) return 'subscription record has no target identity';
  return null;
}

function checkOccurrence(v: Record<string, unknown>): string | null {
  if (!isString(v.occurrenceId) || !isString(v.sourceType) || !isString(v.sourceKey) || !isString(v.idempotencyKey)) {
    return 'occurrence record lacks its identity';
  }
  if (!isInt(v.occurredAtMs)) return 'occurrence record has no time';
  if (!(v.sessionId === null || isString(v.sessionId))) return 'occurrence record has a bad session id';
  return null;
}

/** Thrown by the decoders; scans count it, targeted reads turn it into `CorruptData`. */
export class MalformedRow extends Error {
  constructor(
    readonly table: string,
    readonly key: string,
    detail: string,
  ) {
    super(detail);
  }

  /** The `CorruptData` error of this row. */
  corrupt(): TriggerStoreError {
    return corruptData(TriggerStoreError, this.table, this.key, this.message, this);
  }
}

function parse(table: string, key: string, json: string, check: (v: Record<string, unknown>) => string | null): unknown {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new MalformedRow(table, key, `undecodable JSON: ${(error as Error).message}`);
  }
  if (!isObject(value)) throw new MalformedRow(table, key, 'record is not an object');
  const problem = check(value);
  if (problem) throw new MalformedRow(table, key, problem);
  return value;
}

/** Decodes a subscription `record_json`; throws `MalformedRow`. */
export function decodeSubscription(table: string, key: string, json: string): TriggerSubscriptionRecord {
  return parse(table, key, json, checkSubscription) as TriggerSubscriptionRecord;
}

/** Decodes an occurrence `record_json`; throws `MalformedRow`. */
export function decodeOccurrence(key: string, json: string): TriggerOccurrenceRecord {
  return parse('trigger_occurrences', key, json, checkOccurrence) as TriggerOccurrenceRecord;
}

/** Logs a row a scan skipped (table and key), as the spec asks; the caller counts it. */
export function logSkipped(row: MalformedRow): void {
  process.emitWarning(`skipped malformed row in table ${row.table} at key ${row.key}: ${row.message}`, {
    code: 'LASH_TRIGGER_MALFORMED_ROW',
  });
}
