/** 30-process-registry §5.4 (C18–C22), S12–S15: wait state, lists, filters, live references. */
import { expect, it } from 'vitest';
import { ProcessListFilter, type ProcessRecord } from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { ext, reg, rejectsCode, rerunnableReg, S, success, wf } from '../support/process-fixtures.js';
import { describeRegistries } from '../support/registries.js';

const ids = (records: ProcessRecord[]) => records.map((r) => r.id);
const waitFor = (id: string, name = 'ready') => ({
  sinceMs: 1,
  kind: { kind: 'signal' as const, name, eventType: `signal.${name}`, key: `process:${id}:signal.${name}:1`, ordinal: 1 },
});

describeRegistries('process registry: lists and filters', (backend) => {
  it('C18 wait_state_round_trips_filters_and_clears_on_terminal', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    const id = 'proc-wait-roundtrip';
    const w = {
      sinceMs: 1234,
      kind: {
        kind: 'signal' as const,
        name: 'ready',
        eventType: 'signal.ready',
        key: `process:${id}:signal.ready:1`,
        ordinal: 1,
      },
    };
    await rejectsCode(registry.setProcessWait('missing-process', w), 'UnknownProcess');
    await registry.registerProcess(reg(id));
    expect((await registry.setProcessWait(id, w)).wait).toEqual(w);
    expect((await registry.getProcess(id))?.wait).toEqual(w);
    expect(ids(await registry.listProcesses({ waiting: true }))).toContain(id);
    expect(ids(await registry.listProcesses({ waiting: false }))).not.toContain(id);
    expect((await registry.clearProcessWait(id)).wait).toBeNull();
    await registry.setProcessWait(id, w);
    expect((await registry.completeProcess(id, success({ done: true }), ext('conformance'))).wait).toBeNull();
    await rejectsCode(
      registry.setProcessWait(id, {
        sinceMs: 5678,
        kind: { kind: 'signal', name: 'again', eventType: 'signal.again', key: `process:${id}:signal.again:1`, ordinal: 1 },
      }),
      'TerminalRejectsWait',
    );
    // clearProcessWait bumps unconditionally, terminal rows included.
    const before = await registry.getProcess(id);
    const cleared = await registry.clearProcessWait(id);
    expect(cleared.changeSeq).toBeGreaterThan(before!.changeSeq);
  });

  it('C19 list_processes_filters_by_status_and_waiting', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    for (const id of ['proc-list-running', 'proc-list-waiting', 'proc-list-done']) await registry.registerProcess(reg(id));
    await registry.setProcessWait('proc-list-waiting', waitFor('proc-list-waiting'));
    await registry.completeProcess('proc-list-done', success(null), ext('conformance'));
    expect(ids(await registry.listProcesses({ status: 'any' }))).toEqual([
      'proc-list-done',
      'proc-list-running',
      'proc-list-waiting',
    ]);
    expect(ids(await registry.listProcesses({ status: 'running' }))).toEqual(['proc-list-running', 'proc-list-waiting']);
    expect(ids(await registry.listProcesses())).toEqual(['proc-list-running', 'proc-list-waiting']);
    expect(ids(await registry.listProcesses({ status: 'completed' }))).toEqual(['proc-list-done']);
    expect(ids(await registry.listProcesses({ status: 'any', waiting: true }))).toEqual(['proc-list-waiting']);
    expect(ids(await registry.listProcesses({ status: 'running', waiting: false }))).toEqual(['proc-list-running']);
  });

  it('C20 list_processes_filters_by_enriched_fields', async () => {
    const clock = new ManualClock(1000);
    const { registry } = await backend.open({ clock });
    const sc = { sessionId: 'filter-session', agentFrameId: 'filter-frame' };
    const t = await registry.registerProcess({
      ...reg('proc-filter-target'),
      identity: { kind: 'filter-kind', label: 'target-label', definition: null },
      provenance: {
        originator: { kind: 'session', scope: sc },
        causedBy: {
          kind: 'triggerOccurrence',
          occurrenceId: 'occurrence-target',
          subscriptionId: 'subscription-target',
        } as never,
      },
    });
    clock.advance(5);
    await registry.registerProcess({
      ...reg('proc-filter-other'),
      identity: { kind: 'other-kind', label: 'other-label', definition: null },
    });
    const filters = [
      { originatorScopeId: 'session:filter-session/frame:filter-frame' },
      { identityKind: 'filter-kind' },
      { identityLabel: 'target-label' },
      { causedByOccurrenceId: 'occurrence-target' },
      { causedBySubscriptionId: 'subscription-target' },
      { createdAtStartMs: t.createdAtMs, createdAtEndMs: t.createdAtMs + 1 },
    ];
    for (const f of filters) expect(ids(await registry.listProcesses({ status: 'any', ...f }))).toEqual(['proc-filter-target']);
  });

  it('C21 live_reference_summary_tracks_non_terminal_reference_counts', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    expect(await registry.liveReferenceSummary()).toEqual([]);
    const dA = { module: 'alpha', process: 'main' };
    const dB = { module: 'beta', process: 'main' };
    const eA = 'process-env:alpha';
    const eB = 'process-env:beta';
    const make = (id: string, definition: typeof dA, envRef: string) => ({
      ...rerunnableReg(id),
      input: { kind: 'engine' as const, engineKind: 'reference-test', payload: null },
      identity: { kind: 'reference-test', label: null, definition },
      envRef,
    });
    await registry.registerProcess(make('proc-ref-a1', dA, eA));
    await registry.registerProcess(make('proc-ref-a2', dA, eA));
    await registry.registerProcess(make('proc-ref-b', dB, eB));
    expect(await registry.liveReferenceSummary()).toEqual([
      { definition: dA, envRef: eA, processCount: 2 },
      { definition: dB, envRef: eB, processCount: 1 },
    ]);
    await registry.completeProcess('proc-ref-a1', success(null), wf('proc-ref-a1'));
    expect(await registry.liveReferenceSummary()).toEqual([
      { definition: dA, envRef: eA, processCount: 1 },
      { definition: dB, envRef: eB, processCount: 1 },
    ]);
    await registry.completeProcess('proc-ref-a2', success(null), wf('proc-ref-a2'));
    await registry.completeProcess('proc-ref-b', success(null), wf('proc-ref-b'));
    expect(await registry.liveReferenceSummary()).toEqual([]);
    await registry.registerProcess(reg('plain'));
    expect(await registry.liveReferenceSummary()).toEqual([{ definition: null, envRef: null, processCount: 1 }]);
  });

  it('C22 list_non_terminal_excludes_terminal_processes', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    await registry.registerProcess(reg('proc-live'));
    await registry.registerProcess(reg('proc-done'));
    await registry.completeProcess('proc-done', success(null), ext('conformance'));
    expect(ids(await registry.listNonTerminal())).toEqual(['proc-live']);
    expect(await registry.filterUnregisteredProcessIds(['x', 'proc-live', 'x', 'proc-done', 'y'])).toEqual(['x', 'x', 'y']);
    expect(await registry.filterUnregisteredProcessIds([])).toEqual([]);
  });

  it('S12 list_filter_waiting_partitions_records', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    await registry.registerProcess(reg('proc-a'));
    await registry.registerProcess(reg('proc-b'));
    await registry.setProcessWait('proc-a', waitFor('proc-a'));
    expect(ids(await registry.listProcesses({ waiting: true }))).toEqual(['proc-a']);
    expect(ids(await registry.listProcesses({ waiting: false }))).toEqual(['proc-b']);
    const error = await rejectsCode(
      Promise.resolve().then(() => ProcessListFilter.decode({ waiting: 'yes' })),
      'InvalidListFilter',
    );
    expect(error.message).toContain('must be a boolean');
  });

  it('S13 list_filter_definition_and_status_match', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    const X = { module: 'm' };
    const f = ProcessListFilter.decode({ definition: X, status: 'completed' });
    const make = (id: string, definition: typeof X) => ({
      ...rerunnableReg(id),
      identity: { kind: 'test-engine', label: null, definition },
    });
    await registry.registerProcess(make('one', X));
    await registry.registerProcess(make('two', X));
    await registry.registerProcess(make('three', { module: 'n' }));
    const one = await registry.completeProcess('one', success(1), wf('one'));
    const two = await registry.getProcess('two');
    const three = await registry.completeProcess('three', success(3), wf('three'));
    expect(ProcessListFilter.matchesRecord(f, one)).toBe(true);
    expect(ProcessListFilter.matchesRecord(f, two!)).toBe(false);
    expect(ProcessListFilter.matchesRecord(f, three)).toBe(false);
    expect(ProcessListFilter.listMode(f)).toBe('all');
    expect(ProcessListFilter.listMode(ProcessListFilter.decode({}))).toBe('live');
  });

  it('S14 list_filter_enriched_facets_combine_with_and', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    const r = await registry.registerProcess({
      ...reg('proc-f'),
      identity: { kind: 'k', label: 'l', definition: null },
      provenance: {
        originator: { kind: 'session', scope: S('s') },
        causedBy: { kind: 'triggerOccurrence', occurrenceId: 'occ-1', subscriptionId: 'sub-1' } as never,
      },
    });
    const t = r.createdAtMs;
    const f = {
      status: 'any' as const,
      originatorScopeId: 'session:s',
      identityKind: 'k',
      identityLabel: 'l',
      causedByOccurrenceId: 'occ-1',
      causedBySubscriptionId: 'sub-1',
      createdAtStartMs: t,
      createdAtEndMs: t + 1,
    };
    expect(ProcessListFilter.matchesRecord(f, r)).toBe(true);
    const changes: Array<Partial<typeof f> & Record<string, unknown>> = [
      { status: 'completed' } as never,
      { originatorScopeId: 'session:other' },
      { identityKind: 'other' },
      { identityLabel: 'other' },
      { causedByOccurrenceId: 'occ-2' },
      { causedBySubscriptionId: 'sub-2' },
      { createdAtStartMs: t + 1 },
      { createdAtEndMs: t },
    ];
    for (const change of changes) expect(ProcessListFilter.matchesRecord({ ...f, ...change }, r)).toBe(false);
    const g = await registry.registerProcess({
      ...reg('proc-g'),
      provenance: {
        originator: { kind: 'host', scope: null },
        causedBy: { kind: 'triggerOccurrence', occurrenceId: 'occ-1', subscriptionId: null } as never,
      },
    });
    expect(ProcessListFilter.matchesRecord({ status: 'any', causedByOccurrenceId: 'occ-1' }, g)).toBe(true);
    expect(ProcessListFilter.matchesRecord({ status: 'any', causedBySubscriptionId: 'sub-1' }, g)).toBe(false);
  });

  it('S15 list_filter_decode_rejects_mistyped_facets', async () => {
    const decode = (args: unknown) => Promise.resolve().then(() => ProcessListFilter.decode(args as never));
    expect((await rejectsCode(decode({ identity_kind: true }), 'InvalidListFilter')).message).toBe(
      'processes.list `identity_kind` filter must be a string',
    );
    expect((await rejectsCode(decode({ created_at_start_ms: 'old' }), 'InvalidListFilter')).message).toBe(
      'processes.list `created_at_start_ms` filter must be an integer',
    );
    const unknown = await rejectsCode(decode({ nope: 1 }), 'InvalidListFilter');
    expect(unknown.message).toBe('processes.list unknown filter `nope`');
    expect(unknown.key).toBe('nope');
    const notRecord = await rejectsCode(decode([]), 'InvalidListFilter');
    expect(notRecord.message).toBe('processes.list expects a record of process filters');
    expect(notRecord.key).toBeNull();
    expect((await rejectsCode(decode({ status: 5 }), 'InvalidListFilter')).message).toMatch(/^processes\.list status must be/);
    expect((await rejectsCode(decode({ status: 'done' }), 'InvalidListFilter')).message).toBe(
      'processes.list status must be `running`, `completed`, `failed`, `cancelled`, `abandoned`, or `any`, got `done`',
    );
    expect(
      ProcessListFilter.decode({
        identity_kind: 'k',
        caused_by_subscription_id: 's',
        created_at_start_ms: 0,
        created_at_end_ms: 5,
        originator_scope_id: 'host',
        status: 'any',
        waiting: false,
        definition: null,
      }),
    ).toEqual({
      identityKind: 'k',
      causedBySubscriptionId: 's',
      createdAtStartMs: 0,
      createdAtEndMs: 5,
      originatorScopeId: 'host',
      status: 'any',
      waiting: false,
      definition: null,
    });
  });
});
