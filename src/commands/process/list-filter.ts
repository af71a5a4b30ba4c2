/**
 * `ProcessListFilter` (30-process-registry §2.4): the typed filter of `listProcesses` and prune, its
 * model-facing snake_case decoder, and the matcher every list and prune uses (all facets ANDed).
 */
import { canonicalJson, type JsonValue, jsonEqual } from '../../json.js';
import type { ProcessListFilter as Filter, ProcessRecord, ProcessStatusFilter } from '../../types/process.js';
import { invalidListFilter } from './errors.js';
import { v } from './inputs.js';
import { originatorScopeId } from './registration.js';

const STATUSES: readonly ProcessStatusFilter[] = ['running', 'completed', 'failed', 'cancelled', 'abandoned', 'any'];

/** A filter with every facet present (`null` = no facet) and the status defaulted to `running`. */
export interface NormalizedListFilter {
  status: ProcessStatusFilter;
  definition: JsonValue | null;
  waiting: boolean | null;
  originatorScopeId: string | null;
  identityKind: string | null;
  identityLabel: string | null;
  causedByOccurrenceId: string | null;
  causedBySubscriptionId: string | null;
  createdAtStartMs: number | null;
  createdAtEndMs: number | null;
}

/** Validates a typed filter (wrong types are `InvalidArgument`) and fills the defaults. */
export function normalizeListFilter(value: unknown, path = 'filter'): NormalizedListFilter {
  const o = value === undefined || value === null ? {} : v.object(value, path);
  const status = o.status === undefined || o.status === null ? 'running' : v.oneOf(o.status, `${path}.status`, STATUSES);
  const waiting = o.waiting === undefined || o.waiting === null ? null : o.waiting;
  if (waiting !== null && typeof waiting !== 'boolean') v.fail(`${path}.waiting`, 'a boolean');
  const str = (key: string) => v.nullableString(o[key], `${path}.${key}`);
  const num = (key: string) => (o[key] === undefined || o[key] === null ? null : v.count(o[key], `${path}.${key}`));
  return {
    status,
    definition: o.definition === undefined || o.definition === null ? null : v.json(o.definition, `${path}.definition`),
    waiting: waiting as boolean | null,
    originatorScopeId: str('originatorScopeId'),
    identityKind: str('identityKind'),
    identityLabel: str('identityLabel'),
    causedByOccurrenceId: str('causedByOccurrenceId'),
    causedBySubscriptionId: str('causedBySubscriptionId'),
    createdAtStartMs: num('createdAtStartMs'),
    createdAtEndMs: num('createdAtEndMs'),
  };
}

/** True when `record` satisfies every facet of the normalized filter. */
export function matchesNormalized(f: NormalizedListFilter, record: ProcessRecord): boolean {
  if (f.status !== 'any' && record.status.kind !== f.status) return false;
  if (f.definition !== null && !jsonEqual(record.identity.definition, f.definition)) return false;
  if (f.waiting !== null && (record.wait !== null) !== f.waiting) return false;
  if (f.originatorScopeId !== null && originatorScopeId(record.provenance.originator) !== f.originatorScopeId) return false;
  if (f.identityKind !== null && record.identity.kind !== f.identityKind) return false;
  if (f.identityLabel !== null && record.identity.label !== f.identityLabel) return false;
  const cause = record.provenance.causedBy;
  if (f.causedByOccurrenceId !== null) {
    if (cause?.kind !== 'triggerOccurrence' || cause.occurrenceId !== f.causedByOccurrenceId) return false;
  }
  if (f.causedBySubscriptionId !== null) {
    if (
      cause?.kind !== 'triggerOccurrence' ||
      cause.subscriptionId === null ||
      cause.subscriptionId !== f.causedBySubscriptionId
    ) {
      return false;
    }
  }
  if (f.createdAtStartMs !== null && record.createdAtMs < f.createdAtStartMs) return false;
  if (f.createdAtEndMs !== null && record.createdAtMs >= f.createdAtEndMs) return false;
  return true;
}

const DECODE_KEYS: Record<string, keyof Filter> = {
  definition: 'definition',
  status: 'status',
  waiting: 'waiting',
  originator_scope_id: 'originatorScopeId',
  identity_kind: 'identityKind',
  identity_label: 'identityLabel',
  caused_by_occurrence_id: 'causedByOccurrenceId',
  caused_by_subscription_id: 'causedBySubscriptionId',
  created_at_start_ms: 'createdAtStartMs',
  created_at_end_ms: 'createdAtEndMs',
};

const STRING_FACETS = new Set([
  'originator_scope_id',
  'identity_kind',
  'identity_label',
  'caused_by_occurrence_id',
  'caused_by_subscription_id',
]);

/** Helpers of the list filter (exported with the type). */
export const ProcessListFilter = {
  /** Parses the snake_case argument of a model-facing `processes.list` tool. */
  decode(args: JsonValue): Filter {
    if (args === null || typeof args !== 'object' || Array.isArray(args) || args instanceof Uint8Array) {
      throw invalidListFilter(null, 'processes.list expects a record of process filters');
    }
    const out: Filter = {};
    for (const [key, value] of Object.entries(args)) {
      const target = DECODE_KEYS[key];
      if (target === undefined) throw invalidListFilter(key, `processes.list unknown filter \`${key}\``);
      if (value === undefined) continue;
      if (key === 'status') {
        if (typeof value !== 'string' || !STATUSES.includes(value as ProcessStatusFilter)) {
          const shown = typeof value === 'string' ? value : canonicalJson(value);
          throw invalidListFilter(
            key,
            `processes.list status must be \`running\`, \`completed\`, \`failed\`, \`cancelled\`, \`abandoned\`, or \`any\`, got \`${shown}\``,
          );
        }
        out.status = value as ProcessStatusFilter;
      } else if (key === 'waiting') {
        if (typeof value !== 'boolean') throw invalidListFilter(key, 'processes.list `waiting` filter must be a boolean');
        out.waiting = value;
      } else if (STRING_FACETS.has(key)) {
        if (typeof value !== 'string') throw invalidListFilter(key, `processes.list \`${key}\` filter must be a string`);
        (out as Record<string, JsonValue>)[target] = value;
      } else if (key === 'created_at_start_ms' || key === 'created_at_end_ms') {
        if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
          throw invalidListFilter(key, `processes.list \`${key}\` filter must be an integer`);
        }
        (out as Record<string, JsonValue>)[target] = value;
      } else {
        out.definition = value;
      }
    }
    return out;
  },
  /** `live` for a running-only filter (the default), `all` otherwise. */
  listMode(filter: Filter): 'live' | 'all' {
    return normalizeListFilter(filter).status === 'running' ? 'live' : 'all';
  },
  /** All facets ANDed, the status (default `running`) included. */
  matchesRecord(filter: Filter, record: ProcessRecord): boolean {
    return matchesNormalized(normalizeListFilter(filter), record);
  },
};

/** The list filter type (of the `ProcessListFilter` helpers). */
export type ProcessListFilter = Filter;
