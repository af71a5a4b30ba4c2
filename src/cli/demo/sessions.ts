/**
 * The session part of the demo: one database per session through `SqliteSessionStoreFactory`,
 * turns committed with snapshots under fenced leases, queued work and turn inputs claimed under the
 * session lease and settled inside the turn commit, an idempotent retry and a stale writer refused.
 */
import {
  completionOf,
  fenceOf,
  isLashStoreError,
  type LeaseOwnerIdentity,
  type PendingTurnInputDraft,
  type QueuedWorkBatchDraft,
  queuedWorkCompletionOf,
  type RuntimeCommit,
  type SqliteSessionStoreFactory,
  type Store,
  turnCommitHash,
  turnInputCompletionOf,
} from '../../index.js';

const zeros = { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheWriteInputTokens: 0, reasoningOutputTokens: 0 };

/** What the session workload did. */
export interface SessionTally {
  commits: number;
  retries: number;
  fencedOut: number;
  queuedEnqueued: number;
  queuedSettled: number;
  inputsEnqueued: number;
  inputsSettled: number;
}

export function emptySessionTally(): SessionTally {
  return { commits: 0, retries: 0, fencedOut: 0, queuedEnqueued: 0, queuedSettled: 0, inputsEnqueued: 0, inputsSettled: 0 };
}

/** One turn: the user message and the assistant answer, a tool-state and VM snapshot, usage. */
export function turnCommit(sessionId: string, turn: number, parent: string | null): RuntimeCommit {
  const userId = `${sessionId}:turn-${turn}:user`;
  const assistantId = `${sessionId}:turn-${turn}:assistant`;
  const message = (id: string, role: 'user' | 'assistant', content: string) => ({
    nodeId: id,
    parentNodeId: id === userId ? parent : userId,
    causedBy: null,
    agentFrameId: 'main',
    timestamp: new Date(Date.UTC(2026, 10, 26, 10, turn)).toISOString(),
    payload: {
      kind: 'event' as const,
      event: {
        kind: 'conversation' as const,
        message: { id, role, parts: [{ id: `${id}:p0`, kind: 'text' as const, content, pruneState: 'intact' }], origin: null },
      },
    },
  });
  return {
    sessionId,
    expectedHeadRevision: turn,
    sessionExecutionLease: null,
    releaseSessionExecutionLease: null,
    config: { providerId: 'demo-provider', model: { id: 'demo-model' } },
    agentFrames: [{ frameId: 'main', reason: 'initial' }],
    currentAgentFrameId: 'main',
    graph: {
      kind: 'append',
      nodes: [message(userId, 'user', `question ${turn}`), message(assistantId, 'assistant', `answer ${turn}`)],
      leafNodeId: assistantId,
    },
    checkpoint: {
      turnState: { turnIndex: turn + 1, tokenUsage: zeros, lastPromptUsage: null, protocolTurnOptions: {} },
      toolStateRef: null,
      toolState: { files: Array.from({ length: turn + 1 }, (_, i) => `notes-${i}.md`) },
      pluginSnapshotRef: null,
      pluginSnapshot: null,
      pluginSnapshotRevision: null,
      executionStateRef: null,
      executionState: new TextEncoder().encode(`vm-state-${turn}`),
    },
    usageDeltas: [
      {
        source: 'turn',
        model: 'demo-model',
        usage: { ...zeros, inputTokens: 120 + turn, outputTokens: 40, reasoningOutputTokens: 8 },
      },
    ],
    turnCommit: null,
    completedQueueClaims: [],
    completedTurnInputClaims: [],
    enqueuedQueueBatches: [],
    interruptedTurnInputTurnId: null,
    committedAttachmentIds: [],
  };
}

/** A background process woke the session: the runtime queues the wake for the next safe boundary. */
function processWake(sessionId: string, turn: number): QueuedWorkBatchDraft {
  const processId = `build-${sessionId}-${turn}`;
  return {
    sessionId,
    sourceKey: `wake:${processId}:1`,
    deliveryPolicy: 'earliestSafeBoundary',
    slotPolicy: 'join',
    mergeKey: { kind: 'never' },
    availableAtMs: 0,
    payloads: [
      {
        kind: 'processWake',
        wake: {
          wakeId: `wake:${processId}:1`,
          targetSessionId: sessionId,
          processId,
          sequence: 1,
          eventType: 'build.finished',
          dedupeKey: `wake:${processId}:1`,
          input: `build ${turn} finished: 2 tests failed`,
          createdAtMs: Date.UTC(2026, 10, 26, 10, turn),
        },
      },
    ],
  };
}

/** The user typed while the agent was busy: the message waits for the next turn. */
function userMessage(sessionId: string, turn: number): PendingTurnInputDraft {
  return {
    sessionId,
    inputId: null,
    sourceKey: `ui:${sessionId}:message-${turn}`,
    ingress: { kind: 'nextTurn' },
    input: {
      items: [{ kind: 'text', text: `follow-up ${turn}: also update the changelog` }],
      protocolTurnOptions: null,
      traceTurnId: null,
    },
  };
}

/** Runs `turns` turns of `sessionId` on a store the factory created; calls `tick` after each. */
export async function runSession(
  factory: SqliteSessionStoreFactory,
  sessionId: string,
  turns: number,
  tally: SessionTally,
  tick: () => void,
): Promise<string> {
  const store: Store = await factory.createStore({
    sessionId,
    relation: { kind: 'root' },
    policy: { model: { id: 'demo-model' } },
  });
  try {
    let parent: string | null = null;
    for (let turn = 0; turn < turns; turn++) {
      if (turn % 4 === 1) {
        await store.enqueueQueuedWork(processWake(sessionId, turn));
        tally.queuedEnqueued++;
        await store.enqueuePendingTurnInput(userMessage(sessionId, turn));
        tally.inputsEnqueued++;
      }
      const worker = `worker-${turn % 2}`;
      const owner: LeaseOwnerIdentity = {
        ownerId: worker,
        incarnationId: `${worker}:${process.pid}`,
        liveness: { kind: 'opaque' },
      };
      const claim = await store.tryClaimSessionExecutionLease(sessionId, owner, 30_000);
      if (claim.kind !== 'acquired') throw new Error(`lease busy for ${sessionId}`);
      const fence = fenceOf(claim.lease);
      // Work that arrived since the last turn is claimed under the session lease and settled by the commit.
      const work = await store.claimReadyQueuedWork(sessionId, fence, owner, 'idle', 8);
      const inputs = await store.claimNextTurnInputs(sessionId, fence, owner, 8);
      const body: RuntimeCommit = {
        ...turnCommit(sessionId, turn, parent),
        completedQueueClaims: work ? [queuedWorkCompletionOf(work)] : [],
        completedTurnInputClaims: inputs ? [turnInputCompletionOf(inputs)] : [],
      };
      const stamped = { ...body, turnCommit: { sessionId, turnId: `turn-${turn}`, turnCommitHash: turnCommitHash(body) } };
      const result = await store.commitRuntimeState({
        ...stamped,
        sessionExecutionLease: fence,
        releaseSessionExecutionLease: completionOf(claim.lease),
      });
      tally.commits++;
      tally.queuedSettled += work?.batches.length ?? 0;
      tally.inputsSettled += inputs?.inputs.length ?? 0;
      if (turn % 5 === 4) {
        // A runtime that crashed after committing retries the same turn: it gets the stored result.
        const replay = await store.commitRuntimeState(stamped);
        if (replay.headRevision !== result.headRevision) throw new Error('idempotent replay diverged');
        tally.retries++;
        // A stale worker still holding the released fence is refused.
        try {
          await store.commitRuntimeState({ ...turnCommit(sessionId, turn + 1, null), sessionExecutionLease: fence });
          throw new Error('a stale fence was accepted');
        } catch (error) {
          if (!isLashStoreError(error, 'SessionExecutionLeaseExpired')) throw error;
          tally.fencedOut++;
        }
      }
      parent = `${sessionId}:turn-${turn}:assistant`;
      tick();
    }
    await store.gcUnreachable();
  } finally {
    await store.close();
  }
  return factory.pathForSession(sessionId);
}
