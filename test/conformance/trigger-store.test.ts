/**
 * 40-effects-triggers §8.6 (trigger store), run on file stores (§8.7.1, with the reopen entries of
 * §8.6.2) and memory stores (§8.8.1), plus §8.7.2, §8.7.4 and §8.9.14. `verifyProjections()` runs
 * after every test.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  defaultTriggerSourceKey,
  deterministicSubscriptionId,
  emptyTriggerSourceKey,
  type SqliteTriggerStore,
  TRIGGER_SCHEMA_VERSION,
  type TriggerCommand,
  type TriggerMutationReceipt,
  SqliteTriggerStore as TriggerStore,
} from '../../src/index.js';
import { describeEach, openTriggers, tempDir, triggerBackends, triggerPath } from '../support/effect-backends.js';
import {
  actor,
  del,
  disable,
  draft,
  enable,
  occ,
  owner,
  register,
  rejectsWith,
  revive,
  update,
} from '../support/effect-fixtures.js';

/** `mutate(op, cmd)`: expects `ok` / `mutation` and returns the receipt. */
async function mutate(store: SqliteTriggerStore, op: string, command: TriggerCommand): Promise<TriggerMutationReceipt> {
  const result = await store.executeCommand(op, command);
  if (result.kind !== 'ok' || result.outcome.kind !== 'mutation')
    throw new Error(`expected a mutation, got ${JSON.stringify(result)}`);
  return result.outcome.receipt;
}

async function listFor(store: SqliteTriggerStore, sessionId: string) {
  return (await store.listSubscriptions({ sessionId })).records;
}

describeEach('trigger_store (§8.6.3–§8.6.15)', triggerBackends, (backend) => {
  it('trigger_store_reports_declared_tier', async () => {
    expect((await backend.fixture().make()).durabilityTier()).toBe(backend.tier);
  });

  it('trigger_source_key_and_subscription_identity_are_stable', () => {
    const a = defaultTriggerSourceKey('ui.button.pressed', { button: 'Blue' });
    const b = defaultTriggerSourceKey('ui.button.pressed', { button: 'Blue' });
    expect(a).toBe(b);
    expect(a.startsWith('source:ui.button.pressed:sha256:')).toBe(true);
    expect(deterministicSubscriptionId(owner('session-a'), 'ab:c')).not.toBe(
      deterministicSubscriptionId(owner('session-a'), 'a:bc'),
    );
  });

  it('same_owner_key_definition_is_idempotent', async () => {
    const store = await backend.fixture().make();
    const d = draft('session-a', 'button-blue', 'blue', 'worker');
    const first = await mutate(store, 'register-first', register('session-a', d));
    const second = await mutate(store, 'register-second', register('session-a', d));
    expect(second.subscriptionId).toBe(first.subscriptionId);
    expect(second.incarnation).toBe(first.incarnation);
    expect(first.revision).toBe(1);
    expect(second.revision).toBe(1);
    expect(first.disposition).toBe('created');
    expect(second.disposition).toBe('unchanged');
    expect(await listFor(store, 'session-a')).toHaveLength(1);
  });

  it('changed_register_conflicts_and_update_is_cas', async () => {
    const store = await backend.fixture().make();
    const C = await mutate(store, 'cas-register', register('session-a', draft('session-a', 'cas-key', 'v1', 'worker')));
    const different = await store.executeCommand(
      'cas-register-different',
      register('session-a', draft('session-a', 'cas-key', 'v2', 'worker')),
    );
    expect(different.kind).toBe('err');
    if (different.kind !== 'err' || different.error.kind !== 'conflict') throw new Error('expected a conflict');
    expect(different.error.existingRevision).toBe(1);
    expect(different.error.existingDefinitionHash).toBe(C.definitionHash);
    expect(different.error.requestedDefinitionHash).not.toBeNull();
    const results = await Promise.all([
      store.executeCommand('cas-left', update('session-a', 'cas-key', draft('session-a', 'cas-key', 'v2', 'worker'), 1)),
      store.executeCommand('cas-right', update('session-a', 'cas-key', draft('session-a', 'cas-key', 'v3', 'worker'), 1)),
    ]);
    expect(results.filter((r) => r.kind === 'ok')).toHaveLength(1);
    expect(results.filter((r) => r.kind === 'err')).toHaveLength(1);
  });

  it('committed_mutation_receipt_survives_later_revision', async () => {
    const store = await backend.fixture().make();
    await mutate(store, 'receipt-register', register('session-a', draft('session-a', 'receipt-key', 'v1', 'worker')));
    const U = update('session-a', 'receipt-key', draft('session-a', 'receipt-key', 'v2', 'worker'), 1);
    const first = await mutate(store, 'receipt-update', U);
    expect(first.revision).toBe(2);
    expect((await mutate(store, 'receipt-disable', disable('session-a', 'receipt-key', 2))).revision).toBe(3);
    const before = await store.readEvents();
    expect(await mutate(store, 'receipt-update', U)).toEqual(first);
    expect(await store.readEvents()).toEqual(before);
    const [row] = await listFor(store, 'session-a');
    expect(row?.revision).toBe(3);
    expect(row?.enabled).toBe(false);
  });

  it('list_operations_are_not_receipted', async () => {
    const store = await backend.fixture().make();
    await mutate(store, 'list-register', register('session-a', draft('session-a', 'list-key', 'list-source', 'worker')));
    const first = await store.executeCommand('reused-list-operation-id', {
      kind: 'list',
      ownerScope: owner('session-a'),
      filter: { enabled: true },
    });
    expect(first.kind === 'ok' && first.outcome.kind === 'list' ? first.outcome.records : null).toHaveLength(1);
    await mutate(store, 'list-disable', disable('session-a', 'list-key', 1));
    const second = await store.executeCommand('reused-list-operation-id', {
      kind: 'list',
      ownerScope: owner('session-a'),
      filter: { enabled: false },
    });
    expect(second.kind === 'ok' && second.outcome.kind === 'list' ? second.outcome.records : null).toHaveLength(1);
    const receipts = (await store.readEvents()).filter((e) => e.type === 'TriggerMutationReceiptRecorded');
    expect(receipts).toHaveLength(2);
  });

  it('mutation_receipts_follow_retention_cutoff', async () => {
    const store = await backend.fixture().make();
    const command = register('session-a', draft('session-a', 'retention-key', 'retention-source', 'worker'));
    expect((await mutate(store, 'receipt-retention-register', command)).disposition).toBe('created');
    expect(await store.pruneMutationReceipts(Number.MAX_SAFE_INTEGER)).toBe(1);
    expect((await mutate(store, 'receipt-retention-register', command)).disposition).toBe('unchanged');
  });

  it('reservations_execute_the_reserved_revision', async () => {
    const store = await backend.fixture().make();
    await mutate(
      store,
      'snapshot-register',
      register('session-a', draft('session-a', 'snapshot-key', 'snapshot-v1', 'worker-v1')),
    );
    const first = await store.ingestOccurrence(occ('snapshot-v1', 'snapshot-occurrence-v1'));
    expect(first.reservations).toHaveLength(1);
    expect(first.reservations[0]?.subscription.revision).toBe(1);
    expect(first.reservations[0]?.reservationStatus).toBe('reserved');
    await mutate(
      store,
      'snapshot-update',
      update('session-a', 'snapshot-key', draft('session-a', 'snapshot-key', 'snapshot-v1', 'worker-v2'), 1),
    );
    const reserved = (await store.listDeliveriesByOccurrenceId(first.occurrence.occurrenceId))[0]?.subscription;
    expect(reserved?.revision).toBe(1);
    expect(reserved?.targetLabel).toBe('worker-v1');
    const second = await store.ingestOccurrence(occ('snapshot-v1', 'snapshot-occurrence-v2'));
    expect(second.reservations).toHaveLength(1);
    expect(second.reservations[0]?.subscription.revision).toBe(2);
    expect(second.reservations[0]?.subscription.targetLabel).toBe('worker-v2');
    expect(second.reservations[0]?.processId).not.toBe(first.reservations[0]?.processId);
  });

  it('disable_preserves_reserved_work_and_requires_explicit_enable', async () => {
    const store = await backend.fixture().make();
    const d = draft('session-a', 'disable-key', 'disable-source', 'worker');
    await mutate(store, 'disable-register', register('session-a', d));
    const before = await store.ingestOccurrence(occ('disable-source', 'disable-before'));
    expect(before.reservations).toHaveLength(1);
    expect((await mutate(store, 'disable-disable', disable('session-a', 'disable-key', 1))).revision).toBe(2);
    expect(await store.listDeliveriesByOccurrenceId(before.occurrence.occurrenceId)).toHaveLength(1);
    expect((await store.ingestOccurrence(occ('disable-source', 'disable-after'))).reservations).toHaveLength(0);
    const again = await mutate(store, 'disable-register-again', register('session-a', d));
    expect(again.enabled).toBe(false);
    expect(again.revision).toBe(2);
    expect(again.disposition).toBe('unchanged');
    await mutate(store, 'disable-enable', enable('session-a', 'disable-key', 2));
    expect((await store.ingestOccurrence(occ('disable-source', 'disable-reenabled'))).reservations).toHaveLength(1);
  });

  it('delete_tombstones_preserves_history_and_revive_changes_incarnation', async () => {
    const store = await backend.fixture().make();
    const d = draft('session-a', 'revive-key', 'revive-source', 'worker');
    const C = await mutate(store, 'revive-register', register('session-a', d));
    const occurrence = await store.ingestOccurrence(occ('revive-source', 'revive-occurrence'));
    const deleted = await mutate(store, 'revive-delete', del('session-a', 'revive-key', 1));
    expect(deleted.recordSnapshot.tombstoned).toBe(true);
    expect(await listFor(store, 'session-a')).toEqual([]);
    const deliveries = await store.listDeliveriesByOccurrenceId(occurrence.occurrence.occurrenceId);
    expect(deliveries[0]?.subscription.incarnation).toBe(C.incarnation);
    expect((await store.executeCommand('revive-register-again', register('session-a', d))).kind).toBe('err');
    const revived = await mutate(store, 'revive-revive', revive('session-a', 'revive-key', d, deleted.revision));
    expect(revived.subscriptionId).toBe(C.subscriptionId);
    expect(revived.incarnation).not.toBe(C.incarnation);
    expect(revived.revision).toBe(3);
    expect(revived.disposition).toBe('revived');
  });

  it('explicit_prune_is_journaled_and_owner_scoped', async () => {
    const store = await backend.fixture().make();
    await mutate(
      store,
      'prune-owner-register',
      register('prune-owner', draft('prune-owner', 'shared-key', 'prune-source', 'worker')),
    );
    await mutate(
      store,
      'prune-neighbor-register',
      register('prune-neighbor', draft('prune-neighbor', 'shared-key', 'prune-source', 'worker')),
    );
    const command: TriggerCommand = {
      kind: 'prune',
      ownerScope: owner('prune-owner'),
      actor: actor('prune-owner'),
      subscriptionKeys: ['shared-key'],
    };
    const first = await store.executeCommand('explicit-prune', command);
    if (first.kind !== 'ok' || first.outcome.kind !== 'prune') throw new Error('expected a prune outcome');
    expect(first.outcome.receipts).toHaveLength(1);
    expect(first.outcome.receipts[0]?.ownerScope).toEqual(owner('prune-owner'));
    expect(first.outcome.receipts[0]?.disposition).toBe('deleted');
    expect(await store.executeCommand('explicit-prune', command)).toEqual(first);
    expect(await listFor(store, 'prune-owner')).toEqual([]);
    const neighbour = await listFor(store, 'prune-neighbor');
    expect(neighbour).toHaveLength(1);
    expect(neighbour[0]?.subscriptionKey).toBe('shared-key');
  });

  it('occurrence_and_reservations_are_atomic_and_idempotent', async () => {
    const store = await backend.fixture().make();
    await mutate(store, 'atomic-register', register('session-a', draft('session-a', 'atomic-key', 'atomic-source', 'worker')));
    const R = occ('atomic-source', 'atomic-occurrence');
    const first = await store.ingestOccurrence(R);
    const before = await store.readEvents();
    const replay = await store.ingestOccurrence(R);
    expect(await store.readEvents()).toEqual(before);
    expect(replay.occurrence).toEqual(first.occurrence);
    expect(first.reservations).toHaveLength(1);
    expect(replay.reservations).toHaveLength(1);
    expect(replay.reservations[0]?.processId).toBe(first.reservations[0]?.processId);
    expect(replay.reservations[0]?.reservationStatus).toBe('alreadyReserved');
    await rejectsWith(store.ingestOccurrence({ ...R, payload: { button: 'Red' } }), 'OccurrenceIdempotencyConflict');
    expect((await store.listOccurrences({})).occurrences).toHaveLength(1);
  });

  it('blank_operation_ids_are_rejected_without_receipts', async () => {
    const store = await backend.fixture().make();
    const d = draft('session-a', 'blank-op-key', 'blank-op-source', 'worker');
    await mutate(store, 'blank-op-register', register('session-a', d));
    const events = await store.readEvents();
    const invalid = { kind: 'err', error: { kind: 'invalid', message: 'trigger operation id must be non-empty' } };
    expect(await store.executeCommand('', register('session-a', d))).toEqual(invalid);
    expect(await store.executeCommand('   ', disable('session-a', 'blank-op-key', 1))).toEqual(invalid);
    expect(await store.executeCommand('', { kind: 'list', ownerScope: owner('session-a'), filter: {} })).toEqual(invalid);
    expect(await store.readEvents()).toEqual(events);
    const [row] = await listFor(store, 'session-a');
    expect(row?.revision).toBe(1);
    expect(row?.enabled).toBe(true);
  });

  it('trigger_store_rejects_mismatched_target_label (§8.9.14)', async () => {
    const store = await backend.fixture().make();
    const result = await store.executeCommand('mismatched-label', {
      kind: 'register',
      ownerScope: { kind: 'host', bindingId: 'test' },
      actor: { kind: 'host', scope: 'test' },
      draft: { ...draft('host', 'label-key', 'label-source', 'expected'), targetLabel: 'other' },
    });
    if (result.kind !== 'err' || result.error.kind !== 'invalid')
      throw new Error(`expected invalid, got ${JSON.stringify(result)}`);
    expect(result.error.message).toContain('target_label must match');
    expect((await store.listSubscriptions({ registrantScopeId: 'host:test' })).records).toEqual([]);
  });
});

describe('trigger_store_reopenable (§8.6.2, §8.7.1) [file SqliteTriggerStore]', () => {
  it('same_identity_and_receipt_survive_store_reopen', async () => {
    const path = triggerPath();
    const open = await openTriggers(path);
    const d = draft('session-a', 'reopen-key', 'reopen-source', 'worker');
    const F = await mutate(open, 'reopen-register', register('session-a', d));
    await open.close();
    const reopen = await openTriggers(path);
    expect(await mutate(reopen, 'reopen-register', register('session-a', d))).toEqual(F);
    const again = await mutate(reopen, 'reopen-register-again', register('session-a', d));
    expect(again.subscriptionId).toBe(F.subscriptionId);
    expect(again.revision).toBe(1);
    expect(await listFor(reopen, 'session-a')).toHaveLength(1);
  });
});

describe('file-only trigger store entries (§8.7.2, §8.7.4)', () => {
  it('sqlite_trigger_store_rejects_unsupported_schema_before_serving', async () => {
    const path = join(tempDir(), 'future-triggers.db');
    const raw = new Database(path);
    raw.pragma(`user_version = ${TRIGGER_SCHEMA_VERSION + 1}`);
    raw.close();
    const error = await rejectsWith(TriggerStore.open(path), 'SchemaVersionMismatch');
    expect(error.constructor.name).toBe('TriggerStoreError');
    expect(error.databaseKind).toBe('triggerStore');
    const message = String(error.message);
    expect(message).toContain('Unsupported lash trigger store schema');
    expect(message).toContain(`supports schema version ${TRIGGER_SCHEMA_VERSION}`);
    expect(message).toContain(`reports version ${TRIGGER_SCHEMA_VERSION + 1}`);
    expect(message).toContain('delete the trigger store database and start fresh');
    const after = new Database(path, { readonly: true });
    try {
      expect(after.pragma('user_version', { simple: true })).toBe(TRIGGER_SCHEMA_VERSION + 1);
      expect(after.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table'").pluck().get()).toBe(0);
    } finally {
      after.close();
    }
  });

  it('sqlite_trigger_ingress_skips_malformed_matching_subscription', async () => {
    const path = triggerPath();
    const k = emptyTriggerSourceKey('ui.button.pressed');
    const first = await openTriggers(path);
    const malformed = await mutate(
      first,
      'register-malformed',
      register('malformed', { ...draft('malformed', 'malformed-key', k, 'malformed-worker'), payloadSchema: {} }),
    );
    const current = await mutate(
      first,
      'register-current',
      register('current', { ...draft('current', 'current-key', k, 'current-worker'), payloadSchema: {} }),
    );
    await first.close();
    const raw = new Database(path);
    raw
      .prepare("UPDATE trigger_subscriptions SET record_json = '{not valid json' WHERE subscription_id = ?")
      .run(malformed.subscriptionId);
    raw.close();
    const store = await openTriggers(path);
    const ingress = await store.ingestOccurrence({
      sourceType: 'ui.button.pressed',
      sourceKey: k,
      payload: { button: 'Blue' },
      idempotencyKey: 'malformed-row-occurrence',
    });
    expect(ingress.reservations).toHaveLength(1);
    expect(ingress.reservations[0]?.subscription.subscriptionId).toBe(current.subscriptionId);
    expect(ingress.skippedMalformedRows).toBe(1);
    const listing = await store.listSubscriptions({});
    expect(listing.records).toHaveLength(1);
    expect(listing.skippedMalformedRows).toBe(1);
    // The log still holds the truth: verify names the damaged row, and a rebuild repairs it.
    const report = await store.verifyProjections();
    expect(report.mismatches.map((m) => [m.table, m.key])).toEqual([['trigger_subscriptions', malformed.subscriptionId]]);
    await store.rebuildProjections();
    expect((await store.listSubscriptions({})).records).toHaveLength(2);
  });
});
