/**
 * Effect-host behaviour the catalogue implies but does not spell out as entries (40-effects-triggers
 * §2.3, §2.6, §3.2, §4.4): lease-timing options, close semantics, input validation, the number rule,
 * the kind marker, and the event log (compaction, rebuild). Runs on file and memory hosts;
 * `verifyProjections()` runs after every test.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import {
  ActiveTurnControl,
  EffectHostError,
  parseAwaitEventKey,
  parseResolution,
  SqliteEffectHost,
  SqliteTriggerStore,
  TRIGGER_APPLICATION_ID,
  TurnWorkDriver,
} from '../../src/index.js';
import { ManualClock, overrideEffectLease } from '../../src/testing.js';
import { describeEach, effectBackends, openHost, tempDir, track } from '../support/effect-backends.js';
import {
  ExecEnv,
  ExecOut,
  envelope,
  FailingExec,
  fn,
  fresh,
  marker,
  ok,
  rejectsWith,
  settledAfter,
  throwsWith,
  tool,
  turn,
  within,
} from '../support/effect-fixtures.js';

describeEach('effect host lifecycle and validation', effectBackends, (backend) => {
  it('lease timings are checked as EffectHostError with the LeaseTimings rules', async () => {
    const f = backend.fixture();
    const tooSmall = await rejectsWith(f.make({ leaseTimings: { ttlMs: 0, renewIntervalMs: 1 } }), 'TtlTooSmall');
    expect(tooSmall).toBeInstanceOf(EffectHostError);
    await rejectsWith(f.make({ leaseTimings: { ttlMs: 30, renewIntervalMs: 0 } }), 'RenewIntervalTooSmall');
    const ratio = await rejectsWith(f.make({ leaseTimings: { ttlMs: 20, renewIntervalMs: 10 } }), 'TtlRenewRatioTooSmall');
    expect(ratio).toMatchObject({ ttlMs: 20, renewIntervalMs: 10 });
    await rejectsWith(f.make({ leaseTimings: { ttlMs: Number.NaN, renewIntervalMs: 10 } }), 'InvalidArgument');
    expect((await f.make({ leaseTimings: { ttlMs: 30.9, renewIntervalMs: 10.2 } })).durabilityTier()).toBe(backend.tier);
  });

  it('close rejects in-flight awaits without writing, and every later call with Closed', async () => {
    const host = await SqliteEffectHost.memory();
    const key = await host.awaitEventKey(turn('close-session', 'close-turn'), tool('close-call'));
    const waiter = host.awaitAwaitEvent(key, { signal: fresh() });
    expect(await settledAfter(waiter, 50)).toBe(false);
    const events = await host.readEvents();
    expect(events.map((e) => e.type)).toEqual(['AwaitEventRegistered']);
    await host.close();
    await rejectsWith(waiter, 'Closed');
    await rejectsWith(host.resolveAwaitEvent(key, ok('late')), 'Closed');
    await rejectsWith(host.peekAwaitEvent(key), 'Closed');
    await rejectsWith(host.awaitEventKey(turn('s', 't'), tool('c')), 'Closed');
    await rejectsWith(host.readEvents(), 'Closed');
    const error = throwsWith(() => host.scoped(turn('s', 't')), 'Closed');
    expect(error.message).toBe('effect host is closed');
    await host.close();
  });

  it('close aborts an in-flight execution, which is never finalized', async () => {
    const host = await backend.fixture().make();
    const controller = host.scoped(turn('close-exec', 'turn')).controller;
    let seen: AbortSignal | null = null;
    let entered: () => void = () => undefined;
    const entry = new Promise<void>((r) => {
      entered = r;
    });
    const running = controller.executeEffect(ExecEnv('close-exec', 'x'), {
      kind: 'function',
      run: (_env, signal) => {
        seen = signal;
        entered();
        return new Promise(() => undefined);
      },
    });
    await entry;
    const events = (await host.readEvents()).map((e) => e.type);
    await host.close();
    await rejectsWith(running, 'Closed');
    expect((seen as AbortSignal | null)?.aborted).toBe(true);
    expect(events).toEqual(['EffectClaimed']);
    await rejectsWith(controller.executeEffect(ExecEnv('after-close', 'x'), fn(ExecOut('x'))), 'Closed');
  });

  it('envelope checks run in order and write nothing', async () => {
    const host = await backend.fixture().make();
    const c = host.scoped(turn('checks', 'turn')).controller;
    const base = ExecEnv('checks', 'x');
    const cases: Array<[unknown, string, string | null]> = [
      [
        { ...base, invocation: { ...base.invocation, subject: { kind: 'process', processId: 'p' } } },
        'RuntimeEffectInvocationSubject',
        'runtime effect envelope subject must be an effect',
      ],
      [
        { ...base, invocation: { ...base.invocation, subject: { kind: 'effect', effectId: ' ', effectKind: 'execCode' } } },
        'RuntimeEffectInvocationSubject',
        'runtime effect envelope effect id must be non-empty',
      ],
      [
        { ...base, invocation: { ...base.invocation, subject: { kind: 'effect', effectId: 'e', effectKind: 'llmCall' } } },
        'RuntimeEffectInvocationKind',
        'runtime effect invocation kind llmCall does not match command kind execCode',
      ],
      [
        { ...base, invocation: { ...base.invocation, replay: null } },
        'RuntimeEffectReplayRequired',
        'runtime effect envelope requires replay.key',
      ],
      [
        envelope({ sessionId: 's' }, 'd', 'd', { kind: 'durableStep', stepId: '', input: null }),
        'RuntimeEffectDurableStepId',
        null,
      ],
      [
        envelope({ sessionId: 's' }, 'a', 'a', { kind: 'toolAttempt', call: { callId: '' }, attempt: 1, maxAttempts: 1 }),
        'RuntimeEffectToolAttemptCallId',
        null,
      ],
      [
        envelope({ sessionId: 's' }, 'a', 'a', { kind: 'toolAttempt', call: { callId: 'c' }, attempt: 2, maxAttempts: 1 }),
        'RuntimeEffectToolAttemptIndex',
        'runtime effect tool attempt must satisfy 1 <= attempt <= max_attempts, got 2/1',
      ],
      [
        envelope({ sessionId: 's' }, 'b', 'b', { kind: 'toolBatch', batch: { batchId: '', calls: [] } }),
        'RuntimeEffectToolBatchId',
        null,
      ],
      [
        envelope({ sessionId: 's' }, 'b', 'b', { kind: 'toolBatch', batch: { batchId: 'b', calls: [] } }),
        'RuntimeEffectToolBatchEmpty',
        null,
      ],
      [
        envelope({ sessionId: 's' }, 'b', 'b', {
          kind: 'toolBatch',
          batch: { batchId: 'b', calls: [{ call: { callId: 'c' }, replaySuffix: '' }] },
        }),
        'RuntimeEffectToolBatchCallReplay',
        'runtime effect tool batch call 0 has an empty replay suffix',
      ],
      [
        envelope({ sessionId: 's' }, 'b', 'b', {
          kind: 'toolBatch',
          batch: { batchId: 'b', calls: [{ call: { callId: ' ' }, replaySuffix: 'x' }] },
        }),
        'RuntimeEffectToolBatchCallId',
        null,
      ],
      [
        envelope({ sessionId: 's' }, 'x', 'x', { kind: 'execCode', code: Number.POSITIVE_INFINITY }),
        'RuntimeEffectEnvelopeHash',
        null,
      ],
      [
        envelope({ sessionId: 's' }, 'x', 'x', { kind: 'execCode', code: new Uint8Array(1) as never }),
        'RuntimeEffectEnvelopeHash',
        null,
      ],
      [envelope({ sessionId: 's' }, 'n', 'n', { kind: 'sleep', durationMs: Number.NaN }), 'InvalidArgument', null],
    ];
    for (const [env, code, message] of cases) {
      const error = await rejectsWith(c.executeEffect(env as never, fn(ExecOut('never'))), code);
      if (message) expect(error.message).toBe(message);
    }
    expect(await host.readEvents()).toEqual([]);
  });

  it('absent and null optional envelope members are the same effect', async () => {
    const host = await backend.fixture().make();
    const c = host.scoped(turn('nulls', 'turn')).controller;
    const absent = envelope({ sessionId: 's' }, 'n', 'n', { kind: 'execCode', code: 'x' });
    const nulls = {
      ...absent,
      invocation: {
        ...absent.invocation,
        causedBy: null,
        scope: { sessionId: 's', turnId: null, turnIndex: null, protocolIteration: null },
      },
    };
    expect(marker(await c.executeEffect(absent, fn(ExecOut('once'))))).toBe('once');
    const log: string[] = [];
    expect(marker(await c.executeEffect(nulls, FailingExec(log)))).toBe('once');
    expect(log).toEqual([]);
  });

  it('a local executor failing without a code is recorded as LocalExecutionFailed and replays so', async () => {
    const host = await backend.fixture().make();
    const c = host.scoped(turn('plain-error', 'turn')).controller;
    const env = ExecEnv('plain-error', 'x');
    const run = async () => {
      throw 'not an Error';
    };
    const first = await rejectsWith(c.executeEffect(env, { kind: 'function', run }), 'LocalExecutionFailed');
    expect(first.message).toBe('not an Error');
    const again = await rejectsWith(c.executeEffect(env, FailingExec([])), 'LocalExecutionFailed');
    expect(again.message).toBe('not an Error');
    expect(again.summary).toBeNull();
  });

  it('a non-JSON outcome is Encode and leaves the claim until its lease expires', async () => {
    const host = await backend.fixture().make();
    const c = host.scoped(turn('encode', 'turn')).controller;
    await rejectsWith(
      c.executeEffect(ExecEnv('encode', 'x'), {
        kind: 'function',
        run: async () => ({ kind: 'execCode', value: () => 1 }) as never,
      }),
      'Encode',
    );
    expect((await host.readEvents()).map((e) => e.type)).toEqual(['EffectClaimed']);
  });

  it('await-event inputs: the number rule, bad resolutions and blank session ids', async () => {
    const host = await backend.fixture().make();
    const key = await host.awaitEventKey(turn('inputs', 'turn'), tool('c'));
    await rejectsWith(host.awaitAwaitEvent(key, { deadlineMs: Number.NaN }), 'InvalidArgument');
    await rejectsWith(host.resolveAwaitEvent(key, { kind: 'nope' } as never), 'InvalidArgument');
    await rejectsWith(host.resolveAwaitEvent(key, { kind: 'ok', payload: new Uint8Array(2) }), 'Encode');
    await rejectsWith(host.revokeAwaitEventsForSession('  '), 'InvalidAwaitEventSessionId');
    await rejectsWith(host.cancelAwaitEventsForSession(''), 'InvalidAwaitEventSessionId');
    await rejectsWith(
      host.awaitEventKey(turn('inputs', 'turn'), { kind: 'processSignal', processId: 'p', signalName: 's', ordinal: 0 }),
      'InvalidAwaitEventWaitIdentity',
    );
    await rejectsWith(host.awaitEventKey(turn('inputs', 'turn'), { kind: 'custom', key: ' ' }), 'InvalidAwaitEventWaitIdentity');
    expect(await host.readEvents()).toEqual([]);
    // A deadline at "no bound" never arrives: the wait stays pending until resolved.
    const waiter = host.awaitAwaitEvent(key, { deadlineMs: Number.POSITIVE_INFINITY });
    expect(await settledAfter(waiter, 60)).toBe(false);
    expect(await host.resolveAwaitEvent(key, ok('done'))).toEqual({ kind: 'accepted' });
    expect(await within(waiter, 2_000, 'resolved waiter')).toEqual(ok('done'));
    // err resolutions come back with raw as null when it was left out.
    const errKey = await host.awaitEventKey(turn('inputs', 'turn'), tool('err'));
    await host.resolveAwaitEvent(errKey, { kind: 'err', payload: { code: 'E', message: 'm' } });
    expect(await host.peekAwaitEvent(errKey)).toEqual({ kind: 'err', payload: { code: 'E', message: 'm', raw: null } });
  });

  it('awaitTerminalWithTimeout stops only the caller; a later publication is observed normally', async () => {
    const host = await backend.fixture().make();
    const driver = new TurnWorkDriver(host);
    const A = { sessionId: 'timeout-session', turnId: 'timeout-turn' };
    const error = await rejectsWith(driver.awaitTerminalWithTimeout(A, 30), 'TurnTerminalAwaitTimeout');
    expect(error.message).toBe('timed out awaiting terminal for turn `timeout-turn` in session `timeout-session` after 30 ms');
    const terminalKey = await host.awaitEventKey(turn(A.sessionId, A.turnId), { kind: 'turnTerminal' });
    expect(await host.peekAwaitEvent(terminalKey)).toBeNull();
    const control = await ActiveTurnControl.create(host, A);
    await control.publishTerminal(host, { kind: 'failed', error: { reason: 'boom' } });
    expect(await driver.awaitTerminalWithTimeout(A, 5_000)).toEqual({ kind: 'failed', error: { reason: 'boom' } });
    await rejectsWith(driver.requestCancel({ address: A, requestId: ' ' }), 'InvalidTurnCancelRequest');
    await rejectsWith(control.publishTerminal(host, { kind: 'committed' } as never), 'InvalidArgument');
  });

  it('the event log: rebuild and compaction keep the journal and the keyed promises', async () => {
    const host = await backend.fixture().make();
    const c = host.scoped(turn('log', 'turn')).controller;
    expect(marker(await c.executeEffect(ExecEnv('log', 'x'), fn(ExecOut('kept'))))).toBe('kept');
    const key = await host.awaitEventKey(turn('log', 'turn'), tool('c'));
    await host.resolveAwaitEvent(key, ok('kept'));
    const events = await host.readEvents();
    expect(events.map((e) => e.type)).toEqual(['EffectClaimed', 'EffectCompleted', 'AwaitEventResolved']);
    expect((await host.rebuildProjections()).eventCount).toBe(3);
    const compacted = await host.compactEventLog({ throughSeq: events.at(-1)?.seq ?? 0 });
    expect(compacted.deletedEventCount).toBe(3);
    expect((await host.rebuildProjections()).eventCount).toBe(1);
    expect(await host.peekAwaitEvent(key)).toEqual(ok('kept'));
    expect(marker(await c.executeEffect(ExecEnv('log', 'x'), FailingExec([])))).toBe('kept');
  });
});

it('opening a trigger database as an effect host is DatabaseKindMismatch', async () => {
  const path = join(tempDir(), 'triggers.db');
  const triggers = track(await SqliteTriggerStore.open(path));
  await triggers.close();
  const error = await rejectsWith(SqliteEffectHost.open(path), 'DatabaseKindMismatch');
  expect(error).toMatchObject({ databaseKind: 'effectReplay', foundApplicationId: TRIGGER_APPLICATION_ID });
  const raw = new Database(path, { readonly: true });
  try {
    expect(raw.pragma('application_id', { simple: true })).toBe(TRIGGER_APPLICATION_ID);
  } finally {
    raw.close();
  }
});

it('resolveAwaitEventAt refuses a missing or empty file without creating one', async () => {
  const dir = tempDir();
  const host = await openHost(join(dir, 'real.db'));
  const key = await host.awaitEventKey(turn('s', 't'), tool('c'));
  const missing = join(dir, 'missing.db');
  const error = await rejectsWith(SqliteEffectHost.resolveAwaitEventAt(missing, key, ok('x')), 'DatabaseNotFound');
  expect(error).toMatchObject({ path: missing, message: `effect replay database not found: ${missing}` });
  const { existsSync, writeFileSync } = await import('node:fs');
  expect(existsSync(missing)).toBe(false);
  const empty = join(dir, 'empty.db');
  writeFileSync(empty, '');
  await rejectsWith(SqliteEffectHost.resolveAwaitEventAt(empty, key, ok('x')), 'DatabaseNotFound');
  expect(await SqliteEffectHost.resolveAwaitEventAt(join(dir, 'real.db'), key, ok('x'))).toEqual({ kind: 'accepted' });
  expect(await host.peekAwaitEvent(key)).toEqual(ok('x'));
});

it('the JSON forms parse keys and resolutions and name the first bad member', () => {
  const key = { scope: turn('s', 't'), wait: tool('c'), keyId: 'k', signature: 'sig' };
  expect(parseAwaitEventKey(JSON.stringify(key))).toEqual(key);
  expect(
    throwsWith(() => parseAwaitEventKey('{"scope":{"kind":"turn","sessionId":1,"turnId":"t"}}'), 'InvalidAwaitEventKeyJson')
      .message,
  ).toContain('scope.sessionId');
  expect(throwsWith(() => parseAwaitEventKey('[1'), 'InvalidAwaitEventKeyJson').message).toMatch(
    /^invalid await-event key JSON: /,
  );
  expect(parseResolution('{"kind":"ok","payload":{"done":true}}')).toEqual({ kind: 'ok', payload: { done: true } });
  expect(throwsWith(() => parseResolution('{"kind":"err","payload":{"code":1}}'), 'InvalidResolutionJson').message).toContain(
    'payload.code',
  );
});

it('a reclaimed sleep keeps the due time of its first claim (E8)', async () => {
  const path = join(tempDir(), 'sleep.db');
  const first = await openHost(path, { clock: new ManualClock(1_000) });
  const env = envelope({ sessionId: 's' }, 'long-sleep', 'long-sleep', { kind: 'sleep', durationMs: 1_000_000 });
  const parked = first.scoped(turn('s', 't')).controller.executeEffect(env, { kind: 'unavailable' });
  expect(await settledAfter(parked, 50)).toBe(false);
  await first.close();
  await rejectsWith(parked, 'Closed');
  const admin = await openHost(path, { clock: new ManualClock(2_000) });
  expect(await overrideEffectLease(admin, 'long-sleep', { leaseExpiresAtMs: 0 })).toBe(1);
  // Past the original due time, the successor returns at once instead of sleeping another 1 000 s.
  const successor = await openHost(path, { clock: new ManualClock(1_001_001) });
  expect(
    await within(successor.scoped(turn('s', 't')).controller.executeEffect(env, { kind: 'unavailable' }), 1_000, 'successor'),
  ).toEqual({
    kind: 'sleep',
  });
  const raw = new Database(path, { readonly: true });
  try {
    expect(raw.prepare("SELECT due_at_ms, status FROM runtime_effect_replay WHERE replay_key = 'long-sleep'").get()).toEqual({
      due_at_ms: 1_001_000,
      status: 'completed',
    });
  } finally {
    raw.close();
  }
});
