/** Fixtures and shorthands of the process registry catalogue (30-process-registry §5.0). */
import { expect } from 'vitest';
import {
  type LeaseOwnerIdentity,
  type ProcessAwaitOutput,
  type ProcessCompletionAuthority,
  type ProcessEventAppendResult,
  type ProcessEventType,
  type ProcessLease,
  type ProcessLeaseClaimOutcome,
  ProcessRegistration,
  type ProcessRegistration as Registration,
  type SessionScope,
  type SqliteProcessRegistry,
} from '../../src/index.js';
import type { JsonValue } from '../../src/json.js';

export const FAR = Number.MAX_SAFE_INTEGER;
export const EXPIRING_TTL = 20;

const host = { originator: { kind: 'host' as const, scope: null }, causedBy: null };

/** `reg(id)`: external, externallyOwned, host provenance, the 7 core types. */
export function reg(id: string): Registration {
  return ProcessRegistration.create(id, { kind: 'external', metadata: null }, 'externallyOwned', host);
}

/** `reg(id)` with disposition `ownerBound`. */
export function ownerBoundReg(id: string): Registration {
  return { ...reg(id), disposition: 'ownerBound' };
}

/** An engine input, rerunnable, with an env ref. */
export function rerunnableReg(id: string): Registration {
  return {
    ...ProcessRegistration.create(id, { kind: 'engine', engineKind: 'test-engine', payload: null }, 'rerunnable', host),
    envRef: `process-env:test:${id}`,
  };
}

export function plainType(name: string): ProcessEventType {
  return { name, payloadSchema: {}, semantics: { terminal: null, wake: null } };
}

export function wakeType(name: string): ProcessEventType {
  return {
    name,
    payloadSchema: {},
    semantics: {
      terminal: null,
      wake: {
        when: { kind: 'present', pointer: '/wake_input' },
        input: { kind: 'pointer', pointer: '/wake_input' },
        dedupeKey: { kind: 'eventIdentity' },
      },
    },
  };
}

/** `r +types(...)`. */
export function plus(r: Registration, ...types: ProcessEventType[]): Registration {
  return ProcessRegistration.withExtraEventTypes(r, types);
}

/** `r =types(...)`. */
export function only(r: Registration, ...types: ProcessEventType[]): Registration {
  return ProcessRegistration.withEventTypes(r, types);
}

export function owner(x: string): LeaseOwnerIdentity {
  return { ownerId: x, incarnationId: `${x}:incarnation`, liveness: { kind: 'opaque' } };
}

export function localOwner(x: string, hostId: string, bootId: string, pid: number, processStart: string): LeaseOwnerIdentity {
  return { ownerId: x, incarnationId: `${x}:incarnation`, liveness: { kind: 'localProcess', hostId, bootId, pid, processStart } };
}

export function success(value: JsonValue): ProcessAwaitOutput {
  return { kind: 'success', value, control: null };
}
export function ext(grantedTo: string): ProcessCompletionAuthority {
  return { kind: 'externalOwner', grantedTo };
}
export function wf(workflowKey: string): ProcessCompletionAuthority {
  return { kind: 'workflowKey', workflowKey };
}
export const RA: ProcessCompletionAuthority = { kind: 'reconciledAbandon' };

export function S(sessionId: string): SessionScope {
  return { sessionId, agentFrameId: null };
}

/** `append(id, t, payload, { key, target })`. */
export function append(
  registry: SqliteProcessRegistry,
  id: string,
  eventType: string,
  payload: JsonValue,
  options: { key?: string; target?: SessionScope } = {},
): Promise<ProcessEventAppendResult> {
  return registry.appendEvent(id, {
    eventType,
    payload,
    replay: options.key === undefined ? null : { key: options.key },
    wakeTargetScope: options.target ?? null,
  });
}

/** The lease of an `acquired` outcome (fails the test otherwise). */
export function acquired(outcome: ProcessLeaseClaimOutcome): ProcessLease {
  expect(outcome.kind).toBe('acquired');
  if (outcome.kind !== 'acquired') throw new Error('not acquired');
  return outcome.lease;
}

/** The holder of a `busy` outcome (fails the test otherwise). */
export function busy(outcome: ProcessLeaseClaimOutcome): ProcessLease {
  expect(outcome.kind).toBe('busy');
  if (outcome.kind !== 'busy') throw new Error('not busy');
  return outcome.holder;
}

/** Advances the clock by EXPIRING_TTL, then claims; must be acquired. */
export async function claimAfterExpiry(
  registry: SqliteProcessRegistry,
  clock: { advance(ms: number): void },
  id: string,
  o: LeaseOwnerIdentity,
  ttl: number,
): Promise<ProcessLease> {
  clock.advance(EXPIRING_TTL);
  return acquired(await registry.claimProcessLease(id, o, ttl));
}

/** Awaits a rejection with a `ProcessRegistryError` of `code`; returns the error. */
export async function rejectsCode(promise: Promise<unknown>, code: string): Promise<Error & Record<string, unknown>> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a rejection with ${code}`).toBeInstanceOf(Error);
  expect((caught as { name?: string }).name).toBe('ProcessRegistryError');
  expect((caught as { code?: string }).code).toBe(code);
  return caught as Error & Record<string, unknown>;
}

/** The terminal events of a process. */
export async function terminalEvents(registry: SqliteProcessRegistry, id: string) {
  return (await registry.eventsAfter(id, 0)).filter((e) => e.semantics.terminal !== null);
}

/** Resolves after `ms` of real time. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Races `promise` against a real-time bound. */
export async function within<T>(promise: Promise<T>, ms: number, label = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${label} did not finish within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
