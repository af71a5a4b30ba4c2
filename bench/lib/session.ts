/**
 * The runtime-commit workload shared by the `ours-*` cases: what one agent turn commits — one graph
 * node (an assistant message of ~600 characters), one usage delta, no checkpoint snapshots (the
 * manifest still changes every turn, as its turn index and token totals do).
 */
import type {
  LeaseOwnerIdentity,
  RuntimeCommit,
  SessionExecutionLeaseCompletion,
  SessionExecutionLeaseFence,
  SessionNodeRecord,
} from 'lash-event-store';
import { emptyRuntimeCommit, ZERO_TOKEN_USAGE } from 'lash-event-store/testing';

export const SESSION_ID = 'bench-session';

/** The runtime that holds the lease: opaque liveness (it can only expire). */
export const OWNER: LeaseOwnerIdentity = {
  ownerId: 'bench-runtime',
  incarnationId: `bench-runtime:${process.pid}`,
  liveness: { kind: 'opaque' },
};

/** A lease TTL that outlives any run. */
export const LONG_TTL_MS = 24 * 60 * 60 * 1000;

const SENTENCE = 'The agent read the file, found the failing assertion and proposed a two-line fix. ';
/** ~600 characters of message text: node + usage + head make a ~1 KiB event, like the raw row. */
const TEXT = SENTENCE.repeat(8).slice(0, 600);

/** The node of turn `turn` (1-based), child of the previous turn's node. */
export function turnNode(turn: number): SessionNodeRecord {
  const nodeId = `node-${turn}`;
  return {
    nodeId,
    parentNodeId: turn === 1 ? null : `node-${turn - 1}`,
    causedBy: null,
    agentFrameId: 'main',
    timestamp: new Date(Date.UTC(2026, 0, 1) + turn * 1000).toISOString(),
    payload: {
      kind: 'event',
      event: {
        kind: 'conversation',
        message: {
          id: `msg-${turn}`,
          role: 'assistant',
          parts: [{ id: `msg-${turn}:0`, kind: 'text', content: TEXT, pruneState: 'intact' }],
          origin: null,
        },
      },
    },
  };
}

/**
 * The commit of turn `turn` on a head at revision `turn - 1`: append one node, one usage delta,
 * fenced by `fence`, releasing the lease only when `release` is given.
 */
export function turnCommit(
  turn: number,
  fence: SessionExecutionLeaseFence,
  release: SessionExecutionLeaseCompletion | null,
): RuntimeCommit {
  const node = turnNode(turn);
  const empty = emptyRuntimeCommit(SESSION_ID);
  return {
    ...empty,
    expectedHeadRevision: turn - 1,
    sessionExecutionLease: fence,
    releaseSessionExecutionLease: release,
    config: { providerId: 'bench-provider', model: { id: 'bench-model' } },
    agentFrames: [{ frameId: 'main' }],
    currentAgentFrameId: 'main',
    graph: { kind: 'append', nodes: [node], leafNodeId: node.nodeId },
    checkpoint: {
      ...empty.checkpoint,
      turnState: {
        ...empty.checkpoint.turnState,
        turnIndex: turn,
        tokenUsage: { ...ZERO_TOKEN_USAGE, inputTokens: 1200 * turn, outputTokens: 300 * turn },
      },
    },
    usageDeltas: [{ source: 'turn', model: 'bench-model', usage: { ...ZERO_TOKEN_USAGE, inputTokens: 1200, outputTokens: 300 } }],
  };
}
