/**
 * 40-effects-triggers §8.4 (cold-instance await events, run as §8.7.6 over one durable file) and the
 * file-only entries §8.7.3, §8.7.7, §8.7.8 (resolution from another OS process through
 * `lash-store resolve-await`) and §8.7.16. `verifyProjections()` runs after every test.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ActiveTurnControl,
  EFFECT_SCHEMA_VERSION,
  LeaseTimings,
  type Resolution,
  type RuntimeEffectEnvelope,
  SqliteEffectHost,
  type TurnTerminal,
  TurnWorkDriver,
} from '../../src/index.js';
import { compiledScript } from '../support/compiled.js';
import { effectPath, openHost, tempDir } from '../support/effect-backends.js';
import { cancelled, finished, fresh, ok, rejectsWith, settledAfter, tool, turn, within } from '../support/effect-fixtures.js';

describe('effect_host_await_events_cold_instance (§8.4 via §8.7.6) [file SqliteEffectHost]', () => {
  // One durable database for the whole suite (its entries run in order); verified after the suite.
  let dir = '';
  let path = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lash-cold-'));
    path = join(dir, 'cold.db');
  });
  afterAll(async () => {
    const host = await SqliteEffectHost.open(path);
    const report = await host.verifyProjections();
    await host.close();
    rmSync(dir, { recursive: true, force: true });
    expect(report.mismatches).toEqual([]);
  });
  const make = () => openHost(path, { leaseTimings: LeaseTimings.fromTtl(1500) });
  const p = `cold-await-${randomUUID()}`;

  it('cold_tier_is_durable', async () => {
    expect((await make()).durabilityTier()).toBe('durable');
  });

  it('cold_mint_resolve_observe_all_identities', async () => {
    const waits = [
      tool(`${p}-tool`),
      { kind: 'processSignal', processId: `${p}-process`, signalName: 'ready', ordinal: 1 } as const,
      { kind: 'turnCancelGate' } as const,
      { kind: 'turnTerminal' } as const,
    ];
    for (const [i, wait] of waits.entries()) {
      const scope = turn(`${p}-identity-session-${i}`, `${p}-identity-turn-${i}`);
      const A = await make();
      const key = await A.awaitEventKey(scope, wait);
      await A.close();
      const B = await make();
      expect(await B.resolveAwaitEvent(key, ok({ identity: i }))).toEqual({ kind: 'accepted' });
      const C = await make();
      expect(await C.peekAwaitEvent(key)).toEqual(ok({ identity: i }));
      expect(await within(C.awaitAwaitEvent(key, { signal: fresh() }), 5_000, 'cold await')).toEqual(ok({ identity: i }));
      expect(await C.resolveAwaitEvent(key, cancelled)).toEqual({ kind: 'alreadyResolved', terminal: ok({ identity: i }) });
    }
  });

  it('cold_first_writer_wins', async () => {
    const address = { sessionId: `${p}-race-session`, turnId: `${p}-race-turn` };
    const ownerHost = await make();
    const control = await ActiveTurnControl.create(ownerHost, address);
    const driver = new TurnWorkDriver(await make());
    const [settled, receipt] = await Promise.all([
      control.settleBeforeCommit(ownerHost, false),
      driver.requestCancel({ address, requestId: `${p}-race-request`, origin: null, reason: 'cold-instance conformance race' }),
    ]);
    const completion = settled === null && receipt.outcome.kind === 'completionWonRace';
    const cancel = settled !== null && receipt.outcome.kind === 'requested';
    expect(completion || cancel).toBe(true);
  });

  it('cold_replayed_parked_owner', async () => {
    const sessionId = `${p}-parked-session`;
    const turnId = `${p}-parked-turn`;
    const scope = turn(sessionId, turnId);
    const key = await (await make()).awaitEventKey(scope, tool(`${p}-parked-call`));
    const env: RuntimeEffectEnvelope = {
      invocation: {
        scope: { sessionId, turnId },
        subject: { kind: 'effect', effectId: 'cold_await_event.parked_owner', effectKind: 'awaitEvent' },
        replay: { key: 'cold_await_event.parked_owner' },
      },
      command: { kind: 'awaitEvent', key },
    };
    const A = await make();
    const parked = A.scopedStatic(scope).controller.executeEffect(env, { kind: 'awaitEvent', signal: fresh() });
    expect(await settledAfter(parked, 250)).toBe(false);
    await A.close();
    await rejectsWith(parked, 'Closed');
    const B = await make();
    expect(await B.resolveAwaitEvent(key, ok({ owner: 'cold-replayed' }))).toEqual({ kind: 'accepted' });
    const expected = { kind: 'awaitEvent', resolution: ok({ owner: 'cold-replayed' }) };
    const C = (await make()).scopedStatic(scope).controller;
    expect(await within(C.executeEffect(env, { kind: 'awaitEvent', signal: fresh() }), 1500 + 5_000, 'C reclaims')).toEqual(
      expected,
    );
    await (await make()).revokeAwaitEventsForSession(sessionId);
    const D = (await make()).scopedStatic(scope).controller;
    expect(await D.executeEffect(env, { kind: 'awaitEvent', signal: fresh() })).toEqual(expected);
  });

  it('cold_key_stability', async () => {
    const scope = turn(`${p}-stable-session`, `${p}-stable-turn`);
    const a = await (await make()).awaitEventKey(scope, tool(`${p}-stable-call`));
    const b = await (await make()).awaitEventKey(scope, tool(`${p}-stable-call`));
    expect(a).toEqual(b);
  });

  it('cold_revocation_survives_reopen', async () => {
    const session = `${p}-revoked-session`;
    const key = await (await make()).awaitEventKey(turn(session, 'turn'), tool(`${p}-revoked-call`));
    await (await make()).revokeAwaitEventsForSession(session);
    expect(await (await make()).resolveAwaitEvent(key, cancelled)).toEqual({ kind: 'unknownOrRevoked' });
    await rejectsWith((await make()).peekAwaitEvent(key), 'AwaitEventUnknownOrRevoked');
    await rejectsWith(
      (await make()).awaitEventKey(turn(session, 'turn'), tool(`${p}-post-revoke-call`)),
      'AwaitEventUnknownOrRevoked',
    );
  });

  it('cold_cancel_sweep_excludes_turn_control', async () => {
    const session = `${p}-sweep-session`;
    const key = await (await make()).awaitEventKey(turn(session, 'turn'), tool(`${p}-sweep-call`));
    const W = await make();
    let settled = false;
    const waiter = W.awaitAwaitEvent(key, { signal: fresh() }).finally(() => {
      settled = true;
    });
    const sweeper = await make();
    const started = Date.now();
    while (!settled && Date.now() - started < 10_000) {
      await sweeper.cancelAwaitEventsForSession(session);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await waiter).toEqual(cancelled);
    const gate = await (await make()).awaitEventKey(turn(session, 'turn'), { kind: 'turnCancelGate' });
    await (await make()).cancelAwaitEventsForSession(session);
    expect(await (await make()).peekAwaitEvent(gate)).toBeNull();
    expect(await (await make()).resolveAwaitEvent(gate, ok('still-open'))).toEqual({ kind: 'accepted' });
  });

  it('cold_terminal_attach_both_orders', async () => {
    const after = { sessionId: `${p}-attach-after`, turnId: 'turn' };
    const afterTerminal: TurnTerminal = {
      kind: 'committed',
      outcome: finished('attach-after'),
      cancellation: null,
      sessionRevision: 1,
    };
    const afterKey = await (await make()).awaitEventKey(turn(after.sessionId, after.turnId), { kind: 'turnTerminal' });
    expect(await (await make()).resolveAwaitEvent(afterKey, ok(afterTerminal))).toEqual({ kind: 'accepted' });
    expect(await new TurnWorkDriver(await make()).awaitTerminal(after)).toEqual(afterTerminal);
    const before = { sessionId: `${p}-attach-before`, turnId: 'turn' };
    const beforeTerminal: TurnTerminal = {
      kind: 'committed',
      outcome: finished('attach-before'),
      cancellation: null,
      sessionRevision: 2,
    };
    const attacher = new TurnWorkDriver(await make()).awaitTerminal(before);
    const beforeKey = await (await make()).awaitEventKey(turn(before.sessionId, before.turnId), { kind: 'turnTerminal' });
    expect(await (await make()).resolveAwaitEvent(beforeKey, ok(beforeTerminal))).toEqual({ kind: 'accepted' });
    expect(await within(attacher, 10_000, 'attacher')).toEqual(beforeTerminal);
  });
});

describe('file-only effect host entries (§8.7.3, §8.7.7, §8.7.16)', () => {
  it('sqlite_effect_host_rejects_unsupported_schema_before_serving', async () => {
    const path = join(tempDir(), 'future.db');
    const raw = new Database(path);
    raw.pragma(`user_version = ${EFFECT_SCHEMA_VERSION + 1}`);
    raw.close();
    const error = await rejectsWith(SqliteEffectHost.open(path), 'SchemaVersionMismatch');
    expect(error.constructor.name).toBe('EffectHostError');
    expect(error.databaseKind).toBe('effectReplay');
    const message = String(error.message);
    expect(message).toContain('Unsupported lash effect replay schema');
    expect(message).toContain(`supports schema version ${EFFECT_SCHEMA_VERSION}`);
    expect(message).toContain(`reports version ${EFFECT_SCHEMA_VERSION + 1}`);
    expect(message).toContain('delete the effect replay database and start fresh');
    const after = new Database(path, { readonly: true });
    try {
      expect(after.pragma('user_version', { simple: true })).toBe(EFFECT_SCHEMA_VERSION + 1);
      expect(after.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table'").pluck().get()).toBe(0);
    } finally {
      after.close();
    }
  });

  it('sqlite_await_event_key_mint_is_pure_and_store_secret_is_stable', async () => {
    const path = effectPath();
    const [a, b] = await Promise.all([openHost(path), openHost(path)]);
    const scope = turn('pure-key-session', 'pure-key-turn');
    const [ka, kb] = await Promise.all([
      a.awaitEventKey(scope, tool('pure-key-call')),
      b.awaitEventKey(scope, tool('pure-key-call')),
    ]);
    expect(ka).toEqual(kb);
    const raw = new Database(path, { readonly: true });
    try {
      expect(raw.prepare('SELECT count(*) FROM await_event_waits').pluck().get()).toBe(0);
      const secrets = raw.prepare('SELECT signing_secret FROM await_event_meta').pluck().all() as Buffer[];
      expect(secrets).toHaveLength(1);
      expect(secrets[0]?.length).toBe(32);
    } finally {
      raw.close();
    }
    expect(await a.readEvents()).toEqual([]);
  });

  it('sqlite_await_event_in_process_wake_is_immediate', async () => {
    const path = effectPath();
    const A = await openHost(path);
    const B = await openHost(path);
    const key = await A.awaitEventKey(turn('wake-session', 'wake-turn'), tool('wake-call'));
    const waiter = A.awaitAwaitEvent(key, { signal: fresh() });
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await B.resolveAwaitEvent(key, ok('now'))).toEqual({ kind: 'accepted' });
    const resolvedAt = performance.now();
    expect(await within(waiter, 300, 'in-process wake')).toEqual(ok('now'));
    expect(performance.now() - resolvedAt).toBeLessThan(300);
  });
});

/** Runs `lash-store <args>` in a child process; resolves with its exit status and output. */
async function lashStore(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string; exitedAt: number }> {
  const script = await compiledScript('test/support/workers/lash-store.ts');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += String(c);
    });
    child.stderr.on('data', (c) => {
      stderr += String(c);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, exitedAt: performance.now() });
    });
  });
}

describe('sqlite_effect_host_resolves_from_another_os_process (§8.7.8)', () => {
  for (const identity of ['toolCompletion', 'turnCancelGate'] as const) {
    it(`lash-store resolve-await in a child process wakes an awaiter in this process (${identity})`, async () => {
      const path = effectPath();
      const nonce = randomUUID();
      const scope = turn(`cold-process-${nonce}-session`, `cold-process-${nonce}-turn`);
      const M = await openHost(path);
      const K = await M.awaitEventKey(
        scope,
        identity === 'toolCompletion' ? tool(`cold-process-${nonce}-call`) : { kind: 'turnCancelGate' },
      );
      await M.close();
      const W = await openHost(path);
      const waiter = W.awaitAwaitEvent(K, { signal: fresh() });
      const terminal: Resolution = ok({ coldProcess: true, identity, nonce });
      const first = await lashStore(['resolve-await', path, JSON.stringify(K), JSON.stringify(terminal)]);
      expect(first.stderr).toBe('');
      expect(first.status).toBe(0);
      expect(first.stdout).toBe('{"kind":"accepted"}\n');
      expect(await within(waiter, 5_000, 'awaiter in the parent')).toEqual(terminal);
      expect(performance.now() - first.exitedAt).toBeLessThan(5_000);
      const other = await openHost(path);
      expect(await other.peekAwaitEvent(K)).toEqual(terminal);
      expect(await other.awaitAwaitEvent(K)).toEqual(terminal);
      const second = await lashStore(['resolve-await', path, JSON.stringify(K), JSON.stringify(ok('second'))]);
      expect(second.status).toBe(0);
      expect(JSON.parse(second.stdout)).toEqual({ kind: 'alreadyResolved', terminal });
      expect(second.stdout.trimEnd().split('\n')).toHaveLength(1);
    });
  }

  it('resolve-await exit statuses: 1 for unknown or revoked keys and schema refusals, 2 for bad usage', async () => {
    const path = effectPath();
    const host = await openHost(path);
    const key = await host.awaitEventKey(turn('cli-session', 'cli-turn'), tool('cli-call'));
    const tampered = await lashStore(['resolve-await', path, JSON.stringify({ ...key, signature: 'x' }), '{"kind":"cancelled"}']);
    expect(tampered.status).toBe(1);
    expect(tampered.stdout).toBe('{"kind":"unknownOrRevoked"}\n');
    expect(tampered.stderr).toBe('lash-store: await-event key is invalid or revoked\n');
    const badJson = await lashStore(['resolve-await', path, '{not json', '{"kind":"cancelled"}']);
    expect(badJson.status).toBe(2);
    expect(badJson.stderr.trim().split('\n')).toHaveLength(1);
    expect(badJson.stderr).toContain('invalid await-event key JSON');
    const badShape = await lashStore(['resolve-await', path, JSON.stringify(key), '{"kind":"ok"}']);
    expect(badShape.status).toBe(2);
    expect(badShape.stderr).toContain('invalid await-event resolution JSON');
    expect(badShape.stderr).toContain('payload');
    const missing = join(tempDir(), 'missing.db');
    const noFile = await lashStore(['resolve-await', missing, JSON.stringify(key), '{"kind":"cancelled"}']);
    expect(noFile.status).toBe(2);
    expect(noFile.stderr).toContain(`effect replay database not found: ${missing}`);
    const { existsSync } = await import('node:fs');
    expect(existsSync(missing)).toBe(false);
    const wrongCount = await lashStore(['resolve-await', path, JSON.stringify(key)]);
    expect(wrongCount.status).toBe(2);
    const future = join(tempDir(), 'future.db');
    const raw = new Database(future);
    raw.pragma(`user_version = ${EFFECT_SCHEMA_VERSION + 1}`);
    raw.close();
    const refused = await lashStore(['resolve-await', future, JSON.stringify(key), '{"kind":"cancelled"}']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('Unsupported lash effect replay schema');
    expect(await host.peekAwaitEvent(key)).toBeNull();
  });
});
