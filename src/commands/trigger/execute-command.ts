/**
 * `executeCommand` mutations (40-effects-triggers §5.4 B): receipt lookup, the oracle, the record
 * writes and the receipt, in one command transaction. Command failures are result values and are
 * receipted too; infrastructure failures throw and roll everything back.
 */
import type { CommandTx } from '../../events/database.js';
import { canonicalJson } from '../../json.js';
import {
  payload,
  receiptStream,
  subscriptionStream,
  TRIGGER_MUTATION_RECEIPT_RECORDED,
  TRIGGER_SUBSCRIPTION_WRITTEN,
  type TriggerMutationReceiptRecordedData,
  type TriggerSubscriptionWrittenData,
} from '../../projections/trigger/events.js';
import { decodeSubscription, MalformedRow } from '../../projections/trigger/records.js';
import type { TriggerReads } from '../../projections/trigger/tables.js';
import { definitionHashOf, deterministicSubscriptionId, triggerOwnerNamespace } from '../../triggers/identity.js';
import type { NormalizedCommand, NormalizedDraft } from '../../triggers/normalize.js';
import type { ProcessOriginator } from '../../types/process.js';
import type {
  TriggerEffectResult,
  TriggerMutationDisposition,
  TriggerMutationReceipt,
  TriggerOperationError,
  TriggerOwnerScope,
  TriggerSubscriptionRecord,
} from '../../types/trigger.js';

const RESERVED_PREFIX = 'lash.internal/';

/** A mutation command (every kind but `list`). */
export type MutationCommand = Exclude<NormalizedCommand, { kind: 'list' }>;

/** What a mutation needs besides the transaction. */
export interface MutationInput {
  operationId: string;
  command: MutationCommand;
  receiptId: string;
  requestHash: string;
  /** The incarnation a create or revive uses, drawn before the transaction. */
  newIncarnation: string;
}

function err(error: TriggerOperationError): TriggerEffectResult {
  return { kind: 'err', error };
}

function invalid(message: string): TriggerEffectResult {
  return err({ kind: 'invalid', message });
}

function conflict(
  subscriptionKey: string,
  reason: string,
  existing: TriggerSubscriptionRecord | null,
  requestedDefinitionHash: string | null,
): TriggerEffectResult {
  return err({
    kind: 'conflict',
    subscriptionKey,
    existingRevision: existing?.revision ?? null,
    existingDefinitionHash: existing?.definitionHash ?? null,
    requestedDefinitionHash,
    reason,
  });
}

/** The draft checks of the oracle; null when the draft is valid. */
function draftProblem(draft: NormalizedDraft): string | null {
  if (draft.subscriptionKey.trim() === '') return 'trigger subscription requires subscription_key';
  if (draft.subscriptionKey.startsWith(RESERVED_PREFIX)) {
    return `trigger subscription key \`${draft.subscriptionKey}\` uses reserved prefix \`${RESERVED_PREFIX}\``;
  }
  if (draft.targetLabel !== null && draft.targetIdentity.label !== null && draft.targetLabel !== draft.targetIdentity.label) {
    return 'trigger target_label must match target_identity.label when both are present';
  }
  return null;
}

function receiptOf(record: TriggerSubscriptionRecord, disposition: TriggerMutationDisposition): TriggerMutationReceipt {
  return {
    ownerScope: record.ownerScope,
    subscriptionKey: record.subscriptionKey,
    subscriptionId: record.subscriptionId,
    incarnation: record.incarnation,
    revision: record.revision,
    definitionHash: record.definitionHash,
    enabled: record.enabled,
    disposition,
    recordSnapshot: record,
  };
}

function recordFromDraft(
  owner: TriggerOwnerScope,
  draft: NormalizedDraft,
  base: {
    subscriptionId: string;
    incarnation: string;
    revision: number;
    registrant: ProcessOriginator;
    enabled: boolean;
    createdAtMs: number;
    now: number;
  },
): TriggerSubscriptionRecord {
  return {
    subscriptionId: base.subscriptionId,
    ownerScope: owner,
    subscriptionKey: draft.subscriptionKey,
    incarnation: base.incarnation,
    revision: base.revision,
    definitionHash: definitionHashOf(owner, draft),
    registrant: base.registrant,
    envRef: draft.envRef,
    wakeTarget: draft.wakeTarget,
    name: draft.name,
    sourceType: draft.sourceType,
    sourceKey: draft.sourceKey,
    source: draft.source,
    payloadSchema: draft.payloadSchema,
    target: draft.target,
    targetIdentity: draft.targetIdentity,
    eventTypes: draft.eventTypes,
    inputTemplate: draft.inputTemplate,
    targetLabel: draft.targetLabel,
    enabled: base.enabled,
    tombstoned: false,
    deletedAtMs: null,
    createdAtMs: base.createdAtMs,
    updatedAtMs: base.now,
  };
}

/** Reads and decodes the current row of `(owner, key)`; an undecodable row is `CorruptData`. */
function current(reads: TriggerReads, owner: TriggerOwnerScope, key: string): TriggerSubscriptionRecord | null {
  const row = reads.subscription(deterministicSubscriptionId(owner, key));
  if (row === null) return null;
  try {
    return decodeSubscription('trigger_subscriptions', row.subscription_id, row.record_json);
  } catch (error) {
    if (error instanceof MalformedRow) throw error.corrupt();
    throw error;
  }
}

/** The live check's failure reason, or null when the row is live at `expectedRevision`. */
function liveProblem(row: TriggerSubscriptionRecord, expectedRevision: number): string | null {
  if (row.tombstoned) return 'subscription is tombstoned';
  if (row.revision !== expectedRevision) return 'expected revision does not match';
  return null;
}

/** The tombstoned successor of a live record. */
function deleted(row: TriggerSubscriptionRecord, actor: ProcessOriginator | null, now: number): TriggerSubscriptionRecord {
  return {
    ...row,
    enabled: false,
    tombstoned: true,
    deletedAtMs: now,
    registrant: actor ?? row.registrant,
    revision: row.revision + 1,
    updatedAtMs: now,
  };
}

/** The oracle: the result and the records it writes (only records that changed). */
function evaluate(
  reads: TriggerReads,
  input: MutationInput,
  now: number,
): { result: TriggerEffectResult; writes: TriggerSubscriptionRecord[] } {
  const c = input.command;
  const owner = c.ownerScope;
  const none = (result: TriggerEffectResult) => ({ result, writes: [] });
  const ok = (receipt: TriggerMutationReceipt, changed: boolean) => ({
    result: { kind: 'ok', outcome: { kind: 'mutation', receipt } } as TriggerEffectResult,
    writes: changed ? [receipt.recordSnapshot] : [],
  });
  switch (c.kind) {
    case 'register': {
      const problem = draftProblem(c.draft);
      if (problem) return none(invalid(problem));
      const requested = definitionHashOf(owner, c.draft);
      const row = current(reads, owner, c.draft.subscriptionKey);
      if (row !== null) {
        if (row.tombstoned)
          return none(conflict(c.draft.subscriptionKey, 'subscription is tombstoned; use revive', row, requested));
        if (row.definitionHash !== requested) {
          return none(
            conflict(c.draft.subscriptionKey, 'register does not replace a different definition; use update', row, requested),
          );
        }
        return ok(receiptOf(row, 'unchanged'), false);
      }
      const record = recordFromDraft(owner, c.draft, {
        subscriptionId: deterministicSubscriptionId(owner, c.draft.subscriptionKey),
        incarnation: input.newIncarnation,
        revision: 1,
        registrant: c.actor,
        enabled: true,
        createdAtMs: now,
        now,
      });
      return ok(receiptOf(record, 'created'), true);
    }
    case 'update':
    case 'revive': {
      const draft = { ...c.draft, subscriptionKey: c.subscriptionKey };
      const problem = draftProblem(draft);
      if (problem) return none(invalid(problem));
      const requested = definitionHashOf(owner, draft);
      const row = current(reads, owner, c.subscriptionKey);
      if (c.kind === 'update') {
        if (row === null) return none(conflict(c.subscriptionKey, 'subscription does not exist', null, requested));
        const live = liveProblem(row, c.expectedRevision);
        if (live) return none(conflict(c.subscriptionKey, live, row, requested));
        const record = recordFromDraft(owner, draft, {
          subscriptionId: row.subscriptionId,
          incarnation: row.incarnation,
          revision: row.revision + 1,
          registrant: c.actor,
          enabled: row.enabled,
          createdAtMs: row.createdAtMs,
          now,
        });
        return ok(receiptOf(record, 'updated'), true);
      }
      if (row === null) return none(conflict(c.subscriptionKey, 'subscription does not exist; use register', null, requested));
      if (!row.tombstoned || row.revision !== c.expectedRevision) {
        return none(conflict(c.subscriptionKey, 'revive requires the current tombstone revision', row, requested));
      }
      const record = recordFromDraft(owner, draft, {
        subscriptionId: row.subscriptionId,
        incarnation: input.newIncarnation,
        revision: row.revision + 1,
        registrant: c.actor,
        enabled: true,
        createdAtMs: row.createdAtMs,
        now,
      });
      return ok(receiptOf(record, 'revived'), true);
    }
    case 'enable':
    case 'disable':
    case 'delete': {
      const row = current(reads, owner, c.subscriptionKey);
      if (row === null) return none(conflict(c.subscriptionKey, 'subscription does not exist', null, null));
      const live = liveProblem(row, c.expectedRevision);
      if (live) return none(conflict(c.subscriptionKey, live, row, null));
      if (c.kind === 'delete') return ok(receiptOf(deleted(row, c.actor, now), 'deleted'), true);
      const enabled = c.kind === 'enable';
      const disposition = c.kind === 'enable' ? 'enabled' : 'disabled';
      if (row.enabled === enabled) return ok(receiptOf(row, disposition), false);
      return ok(
        receiptOf({ ...row, enabled, registrant: c.actor, revision: row.revision + 1, updatedAtMs: now }, disposition),
        true,
      );
    }
    case 'prune': {
      const wanted = new Set(c.subscriptionKeys);
      const receipts: TriggerMutationReceipt[] = [];
      for (const row of reads.ownerLive(triggerOwnerNamespace(owner))) {
        if (!wanted.has(row.subscription_key)) continue;
        let record: TriggerSubscriptionRecord;
        try {
          record = decodeSubscription('trigger_subscriptions', row.subscription_id, row.record_json);
        } catch (error) {
          if (error instanceof MalformedRow) throw error.corrupt();
          throw error;
        }
        if (record.tombstoned) continue;
        receipts.push(receiptOf(deleted(record, c.actor, now), 'deleted'));
      }
      // Rows come ordered by subscription_key (SQLite BINARY = code-point order).
      return {
        result: { kind: 'ok', outcome: { kind: 'prune', receipts } },
        writes: receipts.map((r) => r.recordSnapshot),
      };
    }
  }
}

function decodeStoredResult(receiptId: string, json: string): TriggerEffectResult {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new MalformedRow(
      'trigger_mutation_receipts',
      receiptId,
      `undecodable result_json: ${(error as Error).message}`,
    ).corrupt();
  }
  const v = value as Record<string, unknown> | null;
  if (v === null || typeof v !== 'object' || (v.kind !== 'ok' && v.kind !== 'err')) {
    throw new MalformedRow('trigger_mutation_receipts', receiptId, 'result_json is not a trigger effect result').corrupt();
  }
  return payload<TriggerEffectResult>(value as never);
}

/** The mutation path of `executeCommand`, inside one command transaction. */
export function executeMutationTx(reads: TriggerReads, tx: CommandTx, input: MutationInput): TriggerEffectResult {
  const stored = reads.receipt(input.receiptId);
  if (stored !== null) {
    if (stored.request_hash === input.requestHash) return decodeStoredResult(stored.operation_id, stored.result_json);
    const key =
      input.command.kind === 'prune'
        ? ''
        : 'subscriptionKey' in input.command
          ? input.command.subscriptionKey
          : input.command.draft.subscriptionKey;
    return err({
      kind: 'conflict',
      subscriptionKey: key,
      existingRevision: null,
      existingDefinitionHash: stored.request_hash,
      requestedDefinitionHash: input.requestHash,
      reason: `operation id \`${input.operationId}\` was reused with different content`,
    });
  }
  const { result, writes } = evaluate(reads, input, tx.now);
  for (const record of writes) {
    const data: TriggerSubscriptionWrittenData = { record };
    tx.emit({ stream: subscriptionStream(record.subscriptionId), type: TRIGGER_SUBSCRIPTION_WRITTEN, data });
  }
  const data: TriggerMutationReceiptRecordedData = {
    receiptId: input.receiptId,
    requestHash: input.requestHash,
    resultJson: canonicalJson(result),
    createdAtMs: tx.now,
  };
  tx.emit({ stream: receiptStream(input.receiptId), type: TRIGGER_MUTATION_RECEIPT_RECORDED, data });
  return result;
}
