/**
 * `ingestOccurrence` (40-effects-triggers §5.6): an idempotent occurrence and, on first ingest, one
 * delivery reservation per matching enabled live subscription, all in one command transaction.
 * A replay returns the stored occurrence and its deliveries and never adds one.
 */
import { TriggerStoreError } from '../../errors.js';
import type { CommandTx } from '../../events/database.js';
import {
  occurrenceStream,
  TRIGGER_DELIVERY_RESERVED,
  TRIGGER_OCCURRENCE_RECORDED,
  type TriggerDeliveryReservedData,
  type TriggerOccurrenceRecordedData,
} from '../../projections/trigger/events.js';
import { decodeScan, toReservations } from '../../projections/trigger/queries.js';
import { decodeOccurrence, MalformedRow } from '../../projections/trigger/records.js';
import type { TriggerReads } from '../../projections/trigger/tables.js';
import { deterministicDeliveryProcessId, triggerOwnerNamespace } from '../../triggers/identity.js';
import type { NormalizedRequest } from '../../triggers/normalize.js';
import type { TriggerDeliveryReservation, TriggerIngressResult, TriggerOccurrenceRecord } from '../../types/trigger.js';

/** What ingest needs besides the transaction. */
export interface IngestInput {
  request: NormalizedRequest;
  occurrenceId: string;
  requestHash: string;
}

/** The ingest path, inside one command transaction. */
export function ingestTx(reads: TriggerReads, tx: CommandTx, input: IngestInput): TriggerIngressResult {
  const { request } = input;
  const existing = reads.occurrenceByIdempotencyKey(request.idempotencyKey);
  if (existing !== null) {
    if (existing.request_hash !== input.requestHash) {
      throw new TriggerStoreError(
        'OccurrenceIdempotencyConflict',
        `trigger occurrence idempotency conflict for \`${request.idempotencyKey}\``,
        { idempotencyKey: request.idempotencyKey },
      );
    }
    let occurrence: TriggerOccurrenceRecord;
    try {
      occurrence = decodeOccurrence(existing.occurrence_id, existing.record_json);
    } catch (error) {
      if (error instanceof MalformedRow) throw error.corrupt();
      throw error;
    }
    // A replay returns the reservations in the order the first ingest made them (owner scope, then
    // subscription key), so a retried call sees exactly the stored result.
    const key = (r: TriggerDeliveryReservation): [string, string] => [
      triggerOwnerNamespace(r.subscription.ownerScope),
      r.subscription.subscriptionKey,
    ];
    const reservations = toReservations(reads.deliveriesByOccurrence(existing.occurrence_id)).sort((a, b) => {
      const [ao, ak] = key(a);
      const [bo, bk] = key(b);
      return ao < bo ? -1 : ao > bo ? 1 : ak < bk ? -1 : ak > bk ? 1 : 0;
    });
    return { occurrence, reservations, skippedMalformedRows: 0 };
  }
  const occurrence: TriggerOccurrenceRecord = {
    occurrenceId: input.occurrenceId,
    sourceType: request.sourceType,
    sourceKey: request.sourceKey,
    payload: request.payload,
    idempotencyKey: request.idempotencyKey,
    source: request.source,
    sessionId: request.sessionId,
    occurredAtMs: tx.now,
  };
  const stream = occurrenceStream(input.occurrenceId);
  const recorded: TriggerOccurrenceRecordedData = { record: occurrence, requestHash: input.requestHash };
  tx.emit({ stream, type: TRIGGER_OCCURRENCE_RECORDED, data: recorded });
  const owner = request.sessionId === null ? null : `session:${request.sessionId}`;
  const { records, skipped } = decodeScan(reads.matching(request.sourceType, request.sourceKey, owner));
  const result: TriggerIngressResult = { occurrence, reservations: [], skippedMalformedRows: skipped };
  for (const subscription of records) {
    if (!subscription.enabled || subscription.tombstoned) continue;
    const data: TriggerDeliveryReservedData = {
      occurrenceId: occurrence.occurrenceId,
      subscriptionId: subscription.subscriptionId,
      processId: deterministicDeliveryProcessId(
        occurrence.occurrenceId,
        subscription.subscriptionId,
        subscription.incarnation,
        subscription.revision,
      ),
      incarnation: subscription.incarnation,
      revision: subscription.revision,
      snapshot: subscription,
      createdAtMs: occurrence.occurredAtMs,
    };
    tx.emit({ stream, type: TRIGGER_DELIVERY_RESERVED, data });
    result.reservations.push({
      occurrence,
      subscription,
      processId: data.processId,
      createdAtMs: data.createdAtMs,
      reservationStatus: 'reserved',
    });
  }
  return result;
}
