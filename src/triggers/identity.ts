/**
 * The trigger store's derived identities (40-effects-triggers §5.3): deterministic, injective
 * functions of normalized inputs. Every identity hashes a JSON array (tuple), never a joined string.
 */
import { invalidArgument, TriggerStoreError } from '../errors.js';
import { canonicalJson, type JsonValue, sha256Hex } from '../json.js';
import type { TriggerCommand, TriggerOccurrenceRequest, TriggerOwnerScope, TriggerSubscriptionDraft } from '../types/trigger.js';
import { commandInput, draftInput, type NormalizedDraft, opaque, ownerInput, requestInput } from './normalize.js';

function str(value: unknown, path: string): string {
  if (typeof value !== 'string') throw invalidArgument(TriggerStoreError, path, 'a string');
  return value;
}

function H(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

/** `session:{sessionId}`, `host:{bindingId}`, or `host` for the platform owner. */
export function triggerOwnerNamespace(owner: TriggerOwnerScope): string {
  const o = ownerInput(owner, 'owner');
  switch (o.kind) {
    case 'session':
      return `session:${o.sessionId}`;
    case 'host':
      return `host:${o.bindingId}`;
    case 'platform':
      return 'host';
  }
}

/** `trigger-subscription:v1:sha256:` + H(['lash.trigger-subscription', 1, owner, key]). */
export function deterministicSubscriptionId(owner: TriggerOwnerScope, subscriptionKey: string): string {
  const o = ownerInput(owner, 'owner');
  return `trigger-subscription:v1:sha256:${H(['lash.trigger-subscription', 1, o, str(subscriptionKey, 'subscriptionKey')])}`;
}

/** The hash of a normalized draft (no actor, enabled, revision or timestamps). */
export function definitionHashOf(owner: TriggerOwnerScope, draft: NormalizedDraft): string {
  return H(['lash.trigger-subscription-definition', 1, owner, draft]);
}

/** H(['lash.trigger-subscription-definition', 1, owner, normalized draft]). */
export function triggerSubscriptionDefinitionHash(owner: TriggerOwnerScope, draft: TriggerSubscriptionDraft): string {
  return definitionHashOf(ownerInput(owner, 'owner'), draftInput(draft));
}

/** `trigger-operation:v1:sha256:` + H(['lash.trigger-operation-receipt', 1, owner, operationId]). */
export function triggerOperationReceiptId(owner: TriggerOwnerScope, operationId: string): string {
  const o = ownerInput(owner, 'owner');
  return `trigger-operation:v1:sha256:${H(['lash.trigger-operation-receipt', 1, o, str(operationId, 'operationId')])}`;
}

/** H(normalized command): actor, expected revision, filter and all included. */
export function triggerCommandHash(command: TriggerCommand): string {
  return H(commandInput(command));
}

/** `trigger:` + H([sourceType, sourceKey, idempotencyKey]). */
export function deterministicOccurrenceId(request: TriggerOccurrenceRequest): string {
  const r = requestInput(request);
  return `trigger:${H([r.sourceType, r.sourceKey, r.idempotencyKey])}`;
}

/** H([sourceType, sourceKey, payload, source]): neither the idempotency key nor the session id. */
export function triggerOccurrenceRequestHash(request: TriggerOccurrenceRequest): string {
  const r = requestInput(request);
  return H([r.sourceType, r.sourceKey, r.payload, r.source]);
}

/** `process:trigger:` + H(['lash.trigger-delivery', 1, occurrenceId, subscriptionId, incarnation, revision]). */
export function deterministicDeliveryProcessId(
  occurrenceId: string,
  subscriptionId: string,
  incarnation: string,
  revision: number,
): string {
  if (typeof revision !== 'number' || !Number.isSafeInteger(revision))
    throw invalidArgument(TriggerStoreError, 'revision', 'a safe integer');
  const tuple = [
    'lash.trigger-delivery',
    1,
    str(occurrenceId, 'occurrenceId'),
    str(subscriptionId, 'subscriptionId'),
    str(incarnation, 'incarnation'),
    revision,
  ];
  return `process:trigger:${H(tuple)}`;
}

/** `source:{sourceType}:sha256:` + H([sourceType, source]). */
export function defaultTriggerSourceKey(sourceType: string, source: JsonValue): string {
  const s = opaque(source, 'source', 'trigger source');
  const type = str(sourceType, 'sourceType');
  return `source:${type}:sha256:${H([type, s])}`;
}

/** The default source key of `source = {}`. */
export function emptyTriggerSourceKey(sourceType: string): string {
  return defaultTriggerSourceKey(sourceType, {});
}
