/** The fixtures of 10-session-store §7.0, with the exact shapes the catalogue uses. */
import { expect } from 'vitest';
import {
  completionOf,
  fenceOf,
  type LeaseOwnerIdentity,
  type PendingTurnInputDraft,
  type QueuedWorkBatchDraft,
  type RuntimeCommit,
  type RuntimeCommitResult,
  type SessionExecutionLease,
  type SessionNodeRecord,
  type Store,
  type TokenUsage,
} from '../../src/index.js';
import { emptyRuntimeCommit, ZERO_TOKEN_USAGE } from '../../src/testing.js';

export const PID = process.pid;
export const DEAD = 'not-the-current-process-start';

export function owner(id: string): LeaseOwnerIdentity {
  return { ownerId: id, incarnationId: `${id}:incarnation`, liveness: { kind: 'opaque' } };
}

export function localOwner(id: string, inc: string, host: string, boot: string, pid: number, start: string): LeaseOwnerIdentity {
  return {
    ownerId: id,
    incarnationId: inc,
    liveness: { kind: 'localProcess', hostId: host, bootId: boot, pid, processStart: start },
  };
}

export const deadHolder = localOwner('dead-holder', 'dead-holder:incarnation', 'host-a', 'boot-a', PID, DEAD);

export const zeros: TokenUsage = { ...ZERO_TOKEN_USAGE };

export function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** `lease(S, id)`: the test fails unless the claim is acquired. */
export async function lease(store: Store, sessionId: string, id: string): Promise<SessionExecutionLease> {
  const outcome = await store.tryClaimSessionExecutionLease(sessionId, owner(id), 60_000);
  expect(outcome.kind).toBe('acquired');
  if (outcome.kind !== 'acquired') throw new Error('unreachable');
  return outcome.lease;
}

export async function release(store: Store, l: SessionExecutionLease): Promise<void> {
  await store.releaseSessionExecutionLease(completionOf(l));
}

/** `base(S)`: the default commit. */
export function base(sessionId: string): RuntimeCommit {
  return { ...emptyRuntimeCommit(sessionId), graph: { kind: 'replaceFull', graph: { nodes: [], leafNodeId: null } } };
}

/** `c +fence(l) +release(l)`. */
export function fenced(c: RuntimeCommit, l: SessionExecutionLease, releaseToo = true): RuntimeCommit {
  return { ...c, sessionExecutionLease: fenceOf(l), releaseSessionExecutionLease: releaseToo ? completionOf(l) : null };
}

/** `commitWith(c, id)`: lease, then commit fenced and released. */
export async function commitWith(store: Store, c: RuntimeCommit, id: string): Promise<RuntimeCommitResult> {
  const l = await lease(store, c.sessionId, id);
  return store.commitRuntimeState(fenced(c, l));
}

export function node(id: string, parent: string | null): SessionNodeRecord {
  return {
    nodeId: id,
    parentNodeId: parent,
    causedBy: null,
    agentFrameId: null,
    timestamp: '1970-01-01T00:00:00Z',
    payload: { kind: 'event', event: { kind: 'protocol', event: { pluginId: 'conformance', payload: { node: id } } } },
  };
}

export const E = 'earliestSafeBoundary' as const;
export const A = 'afterCurrentTurnCommit' as const;
export const X = 'exclusive' as const;
export const J = 'join' as const;

/** `wake(S, text, delivery, slot)`. */
export function wake(
  sessionId: string,
  text: string,
  delivery: QueuedWorkBatchDraft['deliveryPolicy'],
  slot: QueuedWorkBatchDraft['slotPolicy'],
  sourceKey: string | null = null,
): QueuedWorkBatchDraft {
  return {
    sessionId,
    sourceKey,
    deliveryPolicy: delivery,
    slotPolicy: slot,
    mergeKey: { kind: 'never' },
    availableAtMs: 0,
    payloads: [
      {
        kind: 'processWake',
        wake: {
          wakeId: `wake:${sessionId}:${text}`,
          targetSessionId: sessionId,
          processId: `process:${text}`,
          sequence: 1,
          eventType: 'process.wake',
          dedupeKey: `wake:${sessionId}:${text}:1`,
          input: text,
          createdAtMs: 1,
        },
      },
    ],
  };
}

/** `cmd(S, reason)`. */
export function cmd(sessionId: string, reason: string): QueuedWorkBatchDraft {
  return {
    ...wake(sessionId, reason, E, X),
    payloads: [{ kind: 'sessionCommand', command: { kind: 'refreshToolCatalog', reason } }],
  };
}

/** `text(batch)`. */
export function text(batch: { items: Array<{ payload: unknown }> }): string {
  const p = batch.items[0]?.payload as { wake?: { input?: string }; task?: string };
  return p.wake?.input ?? (p.task as string);
}

export function nextIn(sessionId: string, t: string, sourceKey: string | null = null): PendingTurnInputDraft {
  return {
    sessionId,
    inputId: null,
    sourceKey,
    ingress: { kind: 'nextTurn' },
    input: { items: [{ kind: 'text', text: t }], protocolTurnOptions: null, traceTurnId: null },
  };
}

export function activeIn(
  sessionId: string,
  turnId: string,
  boundary: 'afterWork' | 'beforeCompletion',
  t: string,
  sourceKey: string | null = null,
): PendingTurnInputDraft {
  return { ...nextIn(sessionId, t, sourceKey), ingress: { kind: 'activeTurn', turnId, minBoundary: boundary } };
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
