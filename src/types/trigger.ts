/** Data shapes of the trigger store (40-effects-triggers §5.2). */
import type { Clock } from '../clock.js';
import type { JsonValue } from '../json.js';
import type { SessionScope } from './common.js';
import type { ProcessOriginator } from './process.js';

/** Options of `SqliteTriggerStore.open` / `memory`. */
export interface TriggerStoreOptions {
  clock?: Clock;
}

/** Who owns a subscription; its namespace partitions keys and operation ids. */
export type TriggerOwnerScope =
  | { kind: 'session'; sessionId: string }
  | { kind: 'host'; bindingId: string }
  | { kind: 'platform' };

export type TriggerInputTemplateEntry = { kind: 'event' } | { kind: 'fixed'; value: JsonValue };

export interface TriggerTargetIdentity {
  kind: string;
  label?: string | null;
  definition?: JsonValue | null;
}

/** A subscription definition; hashed whole after normalization. */
export interface TriggerSubscriptionDraft {
  subscriptionKey: string;
  envRef: string;
  wakeTarget?: SessionScope | null;
  name?: string | null;
  sourceType: string;
  sourceKey: string;
  source?: JsonValue;
  payloadSchema: JsonValue;
  /** A `ProcessInput` of 30-process-registry; opaque here. */
  target: JsonValue;
  targetIdentity: TriggerTargetIdentity;
  eventTypes?: JsonValue[];
  inputTemplate?: Record<string, TriggerInputTemplateEntry>;
  targetLabel?: string | null;
}

/** A stored subscription. */
export interface TriggerSubscriptionRecord {
  subscriptionId: string;
  ownerScope: TriggerOwnerScope;
  subscriptionKey: string;
  incarnation: string;
  revision: number;
  definitionHash: string;
  registrant: ProcessOriginator;
  envRef: string;
  wakeTarget: SessionScope | null;
  name: string | null;
  sourceType: string;
  sourceKey: string;
  source: JsonValue;
  payloadSchema: JsonValue;
  target: JsonValue;
  targetIdentity: { kind: string; label: string | null; definition: JsonValue | null };
  eventTypes: JsonValue[];
  inputTemplate: Record<string, TriggerInputTemplateEntry>;
  targetLabel: string | null;
  enabled: boolean;
  tombstoned: boolean;
  deletedAtMs: number | null;
  createdAtMs: number;
  updatedAtMs: number;
}

/** Filter of subscription listings; absent or null members do not constrain. */
export interface TriggerSubscriptionFilter {
  registrantScopeId?: string | null;
  sessionId?: string | null;
  subscriptionKey?: string | null;
  name?: string | null;
  sourceType?: string | null;
  sourceKey?: string | null;
  target?: JsonValue | null;
  enabled?: boolean | null;
}

export type TriggerCommand =
  | { kind: 'register'; ownerScope: TriggerOwnerScope; actor: ProcessOriginator; draft: TriggerSubscriptionDraft }
  | { kind: 'list'; ownerScope: TriggerOwnerScope; filter: TriggerSubscriptionFilter }
  | {
      kind: 'update' | 'revive';
      ownerScope: TriggerOwnerScope;
      actor: ProcessOriginator;
      subscriptionKey: string;
      draft: TriggerSubscriptionDraft;
      expectedRevision: number;
    }
  | {
      kind: 'enable' | 'disable' | 'delete';
      ownerScope: TriggerOwnerScope;
      actor: ProcessOriginator;
      subscriptionKey: string;
      expectedRevision: number;
    }
  | { kind: 'prune'; ownerScope: TriggerOwnerScope; actor: ProcessOriginator; subscriptionKeys: string[] };

export type TriggerMutationDisposition = 'created' | 'unchanged' | 'updated' | 'enabled' | 'disabled' | 'deleted' | 'revived';

export interface TriggerMutationReceipt {
  ownerScope: TriggerOwnerScope;
  subscriptionKey: string;
  subscriptionId: string;
  incarnation: string;
  revision: number;
  definitionHash: string;
  enabled: boolean;
  disposition: TriggerMutationDisposition;
  /** The record as of this mutation. */
  recordSnapshot: TriggerSubscriptionRecord;
}

export type TriggerCommandOutcome =
  | { kind: 'mutation'; receipt: TriggerMutationReceipt }
  | { kind: 'list'; records: TriggerSubscriptionRecord[]; skippedMalformedRows: number }
  | { kind: 'prune'; receipts: TriggerMutationReceipt[] };

/** Command failures: result values, never thrown. */
export type TriggerOperationError =
  | {
      kind: 'conflict';
      subscriptionKey: string;
      existingRevision: number | null;
      existingDefinitionHash: string | null;
      requestedDefinitionHash: string | null;
      reason: string;
    }
  | { kind: 'invalid'; message: string }
  | { kind: 'store'; message: string };

export type TriggerEffectResult = { kind: 'ok'; outcome: TriggerCommandOutcome } | { kind: 'err'; error: TriggerOperationError };

export interface TriggerSubscriptionListing {
  records: TriggerSubscriptionRecord[];
  skippedMalformedRows: number;
}
export interface TriggerSessionCleanupReport {
  tombstoned: number;
  skippedMalformedRows: number;
}

/** An inbound host event; idempotent by its global `idempotencyKey`. */
export interface TriggerOccurrenceRequest {
  sourceType: string;
  sourceKey: string;
  idempotencyKey: string;
  payload?: JsonValue;
  source?: JsonValue | null;
  /** Routing restriction to one session's subscriptions; not hashed. */
  sessionId?: string | null;
}
export interface TriggerOccurrenceRecord {
  occurrenceId: string;
  sourceType: string;
  sourceKey: string;
  payload: JsonValue;
  idempotencyKey: string;
  source: JsonValue | null;
  sessionId: string | null;
  occurredAtMs: number;
}
/** Start inclusive, end exclusive. */
export interface TriggerOccurrenceFilter {
  sourceType?: string | null;
  sourceKey?: string | null;
  occurredAtStartMs?: number | null;
  occurredAtEndMs?: number | null;
}
export interface TriggerOccurrenceListing {
  occurrences: TriggerOccurrenceRecord[];
  skippedMalformedRows: number;
}
export interface TriggerDeliveryReservation {
  occurrence: TriggerOccurrenceRecord;
  /** The subscription as it was when the delivery was reserved. */
  subscription: TriggerSubscriptionRecord;
  processId: string;
  createdAtMs: number;
  reservationStatus: 'reserved' | 'alreadyReserved';
}
export interface TriggerIngressResult {
  occurrence: TriggerOccurrenceRecord;
  reservations: TriggerDeliveryReservation[];
  skippedMalformedRows: number;
}
