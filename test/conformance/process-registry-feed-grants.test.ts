/** 30-process-registry §5.5 (C23, C24) and §5.6 (C25–C29): change feed, handle grants, session deletion. */
import { expect, it } from 'vitest';
import { ProcessChangeCursor, type ProcessRecord } from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import {
  append,
  delay,
  ext,
  plainType,
  plus,
  reg,
  rejectsCode,
  S,
  success,
  wakeType,
  within,
} from '../support/process-fixtures.js';
import { describeRegistries } from '../support/registries.js';

const ids = (records: ProcessRecord[]) => records.map((r) => r.id);
const yieldOnce = () => new Promise<void>((resolve) => setImmediate(resolve));

describeRegistries('process registry: change feed', (backend) => {
  it('C23 process_change_feed_orders_resumes_and_includes_terminal_transitions', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    const initial = ProcessChangeCursor.initial();
    expect(await registry.processesChangedSince(initial, 10)).toEqual({ records: [], nextCursor: initial });
    expect(await registry.processesChangedSince(initial, 0)).toEqual({ records: [], nextCursor: initial });
    await registry.registerProcess(plus(reg('proc-change-a'), plainType('producer.tick')));
    await registry.registerProcess(reg('proc-change-b'));
    const p1 = await registry.processesChangedSince(initial, 1);
    expect(ids(p1.records)).toEqual(['proc-change-a']);
    const cA = p1.nextCursor;
    const again = await registry.processesChangedSince(initial, 1);
    expect(ids(again.records)).toEqual(['proc-change-a']);
    expect(again.nextCursor).toEqual(cA);
    const p2 = await registry.processesChangedSince(cA, 1);
    expect(ids(p2.records)).toEqual(['proc-change-b']);
    const cB = p2.nextCursor;
    expect(await registry.processesChangedSince(cB, 10)).toEqual({ records: [], nextCursor: cB });
    await append(registry, 'proc-change-a', 'producer.tick', { n: 1 });
    await registry.completeProcess('proc-change-b', success('done'), ext('test'));
    const p3 = await registry.processesChangedSince(cB, 1);
    expect(ids(p3.records)).toEqual(['proc-change-a']);
    const p4 = await registry.processesChangedSince(p3.nextCursor, 1);
    expect(ids(p4.records)).toEqual(['proc-change-b']);
    expect(p4.records[0]?.status.kind).toBe('completed');
    const cT = p4.nextCursor;
    expect(await registry.processesChangedSince(cT, 10)).toEqual({ records: [], nextCursor: cT });
    expect(p4.records[0]?.changeSeq).toBe(cT.storeSequence);
  });

  it('C24 process_change_feed_never_misses_concurrent_terminal_writers', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    const W = 48;
    const expected = Array.from({ length: W }, (_, i) => `proc-change-concurrent-${String(i).padStart(2, '0')}`);
    const terminalCounts = new Map<string, number>();
    let arrived = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const barrier = async () => {
      arrived++;
      if (arrived === W + 1) release();
      await gate;
    };
    let done = false;
    const reader = (async () => {
      await barrier();
      let cursor = ProcessChangeCursor.initial();
      for (;;) {
        const page = await registry.processesChangedSince(cursor, 2);
        if (page.records.length === 0) {
          if (done && expected.every((id) => terminalCounts.get(id) === 1)) return;
          await yieldOnce();
          await delay(1);
          continue;
        }
        expect(page.nextCursor.storeSequence).toBeGreaterThan(cursor.storeSequence);
        cursor = page.nextCursor;
        for (const record of page.records) {
          if (expected.includes(record.id) && record.status.kind !== 'running') {
            terminalCounts.set(record.id, (terminalCounts.get(record.id) ?? 0) + 1);
          }
        }
      }
    })();
    const writers = expected.map(async (id, i) => {
      await barrier();
      await registry.registerProcess(plus(reg(id), plainType('producer.concurrent_mutation')));
      if (i % 3 === 0) await delay(1);
      else await yieldOnce();
      await append(registry, id, 'producer.concurrent_mutation', { writer: i });
      if (i % 2 === 0) await yieldOnce();
      else await delay(1);
      await registry.completeProcess(id, success({ writer: i }), ext('test'));
    });
    await Promise.all(writers);
    done = true;
    await within(reader, 10_000, 'the change feed reader');
    expect(terminalCounts.size).toBe(48);
    for (const id of expected) expect(terminalCounts.get(id)).toBe(1);
  });
});

describeRegistries('process registry: handle grants', (backend) => {
  it('C25 transfer_handle_grants_moves_addressability', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    await registry.registerProcess(reg('proc-3'));
    await registry.grantHandle(S('s1'), 'proc-3', { kind: 'tool', label: 'demo' });
    const before = (await registry.getProcess('proc-3'))!.changeSeq;
    await registry.transferHandleGrants(S('s1'), S('s2'), ['proc-3']);
    expect(await registry.listHandleGrants(S('s1'))).toEqual([]);
    const moved = await registry.listHandleGrants(S('s2'));
    expect(moved).toHaveLength(1);
    expect(moved[0]?.grant).toEqual({ sessionId: 's2', processId: 'proc-3', descriptor: { kind: 'tool', label: 'demo' } });
    expect(await registry.eventsAfter('proc-3', 0)).toEqual([]);
    expect((await registry.getProcess('proc-3'))!.changeSeq).toBe(before);
  });

  it('C26 multiple_sessions_can_hold_grants', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    await registry.registerProcess(reg('proc-5'));
    await registry.grantHandle(S('s1'), 'proc-5', { kind: 'tool', label: 'demo' });
    await registry.grantHandle(S('s2'), 'proc-5', { kind: 'worker', label: 'demo' });
    expect((await registry.handleGrantsForProcess('proc-5')).map((g) => g.sessionId)).toEqual(['s1', 's2']);
    await registry.transferHandleGrants(S('s1'), S('s3'), ['proc-5']);
    expect((await registry.handleGrantsForProcess('proc-5')).map((g) => g.sessionId)).toEqual(['s2', 's3']);
    expect(await registry.eventsAfter('proc-5', 0)).toEqual([]);
  });

  it('C27 processes_can_exist_with_zero_grants', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    await registry.registerProcess(reg('proc-4'));
    expect(await registry.listHandleGrants(S('s1'))).toEqual([]);
    expect(await registry.handleGrantsForProcess('proc-4')).toEqual([]);
  });

  it('C28 list_live_handle_grants_excludes_terminal_history', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    const sc = S('history-owner');
    for (const id of ['proc-live-grant', 'proc-done-grant']) {
      await registry.registerProcess(reg(id));
      await registry.grantHandle(sc, id, { kind: 'test', label: id });
    }
    await registry.completeProcess('proc-done-grant', success(null), ext('test'));
    expect((await registry.listLiveHandleGrants(sc)).map((e) => e.grant.processId)).toEqual(['proc-live-grant']);
    expect((await registry.listHandleGrants(sc)).map((e) => e.grant.processId)).toEqual(['proc-done-grant', 'proc-live-grant']);
  });

  it('C29 delete_session_revokes_handles_by_session', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    const D = S('deleted');
    const R = S('remaining');
    for (const id of ['sole', 'shared', 'terminal']) {
      await registry.registerProcess({ ...plus(reg(id), wakeType('producer.wake')), wakeTarget: D });
      await registry.grantHandle(D, id, { kind: 'test', label: id });
    }
    await registry.grantHandle(R, 'shared', { kind: 'test', label: 'shared' });
    await registry.completeProcess('terminal', success(null), ext('conformance'));
    await append(registry, 'sole', 'producer.wake', { wake_input: 'wake deleted' }, { target: D });
    const sw = await append(registry, 'shared', 'producer.wake', { wake_input: 'wake shared' }, { target: R });
    await registry.ackWake('shared', sw.event.sequence);
    expect(await registry.wakeEventsAfter('shared', 0)).toEqual([]);
    const rep = await registry.deleteSessionProcessState('deleted');
    expect(rep.revokedHandleCount).toBe(3);
    expect(rep.deletedWakeCount).toBe(0);
    expect(rep.orphanedProcessIds).toEqual(['sole']);
    expect(rep.preservedProcessIds).toEqual(['shared']);
    for (const id of ['sole', 'shared', 'terminal']) {
      const record = await registry.getProcess(id);
      expect(record).not.toBeNull();
      expect(record?.wakeTarget).toBeNull();
    }
    expect((await registry.getProcess('terminal'))?.status.kind).toBe('completed');
    expect(await registry.listHandleGrants(D)).toEqual([]);
    expect(await registry.listHandleGrants(R)).toHaveLength(1);
    expect(await registry.wakeEventsAfter('shared', 0)).toEqual([]);
  });

  it('grants are per scope id; frames are distinct grantees; failed transfers roll back whole', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    const frame = { sessionId: 's', agentFrameId: 'f1' };
    await registry.registerProcess(reg('a'));
    await registry.registerProcess(reg('b'));
    await registry.grantHandle(frame, 'a', { kind: null, label: null });
    expect(await registry.hasHandleGrant(S('s'), 'a')).toBe(false);
    expect(await registry.hasHandleGrant(frame, 'a')).toBe(true);
    await registry.grantHandle(S('s'), 'a', { kind: 'k', label: null });
    expect((await registry.handleGrantsForProcess('a')).map((g) => g.sessionId)).toEqual(['s', 's']);
    const before = await registry.readEvents();
    const error = await rejectsCode(registry.transferHandleGrants(frame, S('t'), ['a', 'b']), 'HandleNotGranted');
    expect(error.message).toBe('process handle `b` is not granted to session `s`');
    expect(error.sessionId).toBe('s');
    expect(await registry.readEvents()).toEqual(before);
    expect(await registry.hasHandleGrant(frame, 'a')).toBe(true);
    await rejectsCode(registry.transferHandleGrants(frame, S('t'), ['a', 'a']), 'HandleNotGranted');
    await registry.transferHandleGrants(frame, frame, ['a', 'a']);
    await registry.transferHandleGrants(frame, S('t'), []);
    await rejectsCode(registry.grantHandle(S('s'), 'missing', { kind: null, label: null }), 'UnknownProcess');
    await rejectsCode(registry.handleGrantsForProcess('missing'), 'UnknownProcess');
    await registry.revokeHandle(S('nobody'), 'missing');
    // Re-granting with an identical descriptor appends nothing.
    const count = (await registry.readEvents()).length;
    await registry.grantHandle(S('s'), 'a', { kind: 'k', label: null });
    expect(await registry.readEvents()).toHaveLength(count);
  });
});
