/** 30-process-registry §5.2 (C6–C12) and S4: event validation, replay keys, wakes, event reads. */
import { expect, it } from 'vitest';
import { ProcessEventAppendRequest, type ProcessEventType } from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import {
  append,
  delay,
  ext,
  FAR,
  only,
  plainType,
  plus,
  reg,
  rejectsCode,
  S,
  wakeType,
  within,
} from '../support/process-fixtures.js';
import { describeRegistries } from '../support/registries.js';

describeRegistries('process registry: process events', (backend) => {
  it('C6 validates_custom_events_and_materializes_wakes', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    const line: ProcessEventType = {
      name: 'producer.line',
      payloadSchema: {
        type: 'object',
        properties: { line: { type: 'string' }, wake_input: { type: 'string' } },
        required: ['line'],
        additionalProperties: true,
      },
      semantics: {
        terminal: null,
        wake: {
          when: { kind: 'present', pointer: '/wake_input' },
          input: { kind: 'pointer', pointer: '/wake_input' },
          dedupeKey: { kind: 'eventIdentity' },
        },
      },
    };
    await registry.registerProcess(plus(reg('proc-1'), line));
    const r = await append(
      registry,
      'proc-1',
      'producer.line',
      { line: 'deploy failed', wake_input: 'Process event: deploy failed' },
      { target: S('s1') },
    );
    expect(r.event.sequence).toBe(1);
    expect(r.event.semantics.wake?.input).toBe('Process event: deploy failed');
    expect(await registry.wakeEventsAfter('proc-1', 0)).toHaveLength(1);
    await registry.ackWake('proc-1', 1);
    expect(await registry.wakeEventsAfter('proc-1', 0)).toEqual([]);
    const before = await registry.readEvents();
    const error = await rejectsCode(
      append(registry, 'proc-1', 'producer.line', { wake_input: 'missing required line' }),
      'InvalidPayload',
    );
    expect(error.message).toMatch(/^invalid `producer.line` payload: /);
    expect(await registry.readEvents()).toEqual(before);
  });

  it('C7 custom_wake_events_preserve_typed_provenance_and_replay', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    const target = { sessionId: 'target-session', agentFrameId: 'target-frame' };
    const cb = { kind: 'sessionNode' as const, sessionId: 'target-session', nodeId: 'trigger:button' };
    await registry.registerProcess({
      ...plus(reg('proc-provenance'), wakeType('producer.custom_wake')),
      provenance: { originator: { kind: 'session', scope: S('owner-session') }, causedBy: cb },
    });
    const req = {
      eventType: 'producer.custom_wake',
      payload: { line: 'build failed', wake_input: 'custom wake: build failed' },
      replay: { key: 'custom-wake:build-failed' },
      wakeTargetScope: target,
    };
    const f = await registry.appendEvent('proc-provenance', req);
    const r = await registry.appendEvent('proc-provenance', req);
    expect(f.event.sequence).toBe(1);
    expect(r.event.sequence).toBe(1);
    expect(await registry.eventsAfter('proc-provenance', 0)).toHaveLength(1);
    expect(f.event.invocation.scope).toEqual({ sessionId: 'runtime' });
    expect(f.event.invocation.subject).toEqual({
      kind: 'processEvent',
      processId: 'proc-provenance',
      sequence: 1,
      eventType: 'producer.custom_wake',
    });
    expect(f.event.invocation.causedBy).toEqual({ kind: 'process', processId: 'proc-provenance' });
    expect(f.event.invocation.replay).toEqual({ key: 'custom-wake:build-failed' });
    expect(Object.keys(f.event.invocation).sort()).toEqual(['causedBy', 'replay', 'scope', 'subject']);
    const w = f.wakeDelivery;
    expect(w).not.toBeNull();
    expect(w?.eventType).toBe('producer.custom_wake');
    expect(w?.eventInvocation).toEqual(f.event.invocation);
    expect(w?.processCausedBy).toEqual(cb);
    expect(w?.targetSessionId).toBe('target-session');
    expect(w?.targetScopeId).toBe('session:target-session/frame:target-frame');
    expect(w?.processId).toBe('proc-provenance');
    expect(w?.sequence).toBe(1);
    expect(w?.dedupeKey).toBe('proc-provenance:1');
    expect(w?.input).toBe('custom wake: build failed');
    expect(r.wakeDelivery?.wakeId).toBe(w?.wakeId);
  });

  it('C8 event_streams_filter_order_and_wait_without_leaking_old_events', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    const id = 'proc-stream';
    await registry.registerProcess(
      plus(reg(id), plainType('producer.line'), wakeType('producer.wake'), plainType('producer.future')),
    );
    await append(registry, id, 'producer.line', { line: 'one' });
    await append(registry, id, 'producer.wake', { wake_input: 'wake two' }, { target: S('root') });
    await append(registry, id, 'producer.line', { line: 'three' });
    const pairs = (events: Array<{ sequence: number; eventType: string }>) => events.map((e) => [e.sequence, e.eventType]);
    expect(pairs(await registry.eventsAfter(id, 1))).toEqual([
      [2, 'producer.wake'],
      [3, 'producer.line'],
    ]);
    expect(await registry.eventsAfter(id, 3)).toEqual([]);
    expect(pairs(await registry.wakeEventsAfter(id, 1))).toEqual([[2, 'producer.wake']]);
    expect(await registry.wakeEventsAfter(id, 2)).toEqual([]);
    expect((await within(registry.awaitEvent(id, 'producer.line', 1), 500)).sequence).toBe(3);
    const pending = registry.awaitEvent(id, 'producer.future', 3);
    await delay(20);
    await append(registry, id, 'producer.future', { line: 'four' });
    expect((await within(pending, 1000)).sequence).toBe(4);
  });

  it('C9 wake_semantics_matrix_materializes_declared_wakes', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    const id = 'proc-wake-matrix';
    const wt = (name: string, wake: NonNullable<ProcessEventType['semantics']['wake']>): ProcessEventType => ({
      name,
      payloadSchema: {},
      semantics: { terminal: null, wake },
    });
    const eid = { kind: 'eventIdentity' as const };
    await registry.registerProcess(
      plus(
        reg(id),
        wt('matrix.when_false', {
          when: { kind: 'const', value: false },
          input: { kind: 'const', value: 'must not wake' },
          dedupeKey: eid,
        }),
        wt('matrix.payload', { when: null, input: { kind: 'payload' }, dedupeKey: eid }),
        wt('matrix.const_input', { when: null, input: { kind: 'const', value: 'constant wake input' }, dedupeKey: eid }),
        wt('matrix.template', {
          when: null,
          input: {
            kind: 'template',
            template: 'line {line} #{n}',
            fields: { line: { kind: 'pointer', pointer: '/line' }, n: { kind: 'pointer', pointer: '/n' } },
          },
          dedupeKey: eid,
        }),
        wt('matrix.selector_dedupe', {
          when: null,
          input: { kind: 'pointer', pointer: '/wake_input' },
          dedupeKey: { kind: 'selector', selector: { kind: 'pointer', pointer: '/dedupe' } },
        }),
        wt('matrix.const_dedupe', {
          when: null,
          input: { kind: 'pointer', pointer: '/wake_input' },
          dedupeKey: { kind: 'const', value: 'constant-dedupe' },
        }),
      ),
    );
    const t = { target: S('root') };
    expect((await append(registry, id, 'matrix.when_false', {}, t)).wakeDelivery).toBeNull();
    const p = await append(registry, id, 'matrix.payload', 'payload wake', t);
    expect(p.wakeDelivery?.input).toBe('payload wake');
    expect(p.wakeDelivery?.dedupeKey).toBe('proc-wake-matrix:2');
    expect((await append(registry, id, 'matrix.const_input', {}, t)).wakeDelivery?.input).toBe('constant wake input');
    expect((await append(registry, id, 'matrix.template', { line: 'done', n: 7 }, t)).wakeDelivery?.input).toBe('line done #7');
    const s1 = await append(registry, id, 'matrix.selector_dedupe', { wake_input: 'selector one', dedupe: 'group-a' }, t);
    const s2 = await append(registry, id, 'matrix.selector_dedupe', { wake_input: 'selector two', dedupe: 'group-a' }, t);
    expect(s1.wakeDelivery?.dedupeKey).toBe('group-a');
    expect(s1.wakeDelivery?.wakeId).toBe(s2.wakeDelivery?.wakeId);
    const c1 = await append(registry, id, 'matrix.const_dedupe', { wake_input: 'const one' }, t);
    const c2 = await append(registry, id, 'matrix.const_dedupe', { wake_input: 'const two' }, t);
    expect(c1.wakeDelivery?.dedupeKey).toBe('constant-dedupe');
    expect(c1.wakeDelivery?.wakeId).toBe(c2.wakeDelivery?.wakeId);
    expect((await registry.wakeEventsAfter(id, 0)).map((e) => e.sequence)).toEqual([2, 3, 4, 5, 6, 7, 8]);
  });

  it('C10 keyed_events_materialize_idempotent_wakes', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    await registry.registerProcess(plus(reg('proc-wake'), wakeType('process.wake')));
    const req = {
      eventType: 'process.wake',
      payload: { message: 'deploy failed', wake_input: 'Process wake: deploy failed' },
      replay: { key: 'wake:deploy failed' },
      wakeTargetScope: S('session'),
    };
    const a = await registry.appendEvent('proc-wake', req);
    const b = await registry.appendEvent('proc-wake', req);
    expect(a.event.sequence).toBe(b.event.sequence);
    expect(a.wakeDelivery).toEqual(b.wakeDelivery);
    expect(a.wakeDelivery?.input).toBe('Process wake: deploy failed');
    expect(a.wakeDelivery?.targetScopeId).toBe('session:session');
    expect(a.wakeDelivery?.processId).toBe('proc-wake');
    expect(a.wakeDelivery?.sequence).toBe(a.event.sequence);
    await rejectsCode(
      append(
        registry,
        'proc-wake',
        'process.wake',
        { message: 'other', wake_input: 'Process wake: other' },
        { key: 'wake:deploy failed' },
      ),
      'ReplayKeyConflict',
    );
  });

  it('C11 terminal_and_cancel_events_require_keys', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    await registry.registerProcess(reg('proc-terminal'));
    await rejectsCode(append(registry, 'proc-terminal', 'process.cancel_requested', { reason: 'stop' }), 'ReplayKeyRequired');
    await rejectsCode(
      append(registry, 'proc-terminal', 'process.cancel_requested', { reason: 'stop' }, { key: '' }),
      'ReplayKeyRequired',
    );
    await registry.appendEvent('proc-terminal', ProcessEventAppendRequest.cancelRequested('proc-terminal', 'stop'));
    await registry.completeProcess('proc-terminal', { kind: 'cancelled', message: 'stopped' } as never, ext('conformance'));
    expect((await registry.getProcess('proc-terminal'))?.status.kind).toBe('cancelled');
  });

  it('C12 count_and_recent_events_match_the_log', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    await rejectsCode(registry.countEventsThrough('missing-process', 'signal.ready', 10), 'UnknownProcess');
    await rejectsCode(registry.recentEvents('missing-process', 4), 'UnknownProcess');
    const id = 'proc-event-queries';
    await registry.registerProcess(only(reg(id), plainType('signal.a'), plainType('b')));
    const types = ['signal.a', 'b', 'signal.a', 'signal.a', 'b'];
    for (const [i, t] of types.entries()) {
      expect((await append(registry, id, t, { n: i }, { key: `${id}:${i}` })).event.sequence).toBe(i + 1);
    }
    expect(await registry.countEventsThrough(id, 'signal.a', 5)).toBe(3);
    expect(await registry.countEventsThrough(id, 'signal.a', 3)).toBe(2);
    expect(await registry.countEventsThrough(id, 'signal.missing', FAR)).toBe(0);
    const all = await registry.eventsAfter(id, 0);
    expect((await registry.recentEvents(id, 2)).map((e) => e.sequence)).toEqual(all.slice(-2).map((e) => e.sequence));
    expect((await registry.recentEvents(id, 2)).map((e) => e.sequence)).toEqual([4, 5]);
    expect(await registry.recentEvents(id, 100)).toHaveLength(5);
    expect(await registry.recentEvents(id, 0)).toEqual([]);
  });

  it('S4 await_event_returns_historical_event_immediately', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    await registry.registerProcess(reg('proc'));
    const appended = await registry.appendEvent('proc', ProcessEventAppendRequest.cancelRequested('proc', 'stop'));
    const event = await within(registry.awaitEvent('proc', 'process.cancel_requested', 0), 500);
    expect(event.sequence).toBe(appended.event.sequence);
  });

  it('undeclared types, non-local $ref schemas and selector failures are typed errors that write nothing', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    await registry.registerProcess(
      plus(
        reg('p'),
        { name: 'remote', payloadSchema: { $ref: 'https://example.com/schema.json' }, semantics: { terminal: null, wake: null } },
        {
          name: 'wake.ptr',
          payloadSchema: {},
          semantics: {
            terminal: null,
            wake: { when: null, input: { kind: 'pointer', pointer: '/nope' }, dedupeKey: { kind: 'eventIdentity' } },
          },
        },
      ),
    );
    const before = await registry.readEvents();
    await rejectsCode(append(registry, 'p', 'not.declared', {}), 'UndeclaredEventType');
    const remote = await rejectsCode(append(registry, 'p', 'remote', {}), 'InvalidPayload');
    expect(remote.message).toContain('non-local $ref');
    const sel = await rejectsCode(append(registry, 'p', 'wake.ptr', { x: 1 }), 'SelectorFailed');
    expect(sel.message).toBe('payload pointer `/nope` did not match');
    await rejectsCode(append(registry, 'missing', 'process.waiting', {}), 'UnknownProcess');
    expect(await registry.readEvents()).toEqual(before);
    expect((await registry.getProcess('p'))?.changeSeq).toBe(before.at(-1)?.seq);
  });

  it('a non-terminal event on a terminal row is allowed; a second terminal is AlreadyTerminal', async () => {
    const clock = new ManualClock(1000);
    const { registry } = await backend.open({ clock });
    await registry.registerProcess(plus(reg('p'), plainType('late.note')));
    const done = await registry.completeProcess('p', { kind: 'success', value: 1, control: null }, ext('x'));
    clock.advance(10);
    const late = await append(registry, 'p', 'late.note', { n: 1 });
    const after = await registry.getProcess('p');
    expect(late.event.sequence).toBe(2);
    expect(after?.status.kind).toBe('completed');
    expect(after?.updatedAtMs).toBe(1010);
    expect(after!.changeSeq).toBeGreaterThan(done.changeSeq);
    await rejectsCode(
      registry.completeProcess(
        'p',
        { kind: 'failure', class: 'execution', code: 'c', message: 'm', raw: null, control: null },
        ext('x'),
      ),
      'AlreadyTerminal',
    );
    await rejectsCode(registry.completeProcess('p', { kind: 'success', value: 2, control: null }, ext('x')), 'ReplayKeyConflict');
  });

  it('custom declared terminal types complete through appendEvent with selector conversion', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    await registry.registerProcess(
      plus(reg('p'), {
        name: 'job.failed',
        payloadSchema: {},
        semantics: { terminal: { state: 'failed', awaitOutput: { kind: 'pointer', pointer: '/error' } }, wake: null },
      }),
    );
    await rejectsCode(append(registry, 'p', 'job.failed', { error: 'boom' }), 'ReplayKeyRequired');
    const r = await append(registry, 'p', 'job.failed', { error: { code: 7 } }, { key: 'job:failed' });
    const output = {
      kind: 'failure',
      class: 'execution',
      code: 'process_failed',
      message: '{"code":7}',
      raw: { code: 7 },
      control: null,
    };
    expect(r.event.semantics.terminal).toEqual({ state: 'failed', awaitOutput: output });
    expect((await registry.getProcess('p'))?.status).toEqual({ kind: 'failed', awaitOutput: output });
    expect(await registry.awaitTerminal('p')).toEqual(output);
  });
});
