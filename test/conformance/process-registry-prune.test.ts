/** 30-process-registry §5.9 (C43–C47), §5.10 (C48, C49), §5.11 (C50): prune, segment handovers, owned session stores. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ProcessChangeCursor, type ProcessRecord, processRuntimeSessionIds, SqliteSessionStoreFactory } from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { acquired, append, ext, FAR, owner, plus, reg, rejectsCode, S, success, wakeType } from '../support/process-fixtures.js';
import { describeRegistries, fileRegistryBackend, openRegistryAt, registryTempDir } from '../support/registries.js';

const ids = (records: ProcessRecord[]) => records.map((r) => r.id);
const H = (n: number) => ({
  segmentOrdinal: n,
  programHash: 'program-v1',
  handover: { reason: 'journalBudget' as const, programHash: 'program-v1', engineState: new Uint8Array([n]) },
});
const segmentReg = (id: string) => ({
  ...reg(id),
  provenance: { originator: { kind: 'session' as const, scope: S('session') }, causedBy: null },
});

describeRegistries('process registry: prune', (backend) => {
  it('C43 prune_removes_terminal_processes_older_than_cutoff', async () => {
    const clock = new ManualClock(1000);
    const { registry } = await backend.open({ clock });
    const sc = S('prune-owner');
    for (const id of ['proc-prune-old', 'proc-prune-fresh', 'proc-prune-live']) await registry.registerProcess(reg(id));
    await registry.grantHandle(sc, 'proc-prune-old', { kind: 'test', label: 'old' });
    const oU = (await registry.completeProcess('proc-prune-old', success({ n: 1 }), ext('test'))).updatedAtMs;
    const oE = (await registry.eventsAfter('proc-prune-old', 0)).length;
    expect(oE).toBe(1);
    clock.advance(5);
    const fU = (await registry.completeProcess('proc-prune-fresh', success({ n: 2 }), ext('test'))).updatedAtMs;
    expect(oU).toBeLessThan(fU);
    const report = await registry.pruneTerminalProcesses(fU);
    expect(report).toEqual({ prunedProcesses: 1, prunedEvents: oE, prunedProcessIds: ['proc-prune-old'] });
    expect(await registry.getProcess('proc-prune-old')).toBeNull();
    await rejectsCode(registry.eventsAfter('proc-prune-old', 0), 'UnknownProcess');
    expect(await registry.hasHandleGrant(sc, 'proc-prune-old')).toBe(false);
    await rejectsCode(registry.handleGrantsForProcess('proc-prune-old'), 'UnknownProcess');
    expect((await registry.getProcess('proc-prune-fresh'))?.status.kind).toBe('completed');
    expect(await registry.eventsAfter('proc-prune-fresh', 0)).toHaveLength(1);
    expect((await registry.getProcess('proc-prune-live'))?.status.kind).toBe('running');
  });

  it('C44 prune_respects_leases_grants_and_wake_acks', async () => {
    const clock = new ManualClock(1000);
    const { registry } = await backend.open({ clock });
    const sc = S('prune-retention-owner');
    for (const id of ['proc-old', 'proc-recent']) {
      await registry.registerProcess(plus(reg(id), wakeType('producer.wake')));
      await registry.grantHandle(sc, id, { kind: 'test', label: id });
    }
    await registry.registerProcess(reg('proc-live-retained'));
    await append(registry, 'proc-old', 'producer.wake', { wake_input: 'old one' }, { target: sc });
    await append(registry, 'proc-old', 'producer.wake', { wake_input: 'old two' }, { target: sc });
    await registry.ackWake('proc-old', 1);
    const f0 = acquired(await registry.claimProcessLease('proc-old', owner('prune-lease-holder'), 60000)).fencingToken;
    const oU = (await registry.completeProcess('proc-old', success({ n: 1 }), ext('test'))).updatedAtMs;
    expect(await registry.getProcessLease('proc-old')).not.toBeNull();
    const oE = (await registry.eventsAfter('proc-old', 0)).length;
    expect(oE).toBe(3);
    clock.advance(5);
    await append(registry, 'proc-recent', 'producer.wake', { wake_input: 'recent' }, { target: sc });
    const rU = (await registry.completeProcess('proc-recent', success({ n: 2 }), ext('test'))).updatedAtMs;
    expect(oU).toBeLessThan(rU);
    expect(await registry.wakeEventsAfter('proc-old', 0)).toHaveLength(1);
    const report = await registry.pruneTerminalProcesses(rU);
    expect(report.prunedProcesses).toBe(1);
    expect(report.prunedEvents).toBe(oE);
    expect(await registry.getProcess('proc-old')).toBeNull();
    await rejectsCode(registry.wakeEventsAfter('proc-old', 0), 'UnknownProcess');
    expect((await registry.listHandleGrants(sc)).map((e) => e.grant.processId)).toEqual(['proc-recent']);
    expect(ids(await registry.listNonTerminal())).toEqual(['proc-live-retained']);
    expect(await registry.wakeEventsAfter('proc-recent', 0)).toHaveLength(1);
    expect(await registry.pruneTerminalProcesses(rU)).toEqual({ prunedProcesses: 0, prunedEvents: 0, prunedProcessIds: [] });
    await registry.registerProcess(reg('proc-old'));
    const successor = acquired(await registry.claimProcessLease('proc-old', owner('prune-lease-successor'), 60000));
    expect(successor.fencingToken).toBe(f0);
    expect(f0).toBe(1);
    expect(await registry.eventsAfter('proc-old', 0)).toEqual([]);
  });

  it('C45 prune_respects_filter', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    await registry.registerProcess({
      ...reg('proc-filter-prune'),
      identity: { kind: 'prunable-kind', label: null, definition: null },
      provenance: {
        originator: { kind: 'session', scope: S('filter-prune-session') },
        causedBy: { kind: 'triggerOccurrence', occurrenceId: 'occurrence-prune', subscriptionId: 'subscription-prune' } as never,
      },
    });
    await registry.registerProcess({
      ...reg('proc-filter-keep'),
      identity: { kind: 'retained-kind', label: null, definition: null },
    });
    await registry.completeProcess('proc-filter-prune', success(null), ext('test'));
    await registry.completeProcess('proc-filter-keep', success(null), ext('test'));
    const n = (await registry.eventsAfter('proc-filter-prune', 0)).length;
    // A filter left at the default status `running` matches no terminal row.
    expect(
      (await registry.pruneTerminalProcesses(FAR, { filter: { causedBySubscriptionId: 'subscription-prune' } })).prunedProcesses,
    ).toBe(0);
    const report = await registry.pruneTerminalProcesses(FAR, {
      filter: { status: 'any', causedBySubscriptionId: 'subscription-prune' },
    });
    expect(report.prunedProcesses).toBe(1);
    expect(report.prunedEvents).toBe(n);
    expect(await registry.getProcess('proc-filter-prune')).toBeNull();
    expect((await registry.getProcess('proc-filter-keep'))?.status.kind).toBe('completed');
  });

  it('C46 prune_respects_watermark', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    await registry.registerProcess(reg('proc-watermark-before'));
    await registry.registerProcess(reg('proc-watermark-after'));
    await registry.completeProcess('proc-watermark-before', success(null), ext('test'));
    const c = (await registry.processesChangedSince(ProcessChangeCursor.initial(), 100)).nextCursor;
    const n = (await registry.eventsAfter('proc-watermark-before', 0)).length;
    await registry.completeProcess('proc-watermark-after', success(null), ext('test'));
    const report = await registry.pruneTerminalProcesses(FAR, { upToChangeSeq: c });
    expect(report.prunedProcesses).toBe(1);
    expect(report.prunedEvents).toBe(n);
    expect(await registry.getProcess('proc-watermark-before')).toBeNull();
    expect((await registry.getProcess('proc-watermark-after'))?.status.kind).toBe('completed');
  });

  it('C47 prune_never_touches_non_terminal_rows', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    await registry.registerProcess(reg('proc-live-old'));
    await registry.registerProcess(reg('proc-term-old'));
    await registry.completeProcess('proc-term-old', success(null), ext('test'));
    expect((await registry.pruneTerminalProcesses(FAR)).prunedProcesses).toBe(1);
    expect(await registry.getProcess('proc-term-old')).toBeNull();
    expect((await registry.getProcess('proc-live-old'))?.status.kind).toBe('running');
  });

  it('the log keeps the history: rebuild never resurrects a pruned process', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    await registry.registerProcess(reg('gone'));
    await registry.completeProcess('gone', success(null), ext('test'));
    await registry.pruneTerminalProcesses(FAR);
    const events = await registry.readEvents({ stream: 'process:gone' });
    expect(events.map((e) => e.type)).toEqual(['ProcessRegistered', 'ProcessEventAppended', 'ProcessPruned']);
    expect(await registry.rebuildProjections()).toEqual({ eventCount: 3 });
    expect(await registry.getProcess('gone')).toBeNull();
  });
});

describeRegistries('process registry: segment handovers', (backend) => {
  it('C48 segment_handover_persist_keeps_current_input_for_crash_replay', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    const id = 'segment-crash';
    await registry.registerProcess(segmentReg(id));
    await registry.putSegmentHandover(id, H(1));
    await registry.putSegmentHandover(id, H(2));
    expect(await registry.getSegmentHandover(id, 1)).toEqual(H(1));
    expect(await registry.latestSegmentHandover(id)).toEqual(H(2));
    await registry.putSegmentHandover(id, H(3));
    expect(await registry.getSegmentHandover(id, 1)).toBeNull();
    expect(await registry.getSegmentHandover(id, 2)).toEqual(H(2));
    const count = (await registry.readEvents()).length;
    await registry.putSegmentHandover(id, H(3));
    expect(await registry.readEvents()).toHaveLength(count);
    await rejectsCode(
      registry.putSegmentHandover(id, { ...H(3), handover: { ...H(3).handover, engineState: new Uint8Array([9]) } }),
      'SegmentHandoverConflict',
    );
    await rejectsCode(registry.putSegmentHandover('missing', H(1)), 'UnknownProcess');
    expect(await registry.getSegmentHandover('missing', 1)).toBeNull();
    expect(await registry.processesChangedSince(ProcessChangeCursor.fromStoreSequence(1), 10)).toEqual({
      records: [],
      nextCursor: ProcessChangeCursor.fromStoreSequence(1),
    });
  });

  it('C49 terminal_segment_handover_cleanup_removes_continuation_state', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    const id = 'segment-terminal';
    await registry.registerProcess(segmentReg(id));
    await registry.putSegmentHandover(id, { ...H(1), handover: { ...H(1).handover, engineState: new Uint8Array([7]) } });
    await registry.deleteSegmentHandovers(id);
    expect(await registry.latestSegmentHandover(id)).toBeNull();
    await registry.deleteSegmentHandovers(id);
    await registry.deleteSegmentHandovers('missing');
  });
});

describeRegistries('process registry: host integration', () => {
  it('C50 process_prune_deletes_owned_session_stores', async () => {
    const clock = new ManualClock(1000);
    const dir = registryTempDir();
    const root = join(dir, 'sessions');
    const registry = await openRegistryAt(join(dir, 'processes.db'), { clock, sessionStoreRoot: root });
    const factory = new SqliteSessionStoreFactory(root, { clock, processRegistry: registry });
    const id = 'process-prune-owned-session-stores';
    await registry.registerProcess(reg(id));
    const request = (sessionId: string) => ({
      sessionId,
      relation: { kind: 'root' as const },
      policy: { model: { id: 'model' } },
    });
    const sessionIds = processRuntimeSessionIds(id);
    for (const [i, sessionId] of sessionIds.entries()) {
      const store = await factory.createStore(request(sessionId));
      await store.recordIntent({
        attachmentId: `process-owned-session-intent-${i}`,
        sessionId,
        canonicalUri: `lash-attachment://process-owned-${i}`,
        intentAtEpochMs: 1,
        ownerKind: 'process',
        ownerId: id,
      });
      await store.close();
      expect(existsSync(factory.pathForSession(sessionId))).toBe(true);
    }
    const t = await registry.completeProcess(id, success(null), ext('test'));
    expect((await registry.pruneTerminalProcesses(t.updatedAtMs + 1)).prunedProcesses).toBe(1);
    for (const sessionId of sessionIds) {
      expect(await factory.openExistingStore(request(sessionId))).toBeNull();
      const path = factory.pathForSession(sessionId);
      expect(existsSync(`${path}-wal`)).toBe(false);
      expect(existsSync(`${path}-shm`)).toBe(false);
    }
  });
}, [fileRegistryBackend]);
