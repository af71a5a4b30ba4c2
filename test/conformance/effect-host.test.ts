/**
 * 40-effects-triggers §8.1, §8.2, §8.5 and the keyed-promise / turn-control pinning tests of §8.9,
 * on file hosts (§8.7.5) and memory hosts (§8.8.2). `verifyProjections()` runs after every test.
 */

import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  ActiveTurnControl,
  awaitEventPromiseKey,
  type ScopedEffectController,
  SqliteEffectHost,
  type TurnTerminal,
  TurnWorkDriver,
} from '../../src/index.js';
import { describeEach, effectBackends, effectPath, openHost } from '../support/effect-backends.js';
import {
  aborted,
  address,
  cancelled,
  finished,
  fresh,
  ok,
  processScope,
  queueDrain,
  rejectsWith,
  request,
  runtimeOperation,
  sessionDelete,
  settledAfter,
  stopped,
  throwsWith,
  timeout,
  tool,
  turn,
  within,
  yieldTurns,
} from '../support/effect-fixtures.js';

describeEach('effect_host (§8.1)', effectBackends, (backend) => {
  it('effect_host_preserves_scope_metadata', async () => {
    const host = await backend.fixture().make();
    const first = host.scoped(queueDrain('session-1', 'drain-1'));
    expect(first.executionScope).toEqual(queueDrain('session-1', 'drain-1'));
    expect(first.scopeId).toBe('drain-1');
    expect(first.turnId).toBeNull();
    const second = host.scoped(turn('session-1', 'turn-1'));
    expect(second.executionScope).toEqual(turn('session-1', 'turn-1'));
    expect(second.scopeId).toBe('turn-1');
    expect(second.turnId).toBe('turn-1');
  });

  it('effect_host_rejects_missing_scope_ids', async () => {
    const host = await backend.fixture().make();
    const scopes = [
      turn('', 'turn'),
      turn('session', ''),
      processScope(''),
      queueDrain('session', ''),
      sessionDelete(''),
      runtimeOperation(''),
      turn('  ', 'turn'),
    ];
    for (const scope of scopes) throwsWith(() => host.scoped(scope), 'MissingExecutionScopeId');
  });

  it('effect_host_static_scope_preserves_metadata_when_available', async () => {
    const host = await backend.fixture().make();
    const scoped: ScopedEffectController = host.scopedStatic(runtimeOperation('static-runtime-op'));
    expect(scoped.executionScope).toEqual(runtimeOperation('static-runtime-op'));
    expect(scoped.scopeId).toBe('static-runtime-op');
  });
});

describeEach('effect_host_await_events (§8.2)', effectBackends, (backend) => {
  it('effect_host_await_event_key_is_stable', async () => {
    const host = await backend.fixture().make();
    const scope = turn('await-event-session-stable', 'turn-stable');
    const a = await host.awaitEventKey(scope, tool('call-stable'));
    const b = await host.awaitEventKey(scope, tool('call-stable'));
    expect(a).toEqual(b);
    expect(awaitEventPromiseKey(a)).toBe(`lash-await-event:${a.keyId}`);
  });

  it('effect_host_await_event_accepts_early_resolution', async () => {
    const host = await backend.fixture().make();
    const key = await host.awaitEventKey(turn('await-event-session-early', 'turn-early'), tool('call-early'));
    expect(await host.resolveAwaitEvent(key, ok({ ready: true }))).toEqual({ kind: 'accepted' });
    expect(await within(host.awaitAwaitEvent(key, { signal: fresh() }), 5_000, 'buffered await')).toEqual(ok({ ready: true }));
  });

  it('effect_host_await_event_duplicate_resolution_is_terminal', async () => {
    const host = await backend.fixture().make();
    const key = await host.awaitEventKey(turn('await-event-session-dupe', 'turn-dupe'), tool('call-dupe'));
    expect(await host.resolveAwaitEvent(key, ok('first'))).toEqual({ kind: 'accepted' });
    expect(await host.resolveAwaitEvent(key, ok('second'))).toEqual({ kind: 'alreadyResolved', terminal: ok('first') });
  });

  it('effect_host_await_event_cancel_and_timeout_are_terminal', async () => {
    const host = await backend.fixture().make();
    const a = await host.awaitEventKey(turn('await-event-session-cancel', 'turn-cancel'), tool('call-cancel'));
    expect(await host.awaitAwaitEvent(a, { signal: aborted() })).toEqual(cancelled);
    expect(await host.resolveAwaitEvent(a, ok('late'))).toEqual({ kind: 'alreadyResolved', terminal: cancelled });
    const b = await host.awaitEventKey(turn('await-event-session-timeout', 'turn-timeout'), tool('call-timeout'));
    expect(await host.awaitAwaitEvent(b, { signal: fresh(), deadlineMs: performance.now() })).toEqual(timeout);
  });

  it('effect_host_await_event_revokes_session_scope', async () => {
    const host = await backend.fixture().make();
    const key = await host.awaitEventKey(turn('await-event-session-revoke', 'turn-revoke'), tool('call-revoke'));
    await host.revokeAwaitEventsForSession('await-event-session-revoke');
    expect(await host.resolveAwaitEvent(key, ok('late'))).toEqual({ kind: 'unknownOrRevoked' });
    await rejectsWith(host.awaitAwaitEvent(key), 'AwaitEventUnknownOrRevoked');
  });

  it('effect_host_await_event_rejects_tampered_keys', async () => {
    const host = await backend.fixture().make();
    const key = await host.awaitEventKey(turn('await-event-session-tamper', 'turn-tamper'), tool('call-tamper'));
    const tampered = { ...key, signature: `${key.signature}-tampered` };
    expect(await host.resolveAwaitEvent(tampered, ok('x'))).toEqual({ kind: 'unknownOrRevoked' });
    await rejectsWith(within(host.awaitAwaitEvent(tampered), 1_000, 'tampered await'), 'AwaitEventUnknownOrRevoked');
    expect(await host.readEvents()).toEqual([]);
  });
});

describeEach('turn_work_driver (§8.5)', effectBackends, (backend) => {
  it('cancel_before_start_duplicate_replay_and_terminal_attach', async () => {
    const host = await backend.fixture().make();
    const driver = new TurnWorkDriver(host);
    const A = address('before-start');
    const first = await driver.requestCancel(request(A, 'request-1'));
    expect(first.durabilityTier).toBe(host.durabilityTier());
    expect(first.outcome.kind).toBe('requested');
    if (first.outcome.kind !== 'requested') throw new Error('unreachable');
    const e = first.outcome.cancellation;
    expect(e.requestId).toBe('request-1');
    const second = await driver.requestCancel(request(A, 'request-2'));
    expect(second.outcome).toEqual({
      kind: 'alreadyRequested',
      cancellation: { requestId: 'request-1', origin: 'conformance-user', reason: 'stop button' },
    });
    const R = await ActiveTurnControl.create(host, A);
    expect(await R.settleBeforeCommit(host, false)).toEqual(e);
    await R.publishTerminal(host, { kind: 'committed', outcome: stopped, cancellation: e, sessionRevision: 7 });
    const terminal = await driver.awaitTerminal(A);
    expect(terminal).toEqual({ kind: 'committed', outcome: stopped, cancellation: e, sessionRevision: 7 });
    await R.publishTerminal(host, {
      kind: 'committed',
      outcome: finished('stale completion'),
      cancellation: null,
      sessionRevision: 6,
    });
    expect(await driver.awaitTerminal(A)).toEqual(terminal);
  });

  it('completion_seal_vs_cancel_is_first_writer_wins', async () => {
    const host = await backend.fixture().make();
    const driver = new TurnWorkDriver(host);
    const A = address('race');
    const control = await ActiveTurnControl.create(host, A);
    const [settled, receipt] = await Promise.all([
      control.settleBeforeCommit(host, false),
      driver.requestCancel(request(A, 'race-request')),
    ]);
    if (settled === null) {
      expect(receipt.outcome).toEqual({ kind: 'completionWonRace' });
      await control.publishTerminal(host, {
        kind: 'committed',
        outcome: finished('completion won'),
        cancellation: null,
        sessionRevision: 8,
      });
    } else {
      expect(receipt.outcome).toEqual({ kind: 'requested', cancellation: settled });
      await control.publishTerminal(host, { kind: 'committed', outcome: stopped, cancellation: settled, sessionRevision: 8 });
    }
    const terminal = (await driver.awaitTerminal(A)) as Extract<TurnTerminal, { kind: 'committed' }>;
    if ((terminal.outcome as { kind: string }).kind === 'stopped') expect(terminal.cancellation).not.toBeNull();
    else {
      expect((terminal.outcome as { kind: string }).kind).toBe('finished');
      expect(terminal.cancellation).toBeNull();
    }
  });

  it('exact_scope_and_session_sweep_isolation', async () => {
    const host = await backend.fixture().make();
    const driver = new TurnWorkDriver(host);
    const A = address('scope');
    const B = { sessionId: A.sessionId, turnId: 'turn-b' };
    const F = { sessionId: A.sessionId, turnId: 'turn-future' };
    const control = await ActiveTurnControl.create(host, A);
    const gateWaiter = control.awaitCancel(host, fresh());
    await yieldTurns();
    const toolKey = await host.awaitEventKey(turn(A.sessionId, 'tool-turn'), tool('tool-call'));
    const toolWaiter = host.awaitAwaitEvent(toolKey, { signal: fresh() });
    await yieldTurns();
    await host.cancelAwaitEventsForSession(A.sessionId);
    expect(await within(toolWaiter, 5_000, 'tool waiter')).toEqual(cancelled);
    expect(await settledAfter(gateWaiter, 100)).toBe(false);
    expect((await driver.requestCancel(request(A, 'request-a'))).outcome.kind).toBe('requested');
    const evidence = await within(gateWaiter, 5_000, 'gate waiter');
    expect(evidence).toEqual({ requestId: 'request-a', origin: 'conformance-user', reason: 'stop button' });
    expect((await driver.requestCancel(request(B, 'request-b'))).outcome.kind).toBe('requested');
    expect((await driver.requestCancel(request(F, 'request-future'))).outcome.kind).toBe('requested');
  });

  it('session_deletion_revokes_control_promises', async () => {
    const host = await backend.fixture().make();
    const driver = new TurnWorkDriver(host);
    const A = address('revoke');
    const control = await ActiveTurnControl.create(host, A);
    const terminalWaiter = driver.awaitTerminal(A);
    await yieldTurns();
    await host.revokeAwaitEventsForSession(A.sessionId);
    expect((await driver.requestCancel(request(A, 'request-after-delete'))).outcome).toEqual({ kind: 'unknownOrRevoked' });
    await rejectsWith(within(terminalWaiter, 5_000, 'terminal waiter'), 'AwaitEventUnknownOrRevoked');
    await rejectsWith(control.settleBeforeCommit(host, false), 'TurnControlUnknownOrRevoked');
  });
});

describeEach('keyed-promise and turn-control pinning (§8.9.7–§8.9.16)', effectBackends, (backend) => {
  it('resolve_buffers_before_wait_and_preserves_the_first_terminal', async () => {
    const host = await backend.fixture().make();
    const key = await host.awaitEventKey(turn('buffer-session', 'buffer-turn'), tool('buffer-call'));
    expect(await host.resolveAwaitEvent(key, ok('first'))).toEqual({ kind: 'accepted' });
    expect(await host.peekAwaitEvent(key)).toEqual(ok('first'));
    expect(await host.resolveAwaitEvent(key, ok('second'))).toEqual({ kind: 'alreadyResolved', terminal: ok('first') });
  });

  it('cancel_sweep_excludes_turn_control_and_existing_terminals', async () => {
    const host = await backend.fixture().make();
    const s = 'sweep-pinning-session';
    const gate = await host.awaitEventKey(turn(s, 'turn'), { kind: 'turnCancelGate' });
    const gateSignal = new AbortController();
    const gateWaiter = host.awaitAwaitEvent(gate, { signal: gateSignal.signal });
    const pending = await host.awaitEventKey(turn(s, 'turn'), tool('pending'));
    const pendingWaiter = host.awaitAwaitEvent(pending, { signal: fresh() });
    const settledKey = await host.awaitEventKey(turn(s, 'turn'), tool('settled'));
    expect(await host.resolveAwaitEvent(settledKey, timeout)).toEqual({ kind: 'accepted' });
    await yieldTurns();
    await host.cancelAwaitEventsForSession(s);
    expect(await host.peekAwaitEvent(gate)).toBeNull();
    expect(await within(pendingWaiter, 5_000, 'pending tool waiter')).toEqual(cancelled);
    expect(await host.peekAwaitEvent(settledKey)).toEqual(timeout);
    gateSignal.abort();
    await rejectsWith(within(gateWaiter, 5_000, 'gate waiter'), 'TurnControlWaitCancelled');
  });

  it('revoked_sessions_reject_access_and_revoke_idempotently', async () => {
    const path = effectPath();
    const host = await openHost(path);
    const key = await host.awaitEventKey(turn('s', 't'), tool('c'));
    await host.revokeAwaitEventsForSession('s');
    await host.revokeAwaitEventsForSession('s');
    const db = new Database(path, { readonly: true });
    try {
      expect(db.prepare("SELECT count(*) FROM await_event_revoked_sessions WHERE session_id = 's'").pluck().get()).toBe(1);
    } finally {
      db.close();
    }
    expect(await host.resolveAwaitEvent(key, ok('x'))).toEqual({ kind: 'unknownOrRevoked' });
    const other = await host.awaitEventKey(turn('other', 't'), tool('c'));
    expect(await host.resolveAwaitEvent(other, ok('x'))).toEqual({ kind: 'accepted' });
    const revocations = (await host.readEvents()).filter((e) => e.type === 'AwaitEventSessionRevoked');
    expect(revocations).toHaveLength(1);
  });

  it('authentication_comparison_covers_content_and_length_mismatches', async () => {
    const host = await backend.fixture().make();
    const key = await host.awaitEventKey(turn('auth-session', 'auth-turn'), tool('auth-call'));
    const last = key.signature.slice(-1);
    const variants = [
      `${key.signature.slice(0, -1)}${last === '0' ? '1' : '0'}`,
      `${key.signature}0`,
      key.signature.slice(0, -1),
    ];
    for (const signature of variants) {
      expect(await host.resolveAwaitEvent({ ...key, signature }, ok('x'))).toEqual({ kind: 'unknownOrRevoked' });
    }
    expect(await host.resolveAwaitEvent(key, ok('x'))).toEqual({ kind: 'accepted' });
  });

  it('await_event_key_is_stable_for_scope_and_wait_identity', async () => {
    const host = await backend.fixture().make();
    const scope = turn('await-event-session-stable', 'turn-stable');
    const a = await host.awaitEventKey(scope, tool('call-stable'));
    const b = await host.awaitEventKey(scope, tool('call-stable'));
    const extra = { kind: 'toolCompletion', toolCallId: 'call-stable', extra: 1 } as unknown as ReturnType<typeof tool>;
    const c = await host.awaitEventKey(scope, extra);
    expect(a).toEqual(b);
    expect(c).toEqual(a);
  });

  it('duplicate_await_event_resolution_reports_existing_terminal', async () => {
    const host = await backend.fixture().make();
    const key = await host.awaitEventKey(turn('await-event-session-dupe', 'turn-dupe'), tool('call-dupe'));
    expect(await host.resolveAwaitEvent(key, ok({ done: true }))).toEqual({ kind: 'accepted' });
    expect(await host.resolveAwaitEvent(key, ok('second'))).toEqual({ kind: 'alreadyResolved', terminal: ok({ done: true }) });
  });

  it('hosts_on_different_databases_never_accept_each_others_keys', async () => {
    const a = await backend.fixture().make();
    const b = await backend.fixture().make();
    const key = await a.awaitEventKey(turn('cross-db', 'turn'), tool('call'));
    const controller = a.scoped(turn('cross-db', 'turn')).controller;
    expect(await controller.resolveAwaitEvent(key, ok('mine'))).toEqual({ kind: 'accepted' });
    expect(await a.peekAwaitEvent(key)).toEqual(ok('mine'));
    expect(await b.resolveAwaitEvent(key, ok('theirs'))).toEqual({ kind: 'unknownOrRevoked' });
    await rejectsWith(b.peekAwaitEvent(key), 'AwaitEventUnknownOrRevoked');
  });

  it('recovered_owner_observes_pending_cancel_after_control_recreation', async () => {
    const host = await backend.fixture().make();
    const A = address('recovered');
    const receipt = await new TurnWorkDriver(host).requestCancel(request(A, 'recovered-request'));
    if (receipt.outcome.kind !== 'requested') throw new Error(`expected requested, got ${receipt.outcome.kind}`);
    const control = await ActiveTurnControl.create(host, A);
    const controller = host.scoped(turn(A.sessionId, A.turnId)).controller;
    expect(await control.observePendingCancel(controller, 'startGate')).toEqual(receipt.outcome.cancellation);
    expect(await control.settleBeforeCommit(host, false)).toEqual(receipt.outcome.cancellation);
  });

  it('turn_control_waiter_cancellation_never_resolves_the_gate', async () => {
    const host = await backend.fixture().make();
    const A = address('waiter-cancel');
    const control = await ActiveTurnControl.create(host, A);
    await rejectsWith(control.awaitCancel(host, aborted()), 'TurnControlWaitCancelled');
    const gate = await host.awaitEventKey(turn(A.sessionId, A.turnId), { kind: 'turnCancelGate' });
    expect(await host.resolveAwaitEvent(gate, ok({ kind: 'completionSealed' }))).toEqual({ kind: 'accepted' });
  });
});

describe('hosts report their tier', () => {
  it('file hosts are durable and memory hosts inline', async () => {
    const file = await openHost(effectPath());
    expect(file.durabilityTier()).toBe('durable');
    expect(file.allowsProcessLifetimeCompletionKeys()).toBe(true);
    const memory = await SqliteEffectHost.memory();
    try {
      expect(memory.durabilityTier()).toBe('inline');
      expect(memory.allowsProcessLifetimeCompletionKeys()).toBe(false);
      expect(memory.scoped(turn('s', 't')).controller.durabilityTier()).toBe('inline');
    } finally {
      await memory.close();
    }
  });
});
