/** Test helpers, exported as `lash-event-store/testing`. */
import type { RuntimeCommit, TokenUsage } from './types/session.js';

export { ManualClock } from './clock.js';
export { overrideEffectLease } from './stores/effect-host.js';

/** Token usage with every counter at zero. */
export const ZERO_TOKEN_USAGE: Readonly<TokenUsage> = Object.freeze({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadInputTokens: 0,
  cacheWriteInputTokens: 0,
  reasoningOutputTokens: 0,
});

/**
 * The commit that changes nothing but the head revision: graph unchanged, an empty turn state, no
 * lease, no settlements. Tests and workloads spread over it and set only what they exercise, so a
 * new `RuntimeCommit` field has one default instead of one per test file.
 */
export function emptyRuntimeCommit(sessionId: string): RuntimeCommit {
  return {
    sessionId,
    expectedHeadRevision: null,
    sessionExecutionLease: null,
    releaseSessionExecutionLease: null,
    config: { providerId: '', model: {} },
    agentFrames: [],
    currentAgentFrameId: '',
    graph: { kind: 'unchanged', leafNodeId: null },
    checkpoint: {
      turnState: { turnIndex: 0, tokenUsage: { ...ZERO_TOKEN_USAGE }, lastPromptUsage: null, protocolTurnOptions: {} },
      toolStateRef: null,
      toolState: null,
      pluginSnapshotRef: null,
      pluginSnapshot: null,
      pluginSnapshotRevision: null,
      executionStateRef: null,
      executionState: null,
    },
    usageDeltas: [],
    turnCommit: null,
    completedQueueClaims: [],
    completedTurnInputClaims: [],
    enqueuedQueueBatches: [],
    interruptedTurnInputTurnId: null,
    committedAttachmentIds: [],
  };
}
