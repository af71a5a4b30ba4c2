/** Data shapes of the session store (10-session-store §2, 20-blobs-attachments-lifecycle §1). */
import type { Clock } from '../clock.js';
import type { JsonValue } from '../json.js';
import type { ModuleArtifact } from './artifacts.js';
import type { ProcessOwnerRegistry } from './attachments.js';
import type { LeaseOwnerIdentity } from './common.js';

export type SessionId = string;
/** 64 lowercase hex chars: SHA-256 of the logical bytes. */
export type BlobRef = string;
export type AttachmentId = string;

// ---- leases ----
export interface SessionExecutionLease {
  sessionId: SessionId;
  owner: LeaseOwnerIdentity;
  leaseToken: string;
  /** The lease "generation": 1 on the first acquisition, +1 per fresh acquisition or takeover. */
  fencingToken: number;
  claimedAtEpochMs: number;
  expiresAtEpochMs: number;
}
export interface SessionExecutionLeaseFence {
  sessionId: SessionId;
  owner: LeaseOwnerIdentity;
  leaseToken: string;
  fencingToken: number;
}
export interface SessionExecutionLeaseCompletion {
  sessionId: SessionId;
  owner: LeaseOwnerIdentity;
  leaseToken: string;
  fencingToken: number;
}
export type SessionExecutionLeaseClaimOutcome =
  | { kind: 'acquired'; lease: SessionExecutionLease }
  | { kind: 'busy'; holder: SessionExecutionLease };

// ---- graph ----
export interface ProtocolEvent {
  pluginId: string;
  payload: JsonValue;
}
export type MessageRole = 'user' | 'assistant' | 'system' | 'event';
export type PartKind = 'text' | 'attachment' | 'code' | 'output' | 'error' | 'prose' | 'toolCall' | 'toolResult' | 'reasoning';
export interface MessagePart {
  id: string;
  kind: PartKind;
  content: string;
  pruneState: JsonValue;
  [field: string]: JsonValue;
}
export interface ConversationRecord {
  id: string;
  role: MessageRole;
  parts: MessagePart[];
  origin: JsonValue | null;
}
export type SessionHistoryRecord =
  | { kind: 'conversation'; message: ConversationRecord }
  | { kind: 'protocol'; event: ProtocolEvent };
export type SessionNodePayload =
  | { kind: 'event'; event: SessionHistoryRecord }
  | { kind: 'plugin'; pluginType: string; body: JsonValue };
export interface SessionNodeRecord {
  nodeId: string;
  parentNodeId: string | null;
  causedBy: JsonValue | null;
  agentFrameId: string | null;
  timestamp: string;
  payload: SessionNodePayload;
}
export interface SessionGraph {
  nodes: SessionNodeRecord[];
  leafNodeId: string | null;
}
export type GraphCommitDelta =
  | { kind: 'unchanged'; leafNodeId: string | null }
  | { kind: 'append'; nodes: SessionNodeRecord[]; leafNodeId: string | null }
  | { kind: 'replaceFull'; graph: SessionGraph };

// ---- head, config, checkpoint, usage ----
export interface PersistedSessionConfig {
  providerId: string;
  model: JsonValue;
}
export type AgentFrameRecord = { frameId: string; [field: string]: JsonValue };
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheWriteInputTokens: number;
  reasoningOutputTokens: number;
}
export interface TokenLedgerEntry {
  source: string;
  model: string;
  usage: TokenUsage;
}
export interface PersistedTurnState {
  turnIndex: number;
  tokenUsage: TokenUsage;
  lastPromptUsage: JsonValue | null;
  protocolTurnOptions: JsonValue;
}
export interface HydratedSessionCheckpoint {
  turnState: PersistedTurnState;
  toolStateRef: BlobRef | null;
  toolState: JsonValue | null;
  pluginSnapshotRef: BlobRef | null;
  pluginSnapshot: JsonValue | null;
  pluginSnapshotRevision: number | null;
  executionStateRef: BlobRef | null;
  executionState: Uint8Array | null;
}
export interface SessionCheckpointManifest {
  schemaVersion: number;
  turnState: PersistedTurnState;
  toolStateRef: BlobRef | null;
  pluginSnapshotRef: BlobRef | null;
  pluginSnapshotRevision: number | null;
  executionStateRef: BlobRef | null;
}
export interface StoredSessionCheckpoint {
  checkpointRef: BlobRef;
  manifest: SessionCheckpointManifest;
}
export interface SessionHeadMeta {
  schemaVersion: number;
  sessionId: SessionId;
  headRevision: number;
  config: PersistedSessionConfig;
  agentFrames: AgentFrameRecord[];
  currentAgentFrameId: string;
  checkpointRef: BlobRef | null;
  leafNodeId: string | null;
  graphNodeCount: number;
}
export interface SessionHead {
  sessionId: string;
  headRevision: number;
  config: PersistedSessionConfig;
  agentFrames: AgentFrameRecord[];
  currentAgentFrameId: string;
  checkpointRef: BlobRef | null;
  graph: SessionGraph;
  tokenLedger: TokenLedgerEntry[];
}

// ---- queued work (10 §2.6) ----
export type DeliveryPolicy = 'earliestSafeBoundary' | 'afterCurrentTurnCommit';
export type SlotPolicy = 'join' | 'exclusive';
export type MergeKey = { kind: 'never' } | { kind: 'payloadDefault' } | { kind: 'group'; group: string };
export type SessionCommand = { kind: 'refreshToolCatalog'; reason: string } | { kind: 'resetSession'; reason: string };
export type QueuedWorkPayload =
  | { kind: 'processWake'; wake: JsonValue }
  | { kind: 'agentFrameTask'; frameId: string; task: string; protocolTurnOptions: JsonValue | null }
  | { kind: 'sessionCommand'; command: SessionCommand };
export type QueuedWorkClass = 'sessionCommand' | 'turnWork';
export interface QueuedWorkItem {
  itemId: string;
  payload: QueuedWorkPayload;
}
export interface QueuedWorkBatchDraft {
  sessionId: SessionId;
  sourceKey: string | null;
  deliveryPolicy: DeliveryPolicy;
  slotPolicy: SlotPolicy;
  mergeKey?: MergeKey;
  availableAtMs?: number;
  payloads: QueuedWorkPayload[];
}
export interface QueuedWorkBatch {
  batchId: string;
  sessionId: SessionId;
  enqueueSeq: number;
  sourceKey: string | null;
  deliveryPolicy: DeliveryPolicy;
  slotPolicy: SlotPolicy;
  mergeKey: MergeKey;
  availableAtMs: number;
  enqueuedAtMs: number;
  items: QueuedWorkItem[];
}
export type QueuedWorkClaimBoundary = 'activeTurnCheckpoint' | 'idle';
export interface QueuedWorkClaim {
  sessionId: SessionId;
  claimId: string;
  owner: LeaseOwnerIdentity;
  leaseToken: string;
  fencingToken: number;
  sessionLeaseGeneration: number;
  batches: QueuedWorkBatch[];
}
export interface QueuedWorkCompletion {
  sessionId: SessionId;
  claimId: string;
  leaseToken: string;
  batchIds: string[];
}
export interface ClaimCandidate {
  enqueueSeq: number;
  claimFencingToken: number;
  workClass: QueuedWorkClass;
  deliveryPolicy: DeliveryPolicy;
  slotPolicy: SlotPolicy;
  mergeKey: MergeKey;
}

// ---- pending turn input (10 §2.7) ----
export type CheckpointKind = 'afterWork' | 'beforeCompletion';
export type TurnInputCheckpointBoundary = 'afterWork' | 'beforeCompletion';
export type TurnInputIngress =
  | { kind: 'activeTurn'; turnId: string; minBoundary: TurnInputCheckpointBoundary }
  | { kind: 'nextTurn' };
export type TurnInputState = 'pendingActive' | 'deferredNextTurn' | 'accepted' | 'cancelled' | 'completed';
export type InputItem = { kind: 'text'; text: string } | { kind: 'attachment'; source: JsonValue };
export interface TurnInput {
  items: InputItem[];
  protocolTurnOptions: JsonValue | null;
  traceTurnId: string | null;
}
export interface PendingTurnInputDraft {
  sessionId: SessionId;
  inputId: string | null;
  sourceKey: string | null;
  ingress: TurnInputIngress;
  input: TurnInput;
}
export interface PendingTurnInput {
  inputId: string;
  sessionId: SessionId;
  enqueueSeq: number;
  sourceKey: string | null;
  ingress: TurnInputIngress;
  state: TurnInputState;
  enqueuedAtMs: number;
  input: TurnInput;
}
export type TurnInputClaimMode = { kind: 'activeTurn'; turnId: string; checkpoint: CheckpointKind } | { kind: 'nextTurn' };
export interface TurnInputClaim {
  sessionId: SessionId;
  claimId: string;
  owner: LeaseOwnerIdentity;
  leaseToken: string;
  fencingToken: number;
  sessionLeaseGeneration: number;
  mode: TurnInputClaimMode;
  inputs: PendingTurnInput[];
}
export interface TurnInputCompletion {
  sessionId: SessionId;
  claimId: string;
  leaseToken: string;
  inputIds: string[];
}
export type PendingTurnInputCancelTarget = { kind: 'inputId'; value: string } | { kind: 'sourceKey'; value: string };
/** The claim state of an input that a cancel refused to touch. */
export interface PendingTurnInputClaimDiagnostics {
  state: TurnInputState;
  claimId: string | null;
  claimOwner: LeaseOwnerIdentity | null;
  /** Non-null only when a claim token is present. */
  claimSessionLeaseGeneration: number | null;
  claimFencingToken: number;
}
export type PendingTurnInputCancelOutcome =
  | { kind: 'cancelled'; input: PendingTurnInput }
  | { kind: 'alreadyClaimed'; input: PendingTurnInput; claim: PendingTurnInputClaimDiagnostics | null }
  | { kind: 'alreadyCompleted'; input: PendingTurnInput }
  | { kind: 'alreadyCancelled'; input: PendingTurnInput }
  | { kind: 'notFound' };
export interface PendingTurnInputCancelResult {
  target: PendingTurnInputCancelTarget;
  outcome: PendingTurnInputCancelOutcome;
}
export type PendingTurnInputSuffixCancelOutcome =
  | { kind: 'anchorNotFound'; anchor: PendingTurnInputCancelTarget }
  | { kind: 'outcomes'; anchor: PendingTurnInputCancelTarget; outcomes: PendingTurnInputCancelOutcome[] };

// ---- claims shared by queued work and turn input ----
/** The lease a claim grant derives from its head row (R7). */
export interface ClaimLease {
  claimId: string;
  leaseToken: string;
  fencingToken: number;
  sessionLeaseGeneration: number;
}
/** Per-row claim projection, visible to callers only through diagnostics. */
export interface ClaimColumns {
  claimId: string | null;
  claimOwner: LeaseOwnerIdentity | null;
  claimToken: string | null;
  /** Starts at 0, +1 on every successful claim of the row, never reset. */
  claimFencingToken: number;
  /** 0 when unclaimed. */
  claimSessionLeaseGeneration: number;
}
/** Counters of `claimCheckpointWork` on one handle (10-session-store §3.1.7). */
export interface CheckpointClaimCounts {
  probeCount: number;
  writeTransactionCount: number;
}

// ---- commit ----
export interface RuntimeTurnCommitStamp {
  sessionId: SessionId;
  turnId: string;
  turnCommitHash: string;
}
export interface RuntimeCommit {
  sessionId: SessionId;
  expectedHeadRevision: number | null;
  sessionExecutionLease: SessionExecutionLeaseFence | null;
  releaseSessionExecutionLease: SessionExecutionLeaseCompletion | null;
  config: PersistedSessionConfig;
  agentFrames: AgentFrameRecord[];
  currentAgentFrameId: string;
  graph: GraphCommitDelta;
  checkpoint: HydratedSessionCheckpoint;
  usageDeltas: TokenLedgerEntry[];
  turnCommit: RuntimeTurnCommitStamp | null;
  completedQueueClaims: QueuedWorkCompletion[];
  completedTurnInputClaims: TurnInputCompletion[];
  enqueuedQueueBatches: QueuedWorkBatchDraft[];
  interruptedTurnInputTurnId: string | null;
  committedAttachmentIds: AttachmentId[];
}
export interface RuntimeCommitResult {
  headRevision: number;
  checkpointRef: BlobRef;
  manifest: SessionCheckpointManifest;
  enqueuedQueueBatches: QueuedWorkBatch[];
}

// ---- reads and metadata ----
export type SessionReadScope = { kind: 'fullGraph' } | { kind: 'activePath'; leafNodeId: string | null };
export interface PersistedSessionRead {
  sessionId: SessionId;
  headRevision: number;
  config: PersistedSessionConfig;
  agentFrames: AgentFrameRecord[];
  currentAgentFrameId: string;
  graph: SessionGraph;
  checkpointRef: BlobRef | null;
  checkpoint: HydratedSessionCheckpoint | null;
  tokenLedger: TokenLedgerEntry[];
}
export type SessionRelation = { kind: 'root' } | { kind: 'child'; parentSessionId: string; causedBy: JsonValue | null };
export interface SessionMeta {
  sessionId: string;
  sessionName: string;
  createdAt: string;
  model: string;
  cwd: string | null;
  relation: SessionRelation;
}
export interface SessionPickerInfo {
  sessionId: string;
  cwd: string | null;
  relation: SessionRelation;
  firstUserMessage: string;
  userMessageCount: number;
}
export interface VacuumReport {
  removedNodeCount: number;
  removedPendingTurnInputTombstoneCount: number;
}
export interface GcReport {
  rootCount: number;
  retainedBlobCount: number;
  danglingRefCount: number;
  deletedBlobCount: number;
}

// ---- blobs ----
export type BlobProfile = 'lowLatency' | 'balanced' | 'compact';
export type PersistedArtifactKind =
  | 'genericBlob'
  | 'checkpointManifest'
  | 'toolState'
  | 'pluginSessionSnapshot'
  | 'executionStateSnapshot'
  | 'lashlangModule'
  | 'processExecutionEnv';
export type BlobStorageHint = 'compressible' | 'inlinePreferred' | 'largePayload';
export interface BlobArtifactDescriptor {
  kind: PersistedArtifactKind;
  hints: BlobStorageHint[];
}
export type BlobCompression = 'none' | 'zlib';
export interface StoredBlobEnvelope {
  descriptor: BlobArtifactDescriptor;
  compression: BlobCompression;
  content: Uint8Array;
}

// ---- options ----
export interface StoreGcPolicy {
  autoRunEveryCommits: number | null;
}
export interface StoreOptions {
  /** 'lowLatency' | 'balanced' | 'compact'; file default 'balanced', `Store.memory` 'lowLatency'. */
  blobProfile?: BlobProfile;
  /** Default `{ autoRunEveryCommits: null }`. */
  gcPolicy?: StoreGcPolicy;
  /** Default `systemClock`. */
  clock?: Clock;
  /** Larger inflations fail with `CorruptData`; default 256 MiB. */
  maxInflatedBlobBytes?: number;
  /** Lets attachment reconciliation prove process owners dead (a `SqliteProcessRegistry`); 20 §4.4. */
  processRegistry?: ProcessOwnerRegistry | null;
  /** Throws to reject a module artifact on put and on read (20 §5.3). */
  verifyModuleArtifact?: ((artifact: ModuleArtifact) => void) | null;
}
