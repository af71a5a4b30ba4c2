/** 30-process-registry §5.1 (C1–C5) and S10: registration, durability, identity, reopen. */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { originatorScopeId, ProcessRegistration } from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { ext, plus, reg, rejectsCode, S, success, wakeType } from '../support/process-fixtures.js';
import { describeRegistries, fileRegistryBackend, openRegistryAt, registryTempDir } from '../support/registries.js';

describeRegistries('process registry: registration', (backend) => {
  it('C1 process_registry_reports_declared_durability', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    expect(registry.durabilityTier()).toBe(backend.tier);
  });

  it('C2 registration_is_idempotent_and_hash_conflicts_fail', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    const a = await registry.registerProcess(reg('proc-idempotent'));
    const b = await registry.registerProcess(reg('proc-idempotent'));
    expect(a.registrationHash).toBe(b.registrationHash);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    await rejectsCode(
      registry.registerProcess(plus(reg('proc-idempotent'), wakeType('producer.wake'))),
      'RegistrationHashConflict',
    );
  });

  it('C3 external_refs_and_handle_grant_membership_round_trip', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    await rejectsCode(
      registry.setExternalRef('missing-process', { backend: 'test', id: 'missing', metadata: null }),
      'UnknownProcess',
    );
    const id = 'proc-external-ref';
    await registry.registerProcess(reg(id));
    const ref = { backend: 'worker', id: 'job-123', metadata: { queue: 'critical' } };
    const u = await registry.setExternalRef(id, ref);
    expect(u.externalRef).toEqual(ref);
    const r = await registry.setExternalRef(id, ref);
    expect(JSON.stringify(r)).toBe(JSON.stringify(u));
    await rejectsCode(
      registry.setExternalRef(id, { backend: 'worker', id: 'job-456', metadata: { queue: 'critical' } }),
      'ExternalRefConflict',
    );
    await rejectsCode(
      registry.setExternalRef(id, { backend: 'worker', id: 'job-123', metadata: { queue: 'standard' } }),
      'ExternalRefConflict',
    );
    expect((await registry.getProcess(id))?.externalRef).toEqual(ref);
    const o = S('grant-owner');
    expect(await registry.hasHandleGrant(o, id)).toBe(false);
    await registry.grantHandle(o, id, { kind: 'test', label: 'external ref' });
    expect(await registry.hasHandleGrant(o, id)).toBe(true);
    await registry.revokeHandle(o, id);
    expect(await registry.hasHandleGrant(o, id)).toBe(false);
    expect(await registry.listHandleGrants(o)).toEqual([]);
  });

  it('S10 process_id_rejects_reserved_segment_separator', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    const error = await rejectsCode(registry.registerProcess(reg('foo#1')), 'InvalidRegistration');
    expect(error.message).toContain('reserved segment separator `#`');
    expect(await registry.getProcess('foo#1')).toBeNull();
    expect(await registry.readEvents()).toEqual([]);
  });

  it('registration rules: blank ids, env refs, event type names and terminal await outputs', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    const cases: Array<[ReturnType<typeof reg>, string]> = [
      [reg('  '), 'process id must be a non-empty string'],
      [
        { ...reg('env-external'), envRef: 'process-env:x' },
        'process `env-external` must not capture an execution env for this input kind',
      ],
      [
        ProcessRegistration.create('no-env', { kind: 'toolCall', call: { toolName: 't' } }, 'rerunnable', {
          originator: { kind: 'host', scope: null },
          causedBy: null,
        }),
        'process `no-env` requires a captured execution env',
      ],
      [
        plus(reg('empty-type'), { name: ' ', payloadSchema: {}, semantics: { terminal: null, wake: null } }),
        'declares an empty event type',
      ],
      [
        plus(
          reg('dup-type'),
          { name: 'a', payloadSchema: {}, semantics: { terminal: null, wake: null } },
          { name: 'a', payloadSchema: {}, semantics: { terminal: null, wake: null } },
        ),
        'declares duplicate event type `a`',
      ],
      [
        plus(reg('no-await'), {
          name: 'x.failed',
          payloadSchema: {},
          semantics: { terminal: { state: 'failed', awaitOutput: null }, wake: null },
        }),
        'terminal event `x.failed` for process `no-await` must declare await output',
      ],
    ];
    for (const [registration, message] of cases) {
      const error = await rejectsCode(registry.registerProcess(registration), 'InvalidRegistration');
      expect(error.message).toContain(message);
    }
    expect(await registry.readEvents()).toEqual([]);
  });

  it('registration builders derive identity from the input', () => {
    const h = { originator: { kind: 'host' as const, scope: 'h1' }, causedBy: null };
    expect(ProcessRegistration.create('t', { kind: 'toolCall', call: { toolName: 'grep' } }, 'rerunnable', h).identity).toEqual({
      kind: 'tool',
      label: 'grep',
      definition: null,
    });
    expect(
      ProcessRegistration.create(
        's',
        { kind: 'sessionTurn', createRequest: { usageSource: 'u', sessionId: 's1' }, turnInput: null, outputContract: null },
        'ownerBound',
        h,
      ).identity,
    ).toEqual({ kind: 'session_turn', label: 'u', definition: null });
    expect(
      ProcessRegistration.create('e', { kind: 'external', metadata: { name: 7, title: 'x' } }, 'externallyOwned', h).identity
        .label,
    ).toBeNull();
    expect(
      ProcessRegistration.create('e', { kind: 'external', metadata: { title: 'x' } }, 'externallyOwned', h).identity.label,
    ).toBe('x');
    expect(
      ProcessRegistration.create('e', { kind: 'engine', engineKind: 'lashlang', payload: null }, 'rerunnable', h).identity.kind,
    ).toBe('lashlang');
    expect(originatorScopeId(h.originator)).toBe('host:h1');
    expect(reg('x').eventTypes.map((t) => t.name)).toEqual([
      'process.cancel_requested',
      'process.waiting',
      'process.resumed',
      'process.completed',
      'process.failed',
      'process.cancelled',
      'process.abandoned',
    ]);
  });

  it('rejects NaN and non-JSON values with InvalidArgument before writing anything', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    await registry.registerProcess(reg('p'));
    const before = await registry.readEvents();
    const nan = await rejectsCode(
      registry.claimProcessLease('p', { ownerId: 'o', incarnationId: 'i', liveness: { kind: 'opaque' } }, Number.NaN),
      'InvalidArgument',
    );
    expect(nan.expected).toBe('a number');
    const bytes = await rejectsCode(
      registry.appendEvent('p', {
        eventType: 'process.waiting',
        payload: { b: new Uint8Array([1]) } as never,
        replay: null,
        wakeTargetScope: null,
      }),
      'InvalidArgument',
    );
    expect(bytes.expected).toBe('a JSON value');
    await rejectsCode(registry.eventsAfter('p', Number.NaN), 'InvalidArgument');
    expect(await registry.readEvents()).toEqual(before);
  });
});

describeRegistries('process registry: reopen', () => {
  it('C4 process_registry_survives_reopen', async () => {
    const clock = new ManualClock(1000);
    const handle = await fileRegistryBackend.open({ clock });
    const open = handle.registry;
    const reopen = await handle.reopen({ clock });
    const scope = S('reopen-session');
    await open.registerProcess(plus(reg('proc-reopen'), wakeType('producer.reopen_wake')));
    const ref = { backend: 'worker', id: 'reopen-job-123', metadata: { queue: 'reopen' } };
    const u = await open.setExternalRef('proc-reopen', ref);
    await open.grantHandle(scope, 'proc-reopen', { kind: 'test', label: 'reopen' });
    const request = {
      eventType: 'producer.reopen_wake',
      payload: { wake_input: 'survived reopen' },
      replay: { key: 'producer:reopen' },
      wakeTargetScope: scope,
    };
    const ap = await open.appendEvent('proc-reopen', request);
    const rr = await reopen.getProcess('proc-reopen');
    expect(rr?.id).toBe('proc-reopen');
    expect(rr?.externalRef).toEqual(ref);
    const rep = await reopen.setExternalRef('proc-reopen', ref);
    expect(JSON.stringify(rep)).toBe(JSON.stringify(rr));
    expect(JSON.stringify(rep.externalRef)).toBe(JSON.stringify(u.externalRef));
    await rejectsCode(
      reopen.setExternalRef('proc-reopen', { backend: 'worker', id: 'reopen-job-456', metadata: { queue: 'reopen' } }),
      'ExternalRefConflict',
    );
    const events = await reopen.eventsAfter('proc-reopen', 0);
    expect(events).toHaveLength(1);
    expect(events[0]?.sequence).toBe(ap.event.sequence);
    expect(await reopen.listHandleGrants(scope)).toHaveLength(1);
    expect((await reopen.appendEvent('proc-reopen', request)).event.sequence).toBe(ap.event.sequence);
  });

  it('C5 sqlite_process_registry_persists_rows_after_reopen', async () => {
    const clock = new ManualClock(1000);
    const dir = registryTempDir();
    const path = join(dir, 'processes.db');
    const options = { clock, sessionStoreRoot: join(dir, 'sessions') };
    const first = await openRegistryAt(path, options);
    const originator = { kind: 'session' as const, scope: S('session') };
    await first.registerProcess(
      ProcessRegistration.create('proc-persist', { kind: 'external', metadata: null }, 'externallyOwned', {
        originator,
        causedBy: null,
      }),
    );
    await first.grantHandle(S('session'), 'proc-persist', { kind: 'tool', label: 'demo' });
    await first.completeProcess('proc-persist', success({ ok: true }), ext('session'));
    await first.close();
    const second = await openRegistryAt(path, options);
    const record = await second.getProcess('proc-persist');
    expect(record).not.toBeNull();
    expect(originatorScopeId(record!.provenance.originator)).toBe('session:session');
    expect(record!.provenance.originator).toEqual({ kind: 'session', scope: { sessionId: 'session', agentFrameId: null } });
    expect(await second.awaitTerminal('proc-persist')).toEqual(success({ ok: true }));
    expect(await second.listHandleGrants(S('session'))).toHaveLength(1);
  });
}, [fileRegistryBackend]);
