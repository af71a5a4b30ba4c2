/** 30-process-registry §5.8 (C38–C42), S1–S3, S5–S9: awaiting, watching and notifications. */
import type { Subscription } from 'rxjs';
import { expect, it } from 'vitest';
import { type Clock, ProcessChangeCursor, ProcessEventAppendRequest, type ProcessRecord } from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import {
  acquired,
  append,
  busy,
  delay,
  ext,
  owner,
  plainType,
  plus,
  reg,
  rejectsCode,
  S,
  success,
  within,
} from '../support/process-fixtures.js';
import { describeRegistries } from '../support/registries.js';

interface Collected {
  records: ProcessRecord[];
  completed: boolean;
  error: unknown;
  subscription: Subscription;
}

function collect(source: { subscribe: (o: object) => Subscription }): Collected {
  const c: Collected = { records: [], completed: false, error: undefined, subscription: undefined as unknown as Subscription };
  c.subscription = source.subscribe({
    next: (r: ProcessRecord) => c.records.push(r),
    complete: () => {
      c.completed = true;
    },
    error: (e: unknown) => {
      c.error = e;
    },
  });
  return c;
}

async function until(check: () => boolean, ms: number, label: string): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`${label} not within ${ms} ms`);
    await delay(2);
  }
}

const wait = {
  sinceMs: 1,
  kind: { kind: 'signal' as const, name: 'ready', eventType: 'signal.ready', key: 'process:proc:signal.ready:1', ordinal: 1 },
};

describeRegistries('process registry: awaiting and watching', (backend) => {
  it('C38 awaiter_cross_task_completion_resolves_promptly', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    await registry.registerProcess(reg('proc-await-cross-task'));
    const waiting = registry.awaitTerminal('proc-await-cross-task');
    await registry.completeProcess('proc-await-cross-task', success({ cross: 'task', n: 7 }), ext('test'));
    expect(await within(waiting, 2000)).toEqual(success({ cross: 'task', n: 7 }));
  });

  it('C39 awaiter_await_event_never_returns_events_at_or_before_cursor', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    const id = 'proc-await-cursor';
    await registry.registerProcess(plus(reg(id), plainType('signal.ping')));
    await append(registry, id, 'signal.ping', {});
    await append(registry, id, 'signal.ping', {});
    expect((await registry.awaitEvent(id, 'signal.ping', 1)).sequence).toBe(2);
    let settled = false;
    const pending = registry.awaitEvent(id, 'signal.ping', 2).finally(() => {
      settled = true;
    });
    await delay(150);
    expect(settled).toBe(false);
    await append(registry, id, 'signal.ping', {});
    expect((await within(pending, 2000)).sequence).toBe(3);
  });

  it('C40 registry_results_match_reads_with_live_observers', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    const seen = collect(registry.changes$());
    const id = 'proc-decorated';
    const g = await registry.registerProcess(plus(reg(id), plainType('producer.tick')));
    expect(JSON.stringify(await registry.getProcess(id))).toBe(JSON.stringify(g));
    const watched = collect(registry.watchProcess(id));
    const ap = await append(registry, id, 'producer.tick', {});
    expect(JSON.stringify(await registry.eventsAfter(id, 0))).toBe(JSON.stringify([ap.event]));
    await registry.grantHandle(S('decorator-owner'), id, { kind: 'test', label: 'decorated' });
    expect(await registry.hasHandleGrant(S('decorator-owner'), id)).toBe(true);
    const cl = acquired(await registry.claimProcessLease(id, owner('decorator-owner-a'), 60000));
    expect(busy(await registry.claimProcessLease(id, owner('decorator-owner-b'), 60000)).leaseToken).toBe(cl.leaseToken);
    await registry.completeProcess(id, success('done'), ext('test'));
    expect((await registry.getProcess(id))?.status.kind).toBe('completed');
    expect(await registry.listNonTerminal()).toEqual([]);
    await until(() => watched.completed && seen.records.at(-1)?.status.kind === 'completed', 2000, 'observers');
    const current = await registry.getProcess(id);
    expect(watched.records.at(-1)).toEqual(current);
    expect(seen.records.at(-1)).toEqual(current);
    seen.subscription.unsubscribe();
  });

  it('C41 await_abort_and_close_end_pending_waits', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    const id = 'proc-await-abort';
    await registry.registerProcess(reg(id));
    const ac = new AbortController();
    const p = registry.awaitTerminal(id, { signal: ac.signal });
    await delay(50);
    const reason = new Error('stop waiting');
    ac.abort(reason);
    await expect(p).rejects.toBe(reason);
    await expect(registry.awaitTerminal(id, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    const q = registry.awaitEvent(id, 'process.cancel_requested', 0);
    const o = collect(registry.watchProcess(id));
    expect(o.records).toHaveLength(1);
    await registry.close();
    await rejectsCode(q, 'Closed');
    await until(() => o.completed, 1000, 'watchProcess completion');
    expect(o.error).toBeUndefined();
    const closed = await rejectsCode(registry.getProcess(id), 'Closed');
    expect(closed.message).toBe('process registry is closed');
    await registry.close();
  });

  it('C42 watch_process_emits_changes_and_completes_after_terminal', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    const missing = collect(registry.watchProcess('missing-process'));
    await until(() => missing.error !== undefined, 1000, 'UnknownProcess');
    expect((missing.error as { code: string }).code).toBe('UnknownProcess');
    const id = 'proc-watch';
    await registry.registerProcess(plus(reg(id), plainType('producer.tick')));
    const w = collect(registry.watchProcess(id));
    expect(w.records[0]).toEqual(await registry.getProcess(id));
    await registry.grantHandle(S('watcher'), id, { kind: 'test', label: 'watch' });
    await delay(100);
    expect(w.records).toHaveLength(1);
    await append(registry, id, 'producer.tick', { n: 1 });
    await until(() => w.records.length === 2, 1000, 'tick emission');
    expect(w.records[1]!.changeSeq).toBeGreaterThan(w.records[0]!.changeSeq);
    await registry.completeProcess(id, success({ ok: true }), ext('test'));
    await until(() => w.completed, 1000, 'terminal emission');
    expect(w.records.at(-1)?.status).toEqual({ kind: 'completed', awaitOutput: success({ ok: true }) });
    const seqs = w.records.map((r) => r.changeSeq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(seqs.length);
    const again = collect(registry.watchProcess(id));
    await until(() => again.completed, 1000, 'second subscription');
    expect(again.records).toHaveLength(1);
    expect(again.records[0]?.status.kind).toBe('completed');
  });

  it('S1 await_backoff_schedule_has_25ms_floor_doubling_to_1s_cap', async () => {
    const sleeps: number[] = [];
    const ac = new AbortController();
    const clock: Clock = {
      timestampMs: () => 1000,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        if (sleeps.length === 9) ac.abort(new Error('enough'));
      },
    };
    const { registry } = await backend.open({ clock });
    await registry.registerProcess(reg('proc'));
    await expect(registry.awaitTerminal('proc', { signal: ac.signal })).rejects.toThrow('enough');
    expect(sleeps.slice(0, 9)).toEqual([25, 50, 100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('S2 prune_produces_no_notifications_or_changes', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    await registry.registerProcess(reg('proc-terminal'));
    const done = await registry.completeProcess('proc-terminal', success(null), ext('test'));
    const live = await registry.registerProcess(reg('proc-live'));
    const m = Math.max(done.changeSeq, live.changeSeq);
    const watched = collect(registry.watchProcess('proc-live'));
    const changes = collect(registry.changes$(ProcessChangeCursor.fromStoreSequence(m)));
    expect(watched.records).toHaveLength(1);
    expect(changes.records).toHaveLength(0);
    expect((await registry.pruneTerminalProcesses(Number.MAX_SAFE_INTEGER)).prunedProcesses).toBe(1);
    await delay(200);
    expect(watched.records).toHaveLength(1);
    expect(changes.records).toHaveLength(0);
    watched.subscription.unsubscribe();
    changes.subscription.unsubscribe();
  });

  it('S3 watch_process_emits_after_mutation_and_stops_after_unsubscribe', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    await registry.registerProcess(reg('proc'));
    const w = collect(registry.watchProcess('proc'));
    expect(w.records).toHaveLength(1);
    await registry.setProcessWait('proc', wait);
    await until(() => w.records.length === 2, 100, 'wait emission');
    w.subscription.unsubscribe();
    await registry.clearProcessWait('proc');
    await delay(100);
    expect(w.records).toHaveLength(2);
  });

  it('S5 await_terminal_unknown_process_errors', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    const error = await rejectsCode(registry.awaitTerminal('missing'), 'UnknownProcess');
    expect(error.message).toContain('unknown process `missing`');
    await rejectsCode(registry.awaitEvent('missing', 'x', 0), 'UnknownProcess');
  });

  it('S6 watched_awaiter_observes_terminal_without_lost_wakeup', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    await registry.registerProcess(reg('proc'));
    const waiting = registry.awaitTerminal('proc');
    await registry.completeProcess('proc', success('now'), ext('test'));
    expect(await within(waiting, 200)).toEqual(success('now'));
  });

  it('S7 change_stream_emits_on_register_and_append', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    const c = collect(registry.changes$());
    await registry.registerProcess(reg('proc'));
    await until(() => c.records.length === 1, 1000, 'register emission');
    expect(c.records[0]?.id).toBe('proc');
    await registry.appendEvent('proc', ProcessEventAppendRequest.cancelRequested('proc', 'stop'));
    await until(() => c.records.length === 2, 1000, 'append emission');
    expect(c.records[1]!.changeSeq).toBeGreaterThan(c.records[0]!.changeSeq);
    c.subscription.unsubscribe();
  });

  it('S8 await_terminal_on_terminal_process_resolves_without_waiting', async () => {
    const clock: Clock = { timestampMs: () => 1000, sleep: () => new Promise<void>(() => {}) };
    const { registry } = await backend.open({ clock });
    await registry.registerProcess(reg('proc'));
    await registry.completeProcess('proc', success(1), ext('test'));
    expect(await within(registry.awaitTerminal('proc'), 500)).toEqual(success(1));
  });

  it('S9 concurrent_waiters_all_resolve_with_identical_output_on_completion', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    await registry.registerProcess(reg('proc'));
    const waits = Array.from({ length: 16 }, () => registry.awaitTerminal('proc'));
    await registry.completeProcess('proc', success({ all: 16 }), ext('test'));
    const outputs = await within(Promise.all(waits), 2000);
    for (const output of outputs) expect(output).toEqual(success({ all: 16 }));
  });

  it('in-process watchers see a commit before the committing call returns', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    const id = 'proc-sync-watch';
    await registry.registerProcess(plus(reg(id), plainType('producer.tick')));
    const w = collect(registry.watchProcess(id));
    const feed = collect(registry.changes$());
    const terminal = registry.awaitTerminal(id);
    await delay(5); // every loop parked on its wait
    expect(w.records).toHaveLength(1);
    // An observer that commits from inside its callback: the nested change is seen too, not lost.
    let nested = false;
    const reentrant = registry.watchProcess(id).subscribe((record) => {
      if (record.changeSeq > w.records[0]!.changeSeq && !nested) {
        nested = true;
        void append(registry, id, 'producer.tick', { n: 2 });
      }
    });
    const pending = append(registry, id, 'producer.tick', { n: 1 });
    // `append` has committed synchronously; the emissions happened inside it, before it resolved.
    expect(w.records).toHaveLength(2);
    // The change feed coalesces a process's changes: it has reached at least this commit.
    expect(feed.records.at(-1)!.changeSeq).toBeGreaterThanOrEqual(w.records[1]!.changeSeq);
    await pending;
    await until(() => w.records.length === 3, 1000, 'the nested commit');
    expect(w.records[2]!.changeSeq).toBeGreaterThan(w.records[1]!.changeSeq);
    let resolved = false;
    void terminal.then(() => {
      resolved = true;
    });
    const completing = registry.completeProcess(id, success({ ok: 1 }), ext('test'));
    expect(w.records.at(-1)?.status.kind).toBe('completed');
    await completing;
    expect(await terminal).toEqual(success({ ok: 1 }));
    expect(resolved).toBe(true);
    reentrant.unsubscribe();
    feed.subscription.unsubscribe();
  });

  it('changes$ resumes from a persisted changeSeq and close completes it', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    await registry.registerProcess(reg('a'));
    const b = await registry.registerProcess(reg('b'));
    await registry.setProcessWait('a', wait);
    const resumed = collect(registry.changes$(ProcessChangeCursor.fromStoreSequence(b.changeSeq)));
    expect(resumed.records.map((r) => r.id)).toEqual(['a']);
    await registry.close();
    await until(() => resumed.completed, 1000, 'completion on close');
    expect(() => registry.changes$()).toThrow('process registry is closed');
  });
});
