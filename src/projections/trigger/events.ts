/**
 * The trigger database's event types and payloads (40-effects-triggers §5.7). New incarnation
 * UUIDs, `now` and full record snapshots are in the payloads, so replay reproduces every row.
 */
import type { JsonValue } from '../../json.js';
import type { TriggerOccurrenceRecord, TriggerSubscriptionRecord } from '../../types/trigger.js';

export const TRIGGER_SUBSCRIPTION_WRITTEN = 'TriggerSubscriptionWritten';
export const TRIGGER_MUTATION_RECEIPT_RECORDED = 'TriggerMutationReceiptRecorded';
export const TRIGGER_OCCURRENCE_RECORDED = 'TriggerOccurrenceRecorded';
export const TRIGGER_DELIVERY_RESERVED = 'TriggerDeliveryReserved';
export const TRIGGER_SESSION_SUBSCRIPTIONS_TOMBSTONED = 'TriggerSessionSubscriptionsTombstoned';
export const TRIGGER_MUTATION_RECEIPTS_PRUNED = 'TriggerMutationReceiptsPruned';

/** The new state of one subscription row (only appended when the stored record changes). */
export interface TriggerSubscriptionWrittenData {
  record: TriggerSubscriptionRecord;
}
export interface TriggerMutationReceiptRecordedData {
  receiptId: string;
  requestHash: string;
  resultJson: string;
  createdAtMs: number;
}
export interface TriggerOccurrenceRecordedData {
  record: TriggerOccurrenceRecord;
  requestHash: string;
}
export interface TriggerDeliveryReservedData {
  occurrenceId: string;
  subscriptionId: string;
  processId: string;
  incarnation: string;
  revision: number;
  /** The subscription record as reserved. */
  snapshot: TriggerSubscriptionRecord;
  createdAtMs: number;
}
export interface TriggerSessionSubscriptionsTombstonedData {
  sessionId: string;
  subscriptionIds: string[];
  /** The tombstoned records, in `subscriptionIds` order. */
  records: TriggerSubscriptionRecord[];
}
export interface TriggerMutationReceiptsPrunedData {
  cutoff: number;
  receiptIds: string[];
}

export function subscriptionStream(subscriptionId: string): string {
  return `trigger-subscription:${subscriptionId}`;
}
export function receiptStream(receiptId: string): string {
  return `trigger-receipt:${receiptId}`;
}
export function occurrenceStream(occurrenceId: string): string {
  return `trigger-occurrence:${occurrenceId}`;
}
export function sessionStream(sessionId: string): string {
  return `trigger-session:${sessionId}`;
}
export const RECEIPT_RETENTION_STREAM = 'trigger-receipt-retention';

/** Reinterprets an event payload as its typed shape. */
export function payload<T>(data: JsonValue): T {
  return data as unknown as T;
}
