/**
 * Trigger-store behaviour of 40-effects-triggers §5.3–§5.6 beyond the catalogue entries: the oracle's
 * conflicts and reasons, receipts reused with other content, session cleanup, routing, occurrence
 * and delivery listings, the derived identities, validation and close. Runs on file and memory
 * stores; `verifyProjections()` runs after every test.
 */
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import {
  deterministicDeliveryProcessId,
  deterministicOccurrenceId,
  deterministicSubscriptionId,
  type SqliteTriggerStore,
  type TriggerCommand,
  type TriggerEffectResult,
  type TriggerMutationReceipt,
  triggerCommandHash,
  triggerOccurrenceRequestHash,
  triggerOperationReceiptId,
  triggerOwnerNamespace,
  triggerSubscriptionDefinitionHash,
} from '../../src/index.js';
import { describeEach, openTriggers, triggerBackends, triggerPath } from '../support/effect-backends.js';
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

async function mutate(store: SqliteTriggerStore, op: string, command: TriggerCommand): Promise<TriggerMutationReceipt> {
  const result = await store.executeCommand(op, command);
  if (result.kind !== 'ok' || result.outcome.kind !== 'mutation')
    throw new Error(`expected a mutation, got ${JSON.stringify(result)}`);
  return result.outcome.receipt;
}

function conflictOf(result: TriggerEffectResult) {
  if (result.kind !== 'err' || result.error.kind !== 'conflict')
    throw new Error(`expected a conflict, got ${JSON.stringify(result)}`);
  return result.error;
}

describeEach('trigger store operations', triggerBackends, (backend) => {
  it('the oracle reports each precondition with its reason and hashes', async () => {
    const store = await backend.fixture().make();
    const d = draft('s', 'key', 'src', 'worker');
    expect(conflictOf(await store.executeCommand('u0', update('s', 'key', d, 1)))).toMatchObject({
      reason: 'subscription does not exist',
      existingRevision: null,
      existingDefinitionHash: null,
    });
    expect(conflictOf(await store.executeCommand('e0', enable('s', 'key', 1)))).toEqual({
      kind: 'conflict',
      subscriptionKey: 'key',
      existingRevision: null,
      existingDefinitionHash: null,
      requestedDefinitionHash: null,
      reason: 'subscription does not exist',
    });
    expect(conflictOf(await store.executeCommand('r0', revive('s', 'key', d, 1))).reason).toBe(
      'subscription does not exist; use register',
    );
    const C = await mutate(store, 'create', register('s', d));
    expect(C.definitionHash).toBe(triggerSubscriptionDefinitionHash(owner('s'), d));
    expect(C.subscriptionId).toBe(deterministicSubscriptionId(owner('s'), 'key'));
    const stale = conflictOf(await store.executeCommand('d-stale', del('s', 'key', 7)));
    expect(stale).toMatchObject({
      reason: 'expected revision does not match',
      existingRevision: 1,
      existingDefinitionHash: C.definitionHash,
      requestedDefinitionHash: null,
    });
    expect(conflictOf(await store.executeCommand('r-live', revive('s', 'key', d, 1))).reason).toBe(
      'revive requires the current tombstone revision',
    );
    const deleted = await mutate(store, 'delete', del('s', 'key', 1));
    expect(deleted).toMatchObject({ disposition: 'deleted', revision: 2, enabled: false });
    expect(deleted.recordSnapshot.deletedAtMs).not.toBeNull();
    expect(conflictOf(await store.executeCommand('u-dead', update('s', 'key', d, 2))).reason).toBe('subscription is tombstoned');
    expect(conflictOf(await store.executeCommand('reg-dead', register('s', d))).reason).toBe(
      'subscription is tombstoned; use revive',
    );
    expect(conflictOf(await store.executeCommand('rev-stale', revive('s', 'key', d, 1))).reason).toBe(
      'revive requires the current tombstone revision',
    );
    const revived = await mutate(store, 'revive', revive('s', 'key', d, 2));
    expect(revived.recordSnapshot).toMatchObject({
      tombstoned: false,
      enabled: true,
      deletedAtMs: null,
      createdAtMs: C.recordSnapshot.createdAtMs,
      revision: 3,
    });
  });

  it('draft validation failures are receipted invalid results', async () => {
    const store = await backend.fixture().make();
    const blank = await store.executeCommand('blank-key', register('s', draft('s', ' ', 'src', 'w')));
    expect(blank).toEqual({ kind: 'err', error: { kind: 'invalid', message: 'trigger subscription requires subscription_key' } });
    const reserved = await store.executeCommand('reserved', register('s', draft('s', 'lash.internal/x', 'src', 'w')));
    expect(reserved).toEqual({
      kind: 'err',
      error: { kind: 'invalid', message: 'trigger subscription key `lash.internal/x` uses reserved prefix `lash.internal/`' },
    });
    const receipts = (await store.readEvents()).filter((e) => e.type === 'TriggerMutationReceiptRecorded');
    expect(receipts).toHaveLength(2);
    expect(await store.executeCommand('blank-key', register('s', draft('s', ' ', 'src', 'w')))).toEqual(blank);
    const host = await store.executeCommand('op', {
      kind: 'register',
      ownerScope: { kind: 'host', bindingId: ' ' },
      actor: { kind: 'host', scope: null },
      draft: draft('s', 'k', 'src', 'w'),
    });
    expect(host).toEqual({
      kind: 'err',
      error: { kind: 'invalid', message: 'trigger host owner requires a non-empty binding id' },
    });
    expect((await store.readEvents()).filter((e) => e.type === 'TriggerMutationReceiptRecorded')).toHaveLength(2);
  });

  it('an operation id reused with other content is a conflict carrying both request hashes', async () => {
    const store = await backend.fixture().make();
    const first = register('s', draft('s', 'key', 'src', 'w'));
    await mutate(store, 'op-1', first);
    const other = register('s', draft('s', 'key', 'other-src', 'w'));
    const before = await store.readEvents();
    const c = conflictOf(await store.executeCommand('op-1', other));
    expect(c).toEqual({
      kind: 'conflict',
      subscriptionKey: 'key',
      existingRevision: null,
      existingDefinitionHash: triggerCommandHash(first),
      requestedDefinitionHash: triggerCommandHash(other),
      reason: 'operation id `op-1` was reused with different content',
    });
    expect(await store.readEvents()).toEqual(before);
    // Operation ids are namespaced per owner: the same id under another owner is a fresh operation.
    expect((await mutate(store, 'op-1', register('t', draft('t', 'key', 'src', 'w')))).disposition).toBe('created');
    expect(triggerOperationReceiptId(owner('s'), 'op-1')).not.toBe(triggerOperationReceiptId(owner('t'), 'op-1'));
  });

  it('enable and disable flip once and are no-ops (no event, no bump) when already in that state', async () => {
    const store = await backend.fixture().make();
    await mutate(store, 'reg', register('s', draft('s', 'key', 'src', 'w')));
    const noop = await mutate(store, 'en', enable('s', 'key', 1));
    expect(noop).toMatchObject({ disposition: 'enabled', revision: 1 });
    const off = await mutate(store, 'dis', disable('s', 'key', 1));
    expect(off).toMatchObject({ disposition: 'disabled', revision: 2, enabled: false });
    expect((await mutate(store, 'dis-again', disable('s', 'key', 2))).revision).toBe(2);
    const written = (await store.readEvents()).filter((e) => e.type === 'TriggerSubscriptionWritten');
    expect(written).toHaveLength(2);
    const updated = await mutate(store, 'upd', update('s', 'key', draft('s', 'key', 'src', 'w'), 2));
    expect(updated).toMatchObject({ disposition: 'updated', revision: 3, enabled: false, incarnation: noop.incarnation });
  });

  it('deleteSessionSubscriptions tombstones only that session and bumps the revision', async () => {
    const store = await backend.fixture().make();
    await mutate(store, 'a', register('gone', draft('gone', 'k1', 'src', 'w')));
    await mutate(store, 'b', register('gone', draft('gone', 'k2', 'src', 'w')));
    await mutate(store, 'c', register('kept', draft('kept', 'k1', 'src', 'w')));
    await mutate(store, 'd', {
      kind: 'register',
      ownerScope: { kind: 'host', bindingId: 'gone' },
      actor: { kind: 'host', scope: 'x' },
      draft: draft('gone', 'k1', 'src', 'w'),
    });
    await mutate(store, 'e', del('gone', 'k2', 1));
    expect(await store.deleteSessionSubscriptions('gone')).toEqual({ tombstoned: 1, skippedMalformedRows: 0 });
    expect(await store.deleteSessionSubscriptions('gone')).toEqual({ tombstoned: 0, skippedMalformedRows: 0 });
    expect((await store.listSubscriptions({ sessionId: 'gone' })).records).toEqual([]);
    expect((await store.listSubscriptions({ sessionId: 'kept' })).records).toHaveLength(1);
    expect((await store.listSubscriptions({ registrantScopeId: 'host:gone' })).records).toHaveLength(1);
    const stale = conflictOf(await store.executeCommand('f0', revive('gone', 'k1', draft('gone', 'k1', 'src', 'w'), 1)));
    expect(stale.existingRevision).toBe(2);
    const revived = await mutate(store, 'f', revive('gone', 'k1', draft('gone', 'k1', 'src', 'w'), 2));
    expect(revived.revision).toBe(3);
    expect(revived.recordSnapshot.registrant).toEqual(actor('gone'));
  });

  it('list filters: owner, session, key, name, source, target definition and enabled', async () => {
    const store = await backend.fixture().make();
    await mutate(store, '1', register('s', draft('s', 'b-key', 'src-1', 'alpha')));
    await mutate(store, '2', register('s', draft('s', 'a-key', 'src-2', 'beta')));
    await mutate(store, '3', register('t', draft('t', 'a-key', 'src-1', 'alpha')));
    await mutate(store, '4', disable('t', 'a-key', 1));
    const keys = async (filter: Parameters<SqliteTriggerStore['listSubscriptions']>[0]) =>
      (await store.listSubscriptions(filter)).records.map((r) => `${triggerOwnerNamespace(r.ownerScope)}/${r.subscriptionKey}`);
    expect(await keys({})).toEqual(['session:s/a-key', 'session:s/b-key', 'session:t/a-key']);
    expect(await keys({ sessionId: 's' })).toEqual(['session:s/a-key', 'session:s/b-key']);
    expect(await keys({ registrantScopeId: 'session:t' })).toEqual(['session:t/a-key']);
    expect(await keys({ registrantScopeId: 'session:t', sessionId: 's' })).toEqual([]);
    expect(await keys({ subscriptionKey: 'a-key' })).toEqual(['session:s/a-key', 'session:t/a-key']);
    expect(await keys({ name: 'alpha' })).toEqual(['session:s/b-key', 'session:t/a-key']);
    expect(await keys({ sourceType: 'ui.button.pressed', sourceKey: 'src-1' })).toEqual(['session:s/b-key', 'session:t/a-key']);
    expect(await keys({ target: { processName: 'beta' } })).toEqual(['session:s/a-key']);
    expect(await keys({ enabled: false })).toEqual(['session:t/a-key']);
    await rejectsWith(store.listSubscriptions({ enabled: 'yes' as never }), 'InvalidArgument');
  });

  it('ingest validates, routes to one session when asked, and lists occurrences and deliveries', async () => {
    const store = await backend.fixture().make();
    await rejectsWith(store.ingestOccurrence({ ...occ('src', 'i'), sourceType: ' ' }), 'InvalidOccurrence');
    await rejectsWith(store.ingestOccurrence({ ...occ(' ', 'i') }), 'InvalidOccurrence');
    const blank = await rejectsWith(store.ingestOccurrence(occ('src', '')), 'InvalidOccurrence');
    expect(blank.message).toBe('trigger occurrence requires idempotency_key');
    await rejectsWith(store.ingestOccurrence({ ...occ('src', 'x'), payload: new Uint8Array(1) as never }), 'Encode');
    expect(await store.readEvents()).toEqual([]);
    const a = await mutate(store, 'a', register('s', draft('s', 'k', 'src', 'w')));
    const b = await mutate(store, 'b', register('t', draft('t', 'k', 'src', 'w')));
    const routed = await store.ingestOccurrence({ ...occ('src', 'routed'), sessionId: 't' });
    expect(routed.occurrence.sessionId).toBe('t');
    expect(routed.reservations.map((r) => r.subscription.subscriptionId)).toEqual([b.subscriptionId]);
    const broadcast = await store.ingestOccurrence(occ('src', 'broadcast'));
    expect(broadcast.reservations.map((r) => r.subscription.subscriptionId)).toEqual([a.subscriptionId, b.subscriptionId]);
    expect(broadcast.occurrence.occurrenceId).toBe(deterministicOccurrenceId(occ('src', 'broadcast')));
    const reservation = broadcast.reservations[0];
    expect(reservation?.processId).toBe(
      deterministicDeliveryProcessId(broadcast.occurrence.occurrenceId, a.subscriptionId, a.incarnation, a.revision),
    );
    expect(await store.listDeliveriesByProcessId(reservation?.processId ?? '')).toHaveLength(1);
    expect(await store.listDeliveriesBySubscriptionId(b.subscriptionId)).toHaveLength(2);
    expect(await store.listDeliveries()).toHaveLength(3);
    const all = await store.listOccurrences({ sourceType: 'ui.button.pressed', sourceKey: 'src' });
    expect(all.occurrences.map((o) => o.idempotencyKey).sort()).toEqual(['broadcast', 'routed']);
    const at = routed.occurrence.occurredAtMs;
    expect((await store.listOccurrences({ occurredAtStartMs: at + 1 })).occurrences.length).toBeLessThanOrEqual(1);
    expect((await store.listOccurrences({ occurredAtEndMs: at })).occurrences).toEqual([]);
    await rejectsWith(store.listOccurrences({ occurredAtStartMs: Number.NaN }), 'InvalidArgument');
  });

  it('close ends the store: every call rejects with Closed', async () => {
    const store = await backend.fixture().make();
    await store.close();
    const error = await rejectsWith(store.listDeliveries(), 'Closed');
    expect(error.message).toBe('trigger store is closed');
    await rejectsWith(store.executeCommand('op', register('s', draft('s', 'k', 'src', 'w'))), 'Closed');
    await rejectsWith(store.ingestOccurrence(occ('src', 'i')), 'Closed');
  });
});

it('identities: request hashes ignore idempotency key and session, absent equals null in definitions', () => {
  const r = occ('src', 'one');
  expect(triggerOccurrenceRequestHash(r)).toBe(triggerOccurrenceRequestHash({ ...r, idempotencyKey: 'two', sessionId: 's' }));
  expect(triggerOccurrenceRequestHash(r)).not.toBe(triggerOccurrenceRequestHash({ ...r, payload: { button: 'Red' } }));
  expect(triggerOccurrenceRequestHash({ ...r, source: undefined })).toBe(triggerOccurrenceRequestHash({ ...r, source: null }));
  const d = draft('s', 'k', 'src', 'w');
  const minimal = { ...d, wakeTarget: undefined, name: undefined, targetLabel: undefined };
  expect(triggerSubscriptionDefinitionHash(owner('s'), minimal)).toBe(
    triggerSubscriptionDefinitionHash(owner('s'), { ...d, wakeTarget: null, name: null, targetLabel: null }),
  );
  expect(triggerOwnerNamespace({ kind: 'platform' })).toBe('host');
  expect(triggerOwnerNamespace({ kind: 'host', bindingId: 'b' })).toBe('host:b');
  const prune = (keys: string[]): TriggerCommand => ({
    kind: 'prune',
    ownerScope: owner('s'),
    actor: actor('s'),
    subscriptionKeys: keys,
  });
  expect(triggerCommandHash(prune(['b', 'a', 'b']))).toBe(triggerCommandHash(prune(['a', 'b'])));
});

it('a targeted read of an undecodable subscription is CorruptData and rolls back', async () => {
  const path = triggerPath();
  const store = await openTriggers(path);
  const C = await mutate(store, 'reg', register('s', draft('s', 'key', 'src', 'w')));
  const raw = new Database(path);
  raw.prepare("UPDATE trigger_subscriptions SET record_json = '[' WHERE subscription_id = ?").run(C.subscriptionId);
  raw.close();
  const before = await store.readEvents();
  const error = await rejectsWith(store.executeCommand('dis', disable('s', 'key', 1)), 'CorruptData');
  expect(error).toMatchObject({ table: 'trigger_subscriptions', key: C.subscriptionId });
  expect(await store.readEvents()).toEqual(before);
  await store.rebuildProjections();
  expect((await mutate(store, 'dis', disable('s', 'key', 1))).revision).toBe(2);
});
