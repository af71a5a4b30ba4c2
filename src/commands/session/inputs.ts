/**
 * Validation and normalization of the session store's inputs. Each function returns a clean copy in
 * a fixed key order, so what gets stored (and hashed, and replayed) never depends on how the caller
 * spelled an object.
 */
import { StoreError } from '../../errors.js';
import type { JsonValue } from '../../json.js';
import type {
  AgentFrameRecord,
  GraphCommitDelta,
  HydratedSessionCheckpoint,
  MergeKey,
  PersistedSessionConfig,
  QueuedWorkBatchDraft,
  QueuedWorkCompletion,
  QueuedWorkPayload,
  RuntimeCommit,
  RuntimeTurnCommitStamp,
  SessionExecutionLeaseFence,
  SessionMeta,
  SessionNodeRecord,
  SessionRelation,
  TokenLedgerEntry,
  TokenUsage,
  TurnInputCompletion,
} from '../../types/session.js';
import { Validator } from '../validate.js';

/** The session database's validator: `StoreError`, byte leaves allowed. */
export const v = new Validator(StoreError, true);

export function fenceInput(value: unknown, path: string): SessionExecutionLeaseFence {
  const o = v.object(value, path);
  return {
    sessionId: v.string(o.sessionId, `${path}.sessionId`),
    owner: v.owner(o.owner, `${path}.owner`),
    leaseToken: v.string(o.leaseToken, `${path}.leaseToken`),
    fencingToken: v.count(o.fencingToken, `${path}.fencingToken`),
  };
}

export function nullableFence(value: unknown, path: string): SessionExecutionLeaseFence | null {
  return value === undefined || value === null ? null : fenceInput(value, path);
}

export function nodeInput(value: unknown, path: string): SessionNodeRecord {
  const o = v.object(value, path);
  return {
    nodeId: v.string(o.nodeId, `${path}.nodeId`),
    parentNodeId: v.nullableString(o.parentNodeId, `${path}.parentNodeId`),
    causedBy: v.nullableJson(o.causedBy, `${path}.causedBy`),
    agentFrameId: v.nullableString(o.agentFrameId, `${path}.agentFrameId`),
    timestamp: v.string(o.timestamp, `${path}.timestamp`),
    payload: v.jsonObject(o.payload, `${path}.payload`) as unknown as SessionNodeRecord['payload'],
  };
}

function nodeList(value: unknown, path: string): SessionNodeRecord[] {
  return v.array(value, path).map((n, i) => nodeInput(n, `${path}[${i}]`));
}

export function graphDeltaInput(value: unknown, path: string): GraphCommitDelta {
  const o = v.object(value, path);
  const kind = v.oneOf(o.kind, `${path}.kind`, ['unchanged', 'append', 'replaceFull'] as const);
  if (kind === 'unchanged') return { kind, leafNodeId: v.nullableString(o.leafNodeId, `${path}.leafNodeId`) };
  if (kind === 'append') {
    return { kind, nodes: nodeList(o.nodes, `${path}.nodes`), leafNodeId: v.nullableString(o.leafNodeId, `${path}.leafNodeId`) };
  }
  const g = v.object(o.graph, `${path}.graph`);
  return {
    kind,
    graph: {
      nodes: nodeList(g.nodes, `${path}.graph.nodes`),
      leafNodeId: v.nullableString(g.leafNodeId, `${path}.graph.leafNodeId`),
    },
  };
}

export function configInput(value: unknown, path: string): PersistedSessionConfig {
  const o = v.object(value, path);
  v.string(o.providerId, `${path}.providerId`);
  return v.jsonObject(o, path) as unknown as PersistedSessionConfig;
}

function framesInput(value: unknown, path: string): AgentFrameRecord[] {
  return v.list(value, path).map((f, i) => {
    const o = v.object(f, `${path}[${i}]`);
    v.string(o.frameId, `${path}[${i}].frameId`);
    return v.jsonObject(o, `${path}[${i}]`) as AgentFrameRecord;
  });
}

/** A blob ref as given: a string (it is not checked to exist). */
function refInput(value: unknown, path: string): string | null {
  return v.nullableString(value, path);
}

export function checkpointInput(value: unknown, path: string): HydratedSessionCheckpoint {
  const o = v.object(value, path);
  return {
    turnState: v.jsonObject(o.turnState, `${path}.turnState`) as unknown as HydratedSessionCheckpoint['turnState'],
    toolStateRef: refInput(o.toolStateRef, `${path}.toolStateRef`),
    toolState: v.nullableJson(o.toolState, `${path}.toolState`),
    pluginSnapshotRef: refInput(o.pluginSnapshotRef, `${path}.pluginSnapshotRef`),
    pluginSnapshot: v.nullableJson(o.pluginSnapshot, `${path}.pluginSnapshot`),
    pluginSnapshotRevision: v.nullableInteger(o.pluginSnapshotRevision, `${path}.pluginSnapshotRevision`),
    executionStateRef: refInput(o.executionStateRef, `${path}.executionStateRef`),
    executionState: v.nullableBytes(o.executionState, `${path}.executionState`),
  };
}

export function usageInput(value: unknown, path: string): TokenUsage {
  const o = v.object(value, path);
  return {
    inputTokens: v.integer(o.inputTokens, `${path}.inputTokens`),
    outputTokens: v.integer(o.outputTokens, `${path}.outputTokens`),
    cacheReadInputTokens: v.integer(o.cacheReadInputTokens, `${path}.cacheReadInputTokens`),
    cacheWriteInputTokens: v.integer(o.cacheWriteInputTokens, `${path}.cacheWriteInputTokens`),
    reasoningOutputTokens: v.integer(o.reasoningOutputTokens, `${path}.reasoningOutputTokens`),
  };
}

function ledgerInput(value: unknown, path: string): TokenLedgerEntry[] {
  return v.list(value, path).map((e, i) => {
    const o = v.object(e, `${path}[${i}]`);
    return {
      source: v.string(o.source, `${path}[${i}].source`),
      model: v.string(o.model, `${path}[${i}].model`),
      usage: usageInput(o.usage, `${path}[${i}].usage`),
    };
  });
}

function stampInput(value: unknown, path: string): RuntimeTurnCommitStamp | null {
  if (value === undefined || value === null) return null;
  const o = v.object(value, path);
  return {
    sessionId: v.string(o.sessionId, `${path}.sessionId`),
    turnId: v.string(o.turnId, `${path}.turnId`),
    turnCommitHash: v.string(o.turnCommitHash, `${path}.turnCommitHash`),
  };
}

function stringList(value: unknown, path: string): string[] {
  return v.list(value, path).map((s, i) => v.string(s, `${path}[${i}]`));
}

function queuedCompletions(value: unknown, path: string): QueuedWorkCompletion[] {
  return v.list(value, path).map((c, i) => {
    const o = v.object(c, `${path}[${i}]`);
    return {
      sessionId: v.string(o.sessionId, `${path}[${i}].sessionId`),
      claimId: v.string(o.claimId, `${path}[${i}].claimId`),
      leaseToken: v.string(o.leaseToken, `${path}[${i}].leaseToken`),
      batchIds: stringList(o.batchIds, `${path}[${i}].batchIds`),
    };
  });
}

function inputCompletions(value: unknown, path: string): TurnInputCompletion[] {
  return v.list(value, path).map((c, i) => {
    const o = v.object(c, `${path}[${i}]`);
    return {
      sessionId: v.string(o.sessionId, `${path}[${i}].sessionId`),
      claimId: v.string(o.claimId, `${path}[${i}].claimId`),
      leaseToken: v.string(o.leaseToken, `${path}[${i}].leaseToken`),
      inputIds: stringList(o.inputIds, `${path}[${i}].inputIds`),
    };
  });
}

export function mergeKeyInput(value: unknown, path: string): MergeKey {
  if (value === undefined || value === null) return { kind: 'never' };
  const o = v.object(value, path);
  const kind = v.oneOf(o.kind, `${path}.kind`, ['never', 'payloadDefault', 'group'] as const);
  return kind === 'group' ? { kind, group: v.string(o.group, `${path}.group`) } : { kind };
}

export function queuedPayloadInput(value: unknown, path: string): QueuedWorkPayload {
  const o = v.object(value, path);
  const kind = v.oneOf(o.kind, `${path}.kind`, ['processWake', 'agentFrameTask', 'sessionCommand'] as const);
  if (kind === 'processWake') return { kind, wake: v.json(o.wake, `${path}.wake`) };
  if (kind === 'agentFrameTask') {
    return {
      kind,
      frameId: v.string(o.frameId, `${path}.frameId`),
      task: v.string(o.task, `${path}.task`),
      protocolTurnOptions: v.nullableJson(o.protocolTurnOptions, `${path}.protocolTurnOptions`),
    };
  }
  const c = v.object(o.command, `${path}.command`);
  const commandKind = v.oneOf(c.kind, `${path}.command.kind`, ['refreshToolCatalog', 'resetSession'] as const);
  return { kind, command: { kind: commandKind, reason: v.string(c.reason, `${path}.command.reason`) } };
}

export function queuedDraftInput(value: unknown, path: string): Required<QueuedWorkBatchDraft> {
  const o = v.object(value, path);
  return {
    sessionId: v.string(o.sessionId, `${path}.sessionId`),
    sourceKey: v.nullableString(o.sourceKey, `${path}.sourceKey`),
    deliveryPolicy: v.oneOf(o.deliveryPolicy, `${path}.deliveryPolicy`, [
      'earliestSafeBoundary',
      'afterCurrentTurnCommit',
    ] as const),
    slotPolicy: v.oneOf(o.slotPolicy, `${path}.slotPolicy`, ['join', 'exclusive'] as const),
    mergeKey: mergeKeyInput(o.mergeKey, `${path}.mergeKey`),
    availableAtMs:
      o.availableAtMs === undefined || o.availableAtMs === null ? 0 : v.count(o.availableAtMs, `${path}.availableAtMs`),
    payloads: v.array(o.payloads, `${path}.payloads`).map((p, i) => queuedPayloadInput(p, `${path}.payloads[${i}]`)),
  };
}

/** Validates a whole `RuntimeCommit`. */
export function runtimeCommitInput(value: unknown): RuntimeCommit {
  const path = 'commit';
  const o = v.object(value, path);
  return {
    sessionId: v.string(o.sessionId, `${path}.sessionId`),
    expectedHeadRevision: v.nullableCount(o.expectedHeadRevision, `${path}.expectedHeadRevision`),
    sessionExecutionLease: nullableFence(o.sessionExecutionLease, `${path}.sessionExecutionLease`),
    releaseSessionExecutionLease: nullableFence(o.releaseSessionExecutionLease, `${path}.releaseSessionExecutionLease`),
    config: configInput(o.config, `${path}.config`),
    agentFrames: framesInput(o.agentFrames, `${path}.agentFrames`),
    currentAgentFrameId: v.string(o.currentAgentFrameId, `${path}.currentAgentFrameId`),
    graph: graphDeltaInput(o.graph, `${path}.graph`),
    checkpoint: checkpointInput(o.checkpoint, `${path}.checkpoint`),
    usageDeltas: ledgerInput(o.usageDeltas, `${path}.usageDeltas`),
    turnCommit: stampInput(o.turnCommit, `${path}.turnCommit`),
    completedQueueClaims: queuedCompletions(o.completedQueueClaims, `${path}.completedQueueClaims`),
    completedTurnInputClaims: inputCompletions(o.completedTurnInputClaims, `${path}.completedTurnInputClaims`),
    enqueuedQueueBatches: v
      .list(o.enqueuedQueueBatches, `${path}.enqueuedQueueBatches`)
      .map((d, i) => queuedDraftInput(d, `${path}.enqueuedQueueBatches[${i}]`)),
    interruptedTurnInputTurnId: v.nullableString(o.interruptedTurnInputTurnId, `${path}.interruptedTurnInputTurnId`),
    committedAttachmentIds: stringList(o.committedAttachmentIds, `${path}.committedAttachmentIds`),
  };
}

function relationInput(value: unknown, path: string): SessionRelation {
  if (value === undefined || value === null) return { kind: 'root' };
  const o = v.object(value, path);
  const kind = v.oneOf(o.kind, `${path}.kind`, ['root', 'child'] as const);
  if (kind === 'root') return { kind };
  return {
    kind,
    parentSessionId: v.string(o.parentSessionId, `${path}.parentSessionId`),
    causedBy: v.nullableJson(o.causedBy, `${path}.causedBy`),
  };
}

/** Validates `SessionMeta`. */
export function sessionMetaInput(value: unknown): SessionMeta {
  const path = 'meta';
  const o = v.object(value, path);
  return {
    sessionId: v.string(o.sessionId, `${path}.sessionId`),
    sessionName: v.string(o.sessionName, `${path}.sessionName`),
    createdAt: v.string(o.createdAt, `${path}.createdAt`),
    model: v.string(o.model, `${path}.model`),
    cwd: v.nullableString(o.cwd, `${path}.cwd`),
    relation: relationInput(o.relation, `${path}.relation`),
  };
}

/** A JSON value for a typed blob (byte leaves allowed). */
export function typedValueInput(value: unknown, path: string): JsonValue {
  return v.json(value, path);
}
