/** The fixtures of 40-effects-triggers §8.0, with the exact shapes the catalogue uses. */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type {
  ExecutionScope,
  JsonValue,
  ProcessOriginator,
  Resolution,
  RuntimeEffectCommand,
  RuntimeEffectEnvelope,
  RuntimeEffectLocalExecutor,
  RuntimeEffectOutcome,
  RuntimeScope,
  TriggerCommand,
  TriggerOccurrenceRequest,
  TriggerOwnerScope,
  TriggerSubscriptionDraft,
  TurnAddress,
  TurnCancelRequest,
} from '../../src/index.js';

/** `envelope(scope, effectId, replayKey, command)`. */
export function envelope(
  scope: RuntimeScope,
  effectId: string,
  replayKey: string,
  command: RuntimeEffectCommand,
): RuntimeEffectEnvelope {
  return {
    invocation: { scope, subject: { kind: 'effect', effectId, effectKind: command.kind }, replay: { key: replayKey } },
    command,
  };
}

export function ExecEnv(key: string, code: string): RuntimeEffectEnvelope {
  return envelope({ sessionId: 'effect-session', turnId: 'effect-turn', turnIndex: 1, protocolIteration: 0 }, key, key, {
    kind: 'execCode',
    language: 'code',
    code,
  });
}

export function ExecOut(marker: string): RuntimeEffectOutcome {
  return { kind: 'execCode', result: { terminalFinish: marker } };
}

/** The marker of an outcome. */
export function marker(outcome: RuntimeEffectOutcome): unknown {
  return (outcome.result as { terminalFinish?: unknown } | undefined)?.terminalFinish;
}

export function LeaseEnv(key: string): RuntimeEffectEnvelope {
  return envelope(
    { sessionId: 'effect-lease-session', turnId: 'effect-lease-turn', turnIndex: 1, protocolIteration: 0 },
    key,
    key,
    {
      kind: 'execCode',
      language: 'code',
      code: 'emit',
    },
  );
}

export function SegEnv(id: string, code: string): RuntimeEffectEnvelope {
  return envelope(
    { sessionId: 'journaled-session', turnId: 'journaled-turn', turnIndex: 7, protocolIteration: 0 },
    `exec-code:${id}`,
    `exec-code-replay:${id}`,
    { kind: 'execCode', language: 'conformance', code },
  );
}

export function TAEnv(effectId: string, callId: string, tool: string): RuntimeEffectEnvelope {
  return envelope(
    {
      sessionId: 'tool-attempt-conformance-session',
      turnId: 'tool-attempt-conformance-turn',
      turnIndex: 7,
      protocolIteration: 0,
    },
    effectId,
    `tool-attempt-conformance:tool-attempt-conformance-turn:${effectId}`,
    {
      kind: 'toolAttempt',
      call: { callId, toolId: `tool:${tool}`, toolName: tool, args: { call: callId }, preparedPayload: { prepared: effectId } },
      attempt: 1,
      maxAttempts: 1,
    },
  );
}

export function TAOut(callId: string, tool: string): RuntimeEffectOutcome {
  return {
    kind: 'toolAttempt',
    launch: { kind: 'done' },
    record: { callId, tool, args: { call: callId }, output: { kind: 'success', value: { call: callId, tool } }, durationMs: 0 },
  };
}

/** "TA-marker ok". */
export function expectTA(outcome: RuntimeEffectOutcome, callId: string, tool: string): void {
  const record = outcome.record as { callId: string; tool: string; output: { value: JsonValue } };
  expect(record.callId).toBe(callId);
  expect(record.tool).toBe(tool);
  expect(record.output.value).toEqual({ call: callId, tool });
}

/** An error with a `code`, as local executors reject. */
export function codedError(code: string, message = `${code} raised`): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/** `FailingExec(log)`. */
export function FailingExec(log: string[]): RuntimeEffectLocalExecutor {
  return {
    kind: 'function',
    run: async (env) => {
      log.push((env.invocation.subject as { effectId: string }).effectId);
      throw codedError('ConformanceReplayLocalExecutorCalled');
    },
  };
}

/** `fn(outcome)`. */
export function fn(outcome: RuntimeEffectOutcome): RuntimeEffectLocalExecutor {
  return { kind: 'function', run: async () => outcome };
}

/** `failWith(code)`. */
export function failWith(code: string): RuntimeEffectLocalExecutor {
  return {
    kind: 'function',
    run: async () => {
      throw codedError(code);
    },
  };
}

/** A probe for `RecExec`: signals entry, waits for release, records completion order. */
export class Probe {
  readonly order: string[] = [];
  readonly #entered = new Map<string, () => void>();
  readonly #enteredP = new Map<string, Promise<void>>();
  readonly #release = new Map<string, () => void>();
  readonly #releaseP = new Map<string, Promise<void>>();

  #slot(id: string): void {
    if (this.#enteredP.has(id)) return;
    this.#enteredP.set(id, new Promise((r) => this.#entered.set(id, r)));
    this.#releaseP.set(id, new Promise((r) => this.#release.set(id, r)));
  }

  /** Resolves when the executor of `id` has been entered. */
  entered(id: string): Promise<void> {
    this.#slot(id);
    return this.#enteredP.get(id) as Promise<void>;
  }

  /** Lets the executor of `id` return. */
  release(id: string): void {
    this.#slot(id);
    this.#release.get(id)?.();
  }

  async enter(id: string): Promise<void> {
    this.#slot(id);
    this.#entered.get(id)?.();
    await this.#releaseP.get(id);
    this.order.push(id);
  }
}

/** `RecExec(effectId, callId, tool, probe?)`. */
export function RecExec(effectId: string, callId: string, tool: string, probe?: Probe): RuntimeEffectLocalExecutor {
  return {
    kind: 'function',
    run: async (env) => {
      expect((env.invocation.subject as { effectId: string }).effectId).toBe(effectId);
      if (probe) await probe.enter(effectId);
      return TAOut(callId, tool);
    },
  };
}

// ---- scopes and await events ----
export const turn = (sessionId: string, turnId: string): ExecutionScope => ({ kind: 'turn', sessionId, turnId });
export const processScope = (processId: string): ExecutionScope => ({ kind: 'process', processId });
export const queueDrain = (sessionId: string, drainId: string): ExecutionScope => ({ kind: 'queueDrain', sessionId, drainId });
export const sessionDelete = (sessionId: string): ExecutionScope => ({ kind: 'sessionDelete', sessionId });
export const runtimeOperation = (operationId: string): ExecutionScope => ({ kind: 'runtimeOperation', operationId });
export const tool = (toolCallId: string) => ({ kind: 'toolCompletion', toolCallId }) as const;
export const ok = (payload: JsonValue): Resolution => ({ kind: 'ok', payload });
export const cancelled: Resolution = { kind: 'cancelled' };
export const timeout: Resolution = { kind: 'timeout' };

/** A fresh signal. */
export function fresh(): AbortSignal {
  return new AbortController().signal;
}

/** An already-aborted signal. */
export function aborted(): AbortSignal {
  const c = new AbortController();
  c.abort();
  return c.signal;
}

// ---- turn control ----
export function address(label: string): TurnAddress {
  return { sessionId: `turn-control-${label}-${randomUUID()}`, turnId: 'turn-a' };
}

export function request(addr: TurnAddress, id: string): TurnCancelRequest {
  return { address: addr, requestId: id, origin: 'conformance-user', reason: 'stop button' };
}

export const stopped: JsonValue = { kind: 'stopped', reason: 'cancelled' };
export const finished = (text: string): JsonValue => ({ kind: 'finished', assistantMessage: text });

// ---- triggers ----
export const owner = (s: string): TriggerOwnerScope => ({ kind: 'session', sessionId: s });
export const actor = (s: string): ProcessOriginator => ({ kind: 'session', scope: { sessionId: s, agentFrameId: null } });

export function draft(s: string, key: string, sourceKey: string, proc: string): TriggerSubscriptionDraft {
  return {
    subscriptionKey: key,
    envRef: `process-env:${s}`,
    wakeTarget: { sessionId: s, agentFrameId: null },
    name: proc,
    sourceType: 'ui.button.pressed',
    sourceKey,
    source: { button: 'Blue' },
    payloadSchema: {
      type: 'object',
      properties: { button: { type: 'string' } },
      required: ['button'],
      additionalProperties: false,
    },
    target: { kind: 'engine', engineKind: 'test', payload: { process: proc } },
    targetIdentity: { kind: 'test', label: proc, definition: { processName: proc } },
    eventTypes: [],
    inputTemplate: { event: { kind: 'event' } },
    targetLabel: proc,
  };
}

export function register(s: string, d: TriggerSubscriptionDraft): TriggerCommand {
  return { kind: 'register', ownerScope: owner(s), actor: actor(s), draft: d };
}
export function update(s: string, key: string, d: TriggerSubscriptionDraft, rev: number): TriggerCommand {
  return { kind: 'update', ownerScope: owner(s), actor: actor(s), subscriptionKey: key, draft: d, expectedRevision: rev };
}
export function revive(s: string, key: string, d: TriggerSubscriptionDraft, rev: number): TriggerCommand {
  return { kind: 'revive', ownerScope: owner(s), actor: actor(s), subscriptionKey: key, draft: d, expectedRevision: rev };
}
export function enable(s: string, key: string, rev: number): TriggerCommand {
  return { kind: 'enable', ownerScope: owner(s), actor: actor(s), subscriptionKey: key, expectedRevision: rev };
}
export function disable(s: string, key: string, rev: number): TriggerCommand {
  return { kind: 'disable', ownerScope: owner(s), actor: actor(s), subscriptionKey: key, expectedRevision: rev };
}
export function del(s: string, key: string, rev: number): TriggerCommand {
  return { kind: 'delete', ownerScope: owner(s), actor: actor(s), subscriptionKey: key, expectedRevision: rev };
}

export function occ(sourceKey: string, idem: string): TriggerOccurrenceRequest {
  return {
    sourceType: 'ui.button.pressed',
    sourceKey,
    payload: { button: 'Blue' },
    idempotencyKey: idem,
    source: { button: 'Blue' },
  };
}

/** Asserts a promise rejects with a `LashStoreError` of `code` and returns the error. */
export async function rejectsWith(promise: Promise<unknown>, code: string): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    expect((error as { code?: string }).code, String(error)).toBe(code);
    return error as Record<string, unknown>;
  }
  throw new Error(`expected a rejection with code ${code}`);
}

/** Asserts a synchronous call throws a `LashStoreError` of `code`. */
export function throwsWith(fn: () => unknown, code: string): Record<string, unknown> {
  try {
    fn();
  } catch (error) {
    expect((error as { code?: string }).code, String(error)).toBe(code);
    return error as Record<string, unknown>;
  }
  throw new Error(`expected a throw with code ${code}`);
}

/** Settles within `ms` or fails with `label`. */
export async function within<T>(promise: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${label}: not settled within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether `promise` has settled after `ms`. */
export async function settledAfter(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await new Promise((r) => setTimeout(r, ms));
  return settled;
}

/** A few macrotask turns, so started waiters reach their first wait. */
export async function yieldTurns(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

/** `a` and `b` in canonical order, for comparisons that must not depend on key order. */
export function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
