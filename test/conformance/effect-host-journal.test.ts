/**
 * 40-effects-triggers §8.3 (effect journal replay), the file/memory integration entries §8.7.9–§8.7.15,
 * §8.8.3 and the canonical-envelope pinning tests §8.9.1–§8.9.6. Suites run on file and memory hosts
 * unless the entry needs a shared file; `verifyProjections()` runs after every test.
 */
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  type BoundaryReason,
  canonicalizeRuntimeEffectEnvelope,
  type EffectEnvelopeDiffTrace,
  type JsonValue,
  LeaseTimings,
  type RuntimeEffectController,
  type RuntimeEffectEnvelope,
  type RuntimeEffectOutcome,
  type SegmentProgress,
  SqliteTriggerStore,
  scopeKey,
  type TriggerCommand,
  validateReplayedEffectEnvelope,
} from '../../src/index.js';
import { overrideEffectLease } from '../../src/testing.js';
import { describeEach, effectBackends, effectPath, openHost, track } from '../support/effect-backends.js';
import {
  ExecEnv,
  ExecOut,
  envelope,
  expectTA,
  FailingExec,
  failWith,
  fn,
  LeaseEnv,
  marker,
  owner,
  Probe,
  processScope,
  RecExec,
  register,
  rejectsWith,
  runtimeOperation,
  SegEnv,
  settledAfter,
  TAEnv,
  throwsWith,
  draft as triggerDraft,
  turn,
  within,
} from '../support/effect-fixtures.js';

let runCounter = 0;

/** `runScript(ctrl, prefix, honorBoundaries)` of §8.3.1. */
async function runScript(
  ctrl: RuntimeEffectController,
  prefix: string,
  honor: boolean,
  counter: { n: number },
): Promise<{ markers: unknown[]; successors: number[] }> {
  const markers: unknown[] = [];
  const successors: number[] = [];
  let progress: SegmentProgress = { effectsExecuted: 0, journaledBytesEstimate: null };
  let segment = 0;
  for (let i = 0; i < 7; i++) {
    const code = JSON.stringify({ iteration: i, accumulator: 3 * i });
    const out = await ctrl.executeEffect(SegEnv(`${prefix}-${i}`, code), {
      kind: 'function',
      run: async () => {
        counter.n++;
        return ExecOut(code);
      },
    });
    markers.push(marker(out));
    progress = { ...progress, effectsExecuted: progress.effectsExecuted + 1 };
    if (honor && i + 1 < 7 && ctrl.wantsSegmentBoundary(progress) !== null) {
      segment++;
      successors.push(segment);
      progress = { effectsExecuted: 0, journaledBytesEstimate: null };
    }
  }
  return { markers, successors };
}

/** A controller whose `wantsSegmentBoundary` asks for a boundary every two effects. */
function segmenting(inner: RuntimeEffectController): RuntimeEffectController {
  return {
    durabilityTier: () => inner.durabilityTier(),
    allowsProcessLifetimeCompletionKeys: () => inner.allowsProcessLifetimeCompletionKeys(),
    awaitEventKey: (s, w) => inner.awaitEventKey(s, w),
    resolveAwaitEvent: (k, r) => inner.resolveAwaitEvent(k, r),
    peekAwaitEvent: (k) => inner.peekAwaitEvent(k),
    awaitAwaitEvent: (k, o) => inner.awaitAwaitEvent(k, o),
    revokeAwaitEventsForSession: (s) => inner.revokeAwaitEventsForSession(s),
    cancelAwaitEventsForSession: (s) => inner.cancelAwaitEventsForSession(s),
    executeEffect: (e, x, o) => inner.executeEffect(e, x, o),
    startReplay: () => inner.startReplay(),
    supportsConcurrentEffects: () => inner.supportsConcurrentEffects(),
    wantsSegmentBoundary: (p): BoundaryReason | null => (p.effectsExecuted >= 2 ? 'journalBudget' : null),
  };
}

/** §8.3.1. */
async function segmentationVector(controller: RuntimeEffectController): Promise<void> {
  const r = ++runCounter;
  const baselineCount = { n: 0 };
  const segmentedCount = { n: 0 };
  const baseline = await runScript(controller, `segment-vector-baseline-${r}`, false, baselineCount);
  const segmented = await runScript(segmenting(controller), `segment-vector-segmented-${r}`, true, segmentedCount);
  expect(segmented.markers).toEqual(baseline.markers);
  expect(baseline.successors).toEqual([]);
  expect(segmented.successors).toEqual([1, 2, 3]);
  expect(new Set(segmented.successors).size).toBe(segmented.successors.length);
  expect(baselineCount.n).toBe(7);
  expect(segmentedCount.n).toBe(7);
}

function triggerEnvelope(effectId: string, command: TriggerCommand): RuntimeEffectEnvelope {
  return envelope({ sessionId: 'replay-session' }, effectId, effectId, { kind: 'trigger', command });
}

/** §8.3.2. */
async function journaledEffectReplay(controller: RuntimeEffectController): Promise<void> {
  await segmentationVector(controller);
  const success = TAEnv('replay-success', 'call-replay-success', 'replay_success_tool');
  const failure = TAEnv('replay-error', 'call-replay-error', 'replay_error_tool');
  expectTA(
    await controller.executeEffect(success, RecExec('replay-success', 'call-replay-success', 'replay_success_tool')),
    'call-replay-success',
    'replay_success_tool',
  );
  await rejectsWith(controller.executeEffect(failure, failWith('JournaledEffectReplayError')), 'JournaledEffectReplayError');
  const listEnv = triggerEnvelope('replay-trigger-list', { kind: 'list', ownerScope: owner('replay-session'), filter: {} });
  const listOutcome = await controller.executeEffect(listEnv, {
    kind: 'function',
    run: async (env) => {
      expect(env.command.kind).toBe('trigger');
      return { kind: 'trigger', result: { kind: 'ok', outcome: { kind: 'list', records: [], skippedMalformedRows: 0 } } };
    },
  });
  const replayDraft = {
    subscriptionKey: 'replay-key',
    envRef: 'process-env:replay',
    sourceType: 'test.source',
    sourceKey: 'source-key',
    payloadSchema: {},
    target: { kind: 'engine', engineKind: 'test', payload: {} },
    targetIdentity: { kind: 'test' },
  };
  const base = {
    ownerScope: owner('replay-session'),
    actor: { kind: 'session', scope: { sessionId: 'replay-session', agentFrameId: null } },
  } as const;
  const mutations: Array<[string, TriggerCommand]> = [
    ['register', { kind: 'register', ...base, draft: replayDraft }],
    ['update', { kind: 'update', ...base, subscriptionKey: 'replay-key', draft: replayDraft, expectedRevision: 1 }],
    ['enable', { kind: 'enable', ...base, subscriptionKey: 'replay-key', expectedRevision: 1 }],
    ['disable', { kind: 'disable', ...base, subscriptionKey: 'replay-key', expectedRevision: 1 }],
    ['delete', { kind: 'delete', ...base, subscriptionKey: 'replay-key', expectedRevision: 1 }],
  ];
  const pass1: RuntimeEffectOutcome[] = [];
  for (const [op, command] of mutations) {
    const out = await controller.executeEffect(triggerEnvelope(`replay-trigger-${op}`, command), {
      kind: 'function',
      run: async () => ({
        kind: 'trigger',
        result: { kind: 'err', error: { kind: 'invalid', message: `recorded ${op} outcome` } },
      }),
    });
    pass1.push(out);
  }
  controller.startReplay();
  const log: string[] = [];
  expectTA(await controller.executeEffect(success, FailingExec(log)), 'call-replay-success', 'replay_success_tool');
  await rejectsWith(controller.executeEffect(failure, FailingExec(log)), 'JournaledEffectReplayError');
  expect(await controller.executeEffect(listEnv, FailingExec(log))).toEqual(listOutcome);
  for (const [i, [op, command]] of mutations.entries()) {
    expect(await controller.executeEffect(triggerEnvelope(`replay-trigger-${op}`, command), FailingExec(log))).toEqual(pass1[i]);
  }
  expect(log).toEqual([]);
}

/** §8.3.4 / §8.3.5: two probed effects in flight at once, fast finishing first, then a concurrent replay. */
async function concurrentReplay(controller: RuntimeEffectController, slowId: string, fastId: string): Promise<void> {
  const slow = TAEnv(slowId, 'call-slow', 'slow_tool');
  const fast = TAEnv(fastId, 'call-fast', 'fast_tool');
  const probe = new Probe();
  const pass = (async () => {
    const slowRun = controller.executeEffect(slow, RecExec(slowId, 'call-slow', 'slow_tool', probe));
    await probe.entered(slowId);
    const fastRun = controller.executeEffect(fast, RecExec(fastId, 'call-fast', 'fast_tool', probe));
    await probe.entered(fastId);
    probe.release(fastId);
    const fastOut = await fastRun;
    probe.release(slowId);
    return [await slowRun, fastOut] as const;
  })();
  const [slowOut, fastOut] = await within(pass, 30_000, 'concurrent pass 1 (deadlock?)');
  expect(probe.order).toEqual([fastId, slowId]);
  expectTA(slowOut, 'call-slow', 'slow_tool');
  expectTA(fastOut, 'call-fast', 'fast_tool');
  controller.startReplay();
  const log: string[] = [];
  const [fastReplay, slowReplay] = await within(
    Promise.all([controller.executeEffect(fast, FailingExec(log)), controller.executeEffect(slow, FailingExec(log))]),
    30_000,
    'concurrent replay',
  );
  expectTA(fastReplay, 'call-fast', 'fast_tool');
  expectTA(slowReplay, 'call-slow', 'slow_tool');
  expect(log).toEqual([]);
}

describeEach('effect journal replay (§8.3, §8.7.9–§8.7.11, §8.7.13, §8.8.2)', effectBackends, (backend) => {
  it('sqlite_effect_controller_satisfies_replay_conformance: effect_controller_concurrent_replay_deterministic', async () => {
    const host = await backend.fixture().make();
    const controller = host.scoped(turn('effect-conformance-session', 'effect-conformance-turn')).controller;
    await concurrentReplay(controller, 'effect-slow', 'effect-fast');
  });

  it('sqlite_effect_controller_satisfies_replay_conformance: effect_controller_tool_attempt_fanout_replay_deterministic', async () => {
    const host = await backend.fixture().make();
    const controller = host.scoped(turn('tool-attempt-conformance-session', 'tool-attempt-conformance-turn')).controller;
    expect(controller.supportsConcurrentEffects()).toBe(true);
    await concurrentReplay(controller, 'tool-attempt-slow', 'tool-attempt-fast');
  });

  it('sqlite_effect_controller_satisfies_replay_conformance: effect_controller_journaled_effect_replay (with the segmentation vector)', async () => {
    const host = await backend.fixture().make();
    const controller = host.scoped(turn('durable-step-session', 'durable-step-turn')).controller;
    expect(controller.wantsSegmentBoundary({ effectsExecuted: 100, journaledBytesEstimate: 1e9 })).toBeNull();
    await journaledEffectReplay(controller);
  });

  it('sqlite_effect_controller_replays_without_local_executor', async () => {
    const host = await backend.fixture().make();
    const controller = host.scoped(turn('session', 'turn')).controller;
    expect(marker(await controller.executeEffect(ExecEnv('exec-replay', 'first'), fn(ExecOut('recorded'))))).toBe('recorded');
    controller.startReplay();
    expect(marker(await controller.executeEffect(ExecEnv('exec-replay', 'first'), failWith('TestLocalExecutorCalled')))).toBe(
      'recorded',
    );
  });

  it('sqlite_effect_controller_reports_envelope_divergent_paths (effect_controller_replay_mismatch_diagnostics)', async () => {
    const host = await backend.fixture().make();
    const controller = host.scoped(turn('replay-mismatch-session', 'replay-mismatch-turn')).controller;
    const env = (d: number) =>
      envelope(
        { sessionId: 'replay-mismatch-session', turnId: 'replay-mismatch-turn', turnIndex: 0, protocolIteration: 0 },
        'replay-mismatch-sleep',
        'replay-mismatch-sleep',
        { kind: 'sleep', durationMs: d },
      );
    expect(await controller.executeEffect(env(0), fn({ kind: 'sleep' }))).toEqual({ kind: 'sleep' });
    const before = await host.readEvents();
    const error = await rejectsWith(controller.executeEffect(env(1), { kind: 'unavailable' }), 'EffectReplayHashConflict');
    expect(error.summary).toEqual({ divergentPathCount: 1, firstDivergentPaths: ['command.durationMs'] });
    expect(String(error.message)).toContain('divergent_paths=[command.durationMs]');
    expect(await host.readEvents()).toEqual(before);
  });

  it('sqlite_sleep_replay_returns_after_recorded_due_time', async () => {
    const host = await backend.fixture().make();
    const controller = host.scoped(turn('session', 'turn')).controller;
    const env = envelope({ sessionId: 'session', turnId: 'turn', turnIndex: 1, protocolIteration: 0 }, 'sleep', 'sleep-key', {
      kind: 'sleep',
      durationMs: 120,
    });
    const started = performance.now();
    expect(await controller.executeEffect(env, { kind: 'unavailable' })).toEqual({ kind: 'sleep' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);
    controller.startReplay();
    const again = performance.now();
    expect(await controller.executeEffect(env, failWith('TestLocalExecutorCalled'))).toEqual({ kind: 'sleep' });
    expect(performance.now() - again).toBeLessThan(50);
  });

  it('effect_controller_routes_trigger_commands_to_trigger_store', async () => {
    const host = await backend.fixture().make();
    const store = track(await SqliteTriggerStore.memory());
    const controller = host.scoped(turn('route-session', 'route-turn')).controller;
    const command = register('route-session', triggerDraft('route-session', 'route-key', 'route-source', 'route-worker'));
    const E = envelope({ sessionId: 'route-session' }, 'route-register', 'route-register', { kind: 'trigger', command });
    const first = await controller.executeEffect(E, { kind: 'triggers', store });
    expect(first.kind).toBe('trigger');
    const result = first.result as { kind: string; outcome: { kind: string; receipt: { disposition: string } } };
    expect(result.kind).toBe('ok');
    expect(result.outcome.kind).toBe('mutation');
    expect(result.outcome.receipt.disposition).toBe('created');
    const direct = await store.executeCommand('route-register', command);
    expect(direct.kind === 'ok' && direct.outcome.kind === 'mutation' ? direct.outcome.receipt : null).toEqual(
      result.outcome.receipt,
    );
    expect(await controller.executeEffect(E, { kind: 'unavailable' })).toEqual(first);
    expect(await store.pruneMutationReceipts(Number.MAX_SAFE_INTEGER)).toBe(1);
    expect(await controller.executeEffect(E, { kind: 'unavailable' })).toEqual(first);
    const listEnv = envelope({ sessionId: 'route-session' }, 'route-list', 'route-list', {
      kind: 'trigger',
      command: { kind: 'list', ownerScope: owner('route-session'), filter: {} },
    });
    const error = await rejectsWith(
      controller.executeEffect(listEnv, { kind: 'unavailable' }),
      'RuntimeEffectLocalExecutorUnavailable',
    );
    expect(error.message).toBe('no trigger executor is available for trigger command');
  });

  it('effect_controller_capability_errors_release_the_claim', async () => {
    const host = await backend.fixture().make();
    const controller = host.scoped(turn('capability-session', 'capability-turn')).controller;
    const env = ExecEnv('capability-release', 'first');
    const unavailable = await rejectsWith(
      controller.executeEffect(env, { kind: 'unavailable' }),
      'RuntimeEffectLocalExecutorUnavailable',
    );
    expect(unavailable.message).toBe('no local executor is available for execCode');
    const mismatch = await rejectsWith(
      controller.executeEffect(env, { kind: 'awaitEvent' }),
      'RuntimeEffectLocalExecutorMismatch',
    );
    expect(mismatch.message).toBe('local await-event options cannot execute execCode command directly');
    const out = await within(controller.executeEffect(env, fn(ExecOut('ran'))), 1_000, 'reclaim of a released claim');
    expect(marker(out)).toBe('ran');
    const log: string[] = [];
    expect(marker(await controller.executeEffect(env, FailingExec(log)))).toBe('ran');
    expect(log).toEqual([]);
  });
});

describe('effect_controller_lease_fencing (§8.3.6–§8.3.9, §8.7.12) [file SqliteEffectHost]', () => {
  const u = Math.random().toString(36).slice(2);
  function fencing() {
    const path = effectPath();
    const makeController = async (ttlMs: number) => {
      const host = await openHost(path, { leaseTimings: LeaseTimings.fromTtl(ttlMs) });
      return { host, controller: host.scoped(turn('session', 'turn')).controller };
    };
    const admin = openHost(path);
    const stealLease = async (replayKey: string) => {
      const h = await admin;
      return overrideEffectLease(h, replayKey, {
        ownerId: 'stolen-owner',
        leaseToken: 'stolen-token',
        leaseExpiresAtMs: Date.now() + 10_000,
      });
    };
    const expireLease = async (replayKey: string) => overrideEffectLease(await admin, replayKey, { leaseExpiresAtMs: 0 });
    return { makeController, stealLease, expireLease };
  }

  /** A `function` executor that signals entry, then waits for `release` (or forever). */
  function blocking() {
    let enter: () => void = () => undefined;
    const entered = new Promise<void>((r) => {
      enter = r;
    });
    let release: (o: RuntimeEffectOutcome) => void = () => undefined;
    const released = new Promise<RuntimeEffectOutcome>((r) => {
      release = r;
    });
    let seen: AbortSignal | null = null;
    return {
      entered,
      release,
      signal: () => seen,
      executor: {
        kind: 'function' as const,
        run: async (_env: RuntimeEffectEnvelope, signal: AbortSignal) => {
          seen = signal;
          enter();
          return released;
        },
      },
    };
  }

  it('lease_fencing_reports_lease_lost_when_stolen', async () => {
    const { makeController, stealLease } = fencing();
    const { controller } = await makeController(300);
    const key = `lease-stolen-${u}`;
    const block = blocking();
    const run = controller.executeEffect(LeaseEnv(key), block.executor);
    await block.entered;
    expect(await stealLease(key)).toBe(1);
    await rejectsWith(within(run, 2_000, 'lease-lost detection'), 'EffectReplayLeaseLost');
    expect(block.signal()?.aborted).toBe(true);
  });

  it('lease_fencing_rejects_finalize_after_expiry', async () => {
    const { makeController, expireLease } = fencing();
    const { controller } = await makeController(30_000);
    const key = `lease-expiry-${u}`;
    const block = blocking();
    const run = controller.executeEffect(LeaseEnv(key), block.executor);
    await block.entered;
    expect(await expireLease(key)).toBe(1);
    block.release(ExecOut('expired-owner'));
    const error = await rejectsWith(run, 'EffectReplayLeaseLost');
    expect(String(error.message)).toContain('before finalizing');
  });

  it('lease_fencing_reclaims_explicitly_expired_lease', async () => {
    const { makeController, expireLease } = fencing();
    const V = await makeController(30_000);
    const S = await makeController(30_000);
    const key = `lease-explicit-reclaim-${u}`;
    const block = blocking();
    const vanished = V.controller.executeEffect(LeaseEnv(key), block.executor);
    await block.entered;
    await V.host.close();
    await rejectsWith(vanished, 'Closed');
    expect(block.signal()?.aborted).toBe(true);
    expect(await expireLease(key)).toBe(1);
    const out = await within(S.controller.executeEffect(LeaseEnv(key), fn(ExecOut('successor-owner'))), 10_000, 'successor');
    expect(marker(out)).toBe('successor-owner');
  });
});

describe('file-backed journal records (§8.7.14, §8.7.15, §8.8.3) [file SqliteEffectHost]', () => {
  it('sqlite_effect_journal_is_partitioned_by_full_scope', async () => {
    const path = effectPath();
    const host = await openHost(path);
    const scopes = [turn('partition-a', 'turn-a'), turn('partition-b', 'turn-a'), processScope('turn-a')];
    const envs = scopes.map((scope, i) =>
      envelope({ sessionId: scope.kind === 'turn' ? scope.sessionId : 'process-session', turnId: 'turn-a' }, 'shared', 'shared', {
        kind: 'execCode',
        language: 'code',
        code: `code-${i}`,
      }),
    );
    const controllers = scopes.map((scope) => host.scoped(scope).controller);
    for (const [i, c] of controllers.entries()) {
      expect(marker(await c.executeEffect(envs[i] as RuntimeEffectEnvelope, fn(ExecOut(`marker-${i}`))))).toBe(`marker-${i}`);
    }
    const raw = new Database(path, { readonly: true });
    try {
      expect(raw.prepare("SELECT count(*) FROM runtime_effect_replay WHERE replay_key = 'shared'").pluck().get()).toBe(3);
    } finally {
      raw.close();
    }
    const log: string[] = [];
    for (const [i, c] of controllers.entries()) {
      expect(marker(await c.executeEffect(envs[i] as RuntimeEffectEnvelope, FailingExec(log)))).toBe(`marker-${i}`);
    }
    expect(log).toEqual([]);
  });

  it('sqlite_effect_journal_reports_corrupt_rows', async () => {
    const path = effectPath();
    const host = await openHost(path);
    const controller = host.scoped(turn('corrupt-session', 'corrupt-turn')).controller;
    const env = ExecEnv('corrupt-row', 'x');
    expect(marker(await controller.executeEffect(env, fn(ExecOut('stored'))))).toBe('stored');
    const raw = new Database(path);
    const row = () => raw.prepare("SELECT * FROM runtime_effect_replay WHERE replay_key = 'corrupt-row'").get();
    try {
      raw.prepare("UPDATE runtime_effect_replay SET outcome_json = '{broken' WHERE replay_key = 'corrupt-row'").run();
      const damaged = row();
      const log: string[] = [];
      const error = await rejectsWith(controller.executeEffect(env, FailingExec(log)), 'CorruptData');
      expect(error.table).toBe('runtime_effect_replay');
      expect(String(error.key)).toContain('corrupt-row');
      expect(log).toEqual([]);
      expect(row()).toEqual(damaged);
    } finally {
      raw.close();
    }
    // The log still holds the truth: verify names the damaged row, and a rebuild repairs it.
    const report = await host.verifyProjections();
    expect(report.mismatches.map((m) => m.table)).toEqual(['runtime_effect_replay']);
    await host.rebuildProjections();
    expect(marker(await controller.executeEffect(env, FailingExec([])))).toBe('stored');
  });

  it('effect_journal_records_controller_scope_and_envelope', async () => {
    const path = effectPath();
    const host = await openHost(path);
    const controller = host.scoped(runtimeOperation('trigger:button-1')).controller;
    const env = envelope({ sessionId: 'session-1' }, 'sleep-effect', 'trigger:button-1:sleep-effect', {
      kind: 'sleep',
      durationMs: 0,
    });
    expect(await controller.executeEffect(env, { kind: 'unavailable' })).toEqual({ kind: 'sleep' });
    const raw = new Database(path, { readonly: true });
    try {
      const rows = raw.prepare('SELECT * FROM runtime_effect_replay').all() as Array<Record<string, string>>;
      expect(rows).toHaveLength(1);
      const row = rows[0] as Record<string, string>;
      expect(row.scope_id).toBe('trigger:button-1');
      expect(row.scope_key).toBe(scopeKey(runtimeOperation('trigger:button-1')));
      expect(row.replay_key).toBe('trigger:button-1:sleep-effect');
      expect(row.status).toBe('completed');
      const stored = JSON.parse(row.envelope_json as string) as { json: string; hash: string };
      const parsed = JSON.parse(stored.json) as RuntimeEffectEnvelope;
      expect(parsed.invocation.scope).toEqual({ sessionId: 'session-1' });
      expect(parsed.invocation.subject).toMatchObject({ effectId: 'sleep-effect', effectKind: 'sleep' });
    } finally {
      raw.close();
    }
  });
});

describe('canonical envelope diagnostics (§8.9.1–§8.9.6)', () => {
  const durable = (input: JsonValue) =>
    canonicalizeRuntimeEffectEnvelope(
      envelope({ sessionId: 'session', turnId: 'turn', turnIndex: 0, protocolIteration: 0 }, 'durable:test', 'durable:test', {
        kind: 'durableStep',
        stepId: 'test',
        input,
      }),
    );
  const paths = (a: JsonValue, b: JsonValue, sink?: (e: EffectEnvelopeDiffTrace) => void) =>
    throwsWith(
      () => validateReplayedEffectEnvelope(durable(a), durable(b), 'EffectReplayHashConflict', sink),
      'EffectReplayHashConflict',
    ).summary as { divergentPathCount: number; firstDivergentPaths: string[] };

  it('reports_deep_tool_result_scalar_path', () => {
    const s = paths(
      { tool_results: [{ value: { embedding_duration_ms: 1761 } }] },
      { tool_results: [{ value: { embedding_duration_ms: 532 } }] },
    );
    expect(s.firstDivergentPaths).toEqual(['command.input.tool_results[0].value.embedding_duration_ms']);
  });

  it('reports_added_and_removed_field_paths', () => {
    const s = paths({ tool_results: [{ kept: true, removed: 1 }] }, { tool_results: [{ kept: true, added: 2 }] });
    expect(s.firstDivergentPaths).toEqual(['command.input.tool_results[0].added', 'command.input.tool_results[0].removed']);
  });

  it('reports_reordered_array_element_paths', () => {
    const s = paths({ tool_results: [{ value: ['first', 'second'] }] }, { tool_results: [{ value: ['second', 'first'] }] });
    expect(s.firstDivergentPaths).toEqual(['command.input.tool_results[0].value[0]', 'command.input.tool_results[0].value[1]']);
  });

  it('error_summary_counts_all_paths_and_keeps_first_eight', () => {
    const a: Record<string, number> = {};
    const b: Record<string, number> = {};
    for (let i = 0; i < 10; i++) {
      a[`f${i}`] = 0;
      b[`f${i}`] = 1;
    }
    const s = paths(a, b);
    expect(s.divergentPathCount).toBe(10);
    expect(s.firstDivergentPaths).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => `command.input.f${i}`));
  });

  it('large_divergent_value_is_whole_value_elided', () => {
    const events: EffectEnvelopeDiffTrace[] = [];
    const s = paths({ tool_results: [{ value: 'a'.repeat(3000) }] }, { tool_results: [{ value: 'b'.repeat(3000) }] }, (e) =>
      events.push(e),
    );
    expect(s.firstDivergentPaths).toEqual(['command.input.tool_results[0].value']);
    expect(events).toHaveLength(1);
    const entry = events[0]?.divergentPaths[0];
    expect(entry?.recorded).toEqual({
      kind: 'present',
      jsonLen: 3002,
      jsonSha256: createHash('sha256')
        .update(`"${'a'.repeat(3000)}"`)
        .digest('hex'),
      valueJson: null,
      valueJsonOmittedReason: 'sizeLimit',
    });
  });

  it('diff_trace_requires_a_sink_but_summary_does_not', () => {
    const without = paths({ x: 1 }, { x: 2 });
    const events: EffectEnvelopeDiffTrace[] = [];
    const withSink = paths({ x: 1 }, { x: 2 }, (e) => events.push(e));
    expect(without).toEqual({ divergentPathCount: 1, firstDivergentPaths: ['command.input.x'] });
    expect(withSink).toEqual(without);
    expect(events).toHaveLength(1);
    expect(events[0]?.name).toBe('effect_envelope_diff');
    expect(events[0]?.divergentPaths[0]?.recorded).toEqual({
      kind: 'present',
      jsonLen: 1,
      jsonSha256: createHash('sha256').update('1').digest('hex'),
      valueJson: '1',
      valueJsonOmittedReason: null,
    });
  });
});

describe('sleep is executed by the host', () => {
  it('a sleep ignores its local executor and returns after its due time', async () => {
    const host = await openHost(effectPath());
    const controller = host.scoped(turn('s', 't')).controller;
    const env = envelope({ sessionId: 's' }, 'nap', 'nap', { kind: 'sleep', durationMs: 30 });
    const pending = controller.executeEffect(env, failWith('NeverCalled'));
    expect(await settledAfter(pending, 5)).toBe(false);
    expect(await pending).toEqual({ kind: 'sleep' });
  });
});
