/**
 * The trigger store's read models: subscription listing with the `matches` filter, occurrence
 * listing and delivery listings. Scans skip undecodable rows and count them; delivery listings
 * raise `CorruptData` (a reservation must never be silently dropped).
 */
import { jsonEqual } from '../../json.js';
import { triggerOwnerNamespace } from '../../triggers/identity.js';
import type { NormalizedFilter } from '../../triggers/normalize.js';
import type {
  TriggerDeliveryReservation,
  TriggerOccurrenceListing,
  TriggerOccurrenceRecord,
  TriggerSubscriptionListing,
  TriggerSubscriptionRecord,
} from '../../types/trigger.js';
import { decodeOccurrence, decodeSubscription, logSkipped, MalformedRow } from './records.js';
import type { DeliveryRow, SubscriptionRow, TriggerReads } from './tables.js';

/** `ownerSessionId(owner)`: the session id of session owners, else null. */
function ownerSessionId(record: TriggerSubscriptionRecord): string | null {
  return record.ownerScope.kind === 'session' ? record.ownerScope.sessionId : null;
}

/** The filter of §5.2; tombstoned records never match. */
export function matches(filter: NormalizedFilter, record: TriggerSubscriptionRecord): boolean {
  if (record.tombstoned) return false;
  if (filter.registrantScopeId !== null && filter.registrantScopeId !== triggerOwnerNamespace(record.ownerScope)) return false;
  if (filter.sessionId !== null && filter.sessionId !== ownerSessionId(record)) return false;
  if (filter.subscriptionKey !== null && filter.subscriptionKey !== record.subscriptionKey) return false;
  if (filter.name !== null && filter.name !== record.name) return false;
  if (filter.sourceType !== null && filter.sourceType !== record.sourceType) return false;
  if (filter.sourceKey !== null && filter.sourceKey !== record.sourceKey) return false;
  if (filter.enabled !== null && filter.enabled !== record.enabled) return false;
  if (filter.target !== null) {
    const definition = record.targetIdentity.definition;
    if (definition === null || definition === undefined || !jsonEqual(filter.target, definition)) return false;
  }
  return true;
}

/** Decodes scanned subscription rows, skipping (logging, counting) the undecodable ones. */
export function decodeScan(rows: SubscriptionRow[]): { records: TriggerSubscriptionRecord[]; skipped: number } {
  const records: TriggerSubscriptionRecord[] = [];
  let skipped = 0;
  for (const row of rows) {
    try {
      records.push(decodeSubscription('trigger_subscriptions', row.subscription_id, row.record_json));
    } catch (error) {
      if (!(error instanceof MalformedRow)) throw error;
      logSkipped(error);
      skipped++;
    }
  }
  return { records, skipped };
}

/** `listSubscriptions`: SQL pre-filter, decode, `matches`; by owner namespace then key. */
export function listSubscriptions(reads: TriggerReads, filter: NormalizedFilter): TriggerSubscriptionListing {
  const owner = filter.registrantScopeId ?? (filter.sessionId === null ? null : `session:${filter.sessionId}`);
  if (
    filter.registrantScopeId !== null &&
    filter.sessionId !== null &&
    filter.registrantScopeId !== `session:${filter.sessionId}`
  ) {
    return { records: [], skippedMalformedRows: 0 };
  }
  const rows = reads.listSubscriptions({
    owner,
    key: filter.subscriptionKey,
    sourceType: filter.sourceType,
    sourceKey: filter.sourceKey,
    enabled: filter.enabled,
  });
  const { records, skipped } = decodeScan(rows);
  return { records: records.filter((r) => matches(filter, r)), skippedMalformedRows: skipped };
}

/** `listOccurrences`: start inclusive, end exclusive; undecodable rows skipped and counted. */
export function listOccurrences(
  reads: TriggerReads,
  f: { sourceType: string | null; sourceKey: string | null; start: number | null; end: number | null },
): TriggerOccurrenceListing {
  const occurrences: TriggerOccurrenceRecord[] = [];
  let skipped = 0;
  for (const row of reads.listOccurrences(f)) {
    try {
      occurrences.push(decodeOccurrence(row.occurrence_id, row.record_json));
    } catch (error) {
      if (!(error instanceof MalformedRow)) throw error;
      logSkipped(error);
      skipped++;
    }
  }
  return { occurrences, skippedMalformedRows: skipped };
}

/** Delivery rows as reservations (`alreadyReserved`, with their snapshot); damage is `CorruptData`. */
export function toReservations(rows: DeliveryRow[]): TriggerDeliveryReservation[] {
  return rows.map((row) => {
    try {
      return {
        occurrence: decodeOccurrence(row.occurrence_id, row.occurrence_json),
        subscription: decodeSubscription(
          'trigger_deliveries',
          JSON.stringify([row.occurrence_id, row.subscription_id]),
          row.subscription_snapshot_json,
        ),
        processId: row.process_id,
        createdAtMs: row.created_at_ms,
        reservationStatus: 'alreadyReserved',
      };
    } catch (error) {
      if (error instanceof MalformedRow) throw error.corrupt();
      throw error;
    }
  });
}
