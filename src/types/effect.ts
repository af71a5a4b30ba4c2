/** Data shapes of the effect host: journal, await events and turn control (40-effects-triggers §1–§4). */
import type { Clock } from '../clock.js';
import type { JsonValue } from '../json.js';
import type { LeaseTimings } from '../leases/timings.js';
import type { DurabilityTier } from './common.js';
import type { TriggerCommand, TriggerEffectResult } from './trigger.js';

// ---- scopes ----
/** The complete execution scope a controller journals under. */
export type ExecutionScope =
  | { kind: 'turn'; sessionId: string; turnId: string }
  | { kind: 'process'; processId: string }
  | { kind: 'queueDrain'; sessionId: string; drainId: string }
  | { kind: 'sessionDelete'; sessionId: string }
  | { kind: 'runtimeOperation'; operationId: string };

/** Options of `SqliteEffectHost.open` / `memory`. */
export interface EffectHostOptions {
  /** Journal lease timings; default `LeaseTimings.default()` (30 000 / 10 000 ms). */
  leaseTimings?: LeaseTimings | { ttlMs: number; renewIntervalMs: number };
  clock?: Clock;
}

// ---- envelopes ----
export type RuntimeEffectKind =
  | 'llmCall'
  | 'direct'
  | 'toolAttempt'
  | 'toolBatch'
  | 'trigger'
  | 'process'
  | 'execCode'
  | 'checkpoint'
  | 'syncExecutionEnvironment'
  | 'sleep'
  | 'awaitEvent'
  | 'peekAwaitEvent'
  | 'durableStep';

/** The runtime scope of an invocation: opaque, hashed, never the journal partition. */
export interface RuntimeScope {
  sessionId: string;
  turnId?: string | null;
  turnIndex?: number | null;
  protocolIteration?: number | null;
}

export type RuntimeSubject =
  | { kind: 'effect'; effectId: string; effectKind: RuntimeEffectKind }
  | { kind: 'process'; processId: string }
  | { kind: 'processEvent'; processId: string; sequence: number; eventType: string }
  | { kind: 'triggerOccurrence'; occurrenceId: string }
  | { kind: 'sessionNode'; nodeId: string };

export interface RuntimeInvocation {
  scope: RuntimeScope;
  subject: RuntimeSubject;
  causedBy?: JsonValue | null;
  replay?: { key: string } | null;
}

/** A prepared tool call inside a tool attempt or batch; members besides `callId` are opaque. */
export interface PreparedToolCall {
  callId: string;
  [member: string]: JsonValue;
}

export type RuntimeEffectCommand =
  | { kind: 'sleep'; durationMs: number }
  | { kind: 'awaitEvent'; key: AwaitEventKey }
  | { kind: 'peekAwaitEvent'; key: AwaitEventKey }
  | { kind: 'process'; command: JsonValue }
  | { kind: 'trigger'; command: TriggerCommand }
  | { kind: 'toolAttempt'; call: PreparedToolCall; attempt: number; maxAttempts: number; [member: string]: JsonValue }
  | {
      kind: 'toolBatch';
      batch: {
        batchId: string;
        calls: Array<{ call: PreparedToolCall; replaySuffix: string; [member: string]: JsonValue }>;
        [member: string]: JsonValue;
      };
      [member: string]: JsonValue;
    }
  | { kind: 'durableStep'; stepId: string; input: JsonValue }
  | { kind: 'llmCall' | 'direct' | 'execCode' | 'checkpoint' | 'syncExecutionEnvironment'; [member: string]: JsonValue };

export interface RuntimeEffectEnvelope {
  invocation: RuntimeInvocation;
  command: RuntimeEffectCommand;
}

/** An effect outcome: opaque JSON tagged with the effect kind. */
export type RuntimeEffectOutcome = { kind: RuntimeEffectKind; [member: string]: JsonValue };

/** The canonical form the journal stores: `hash = sha256Hex(json)`. */
export interface CanonicalRuntimeEffectEnvelope {
  json: string;
  hash: string;
}

export interface RuntimeEffectReplayMismatchSummary {
  divergentPathCount: number;
  /** At most 8, in depth-first traversal order. */
  firstDivergentPaths: string[];
}

/** What a failed journal row stores; rethrown as an `EffectHostError` on replay. */
export interface RecordedEffectError {
  code: string;
  message: string;
  summary: RuntimeEffectReplayMismatchSummary | null;
}

export type DiffSide =
  | { kind: 'missing' }
  | {
      kind: 'present';
      jsonLen: number;
      jsonSha256: string;
      valueJson: string | null;
      valueJsonOmittedReason: 'sizeLimit' | null;
    };

/** The structural diff emitted to a `diffTraceSink`. */
export interface EffectEnvelopeDiffTrace {
  name: 'effect_envelope_diff';
  recordedEnvelopeHash: string;
  reconstructedEnvelopeHash: string;
  divergentPaths: Array<{ path: string; recorded: DiffSide; reconstructed: DiffSide }>;
}

/** The trigger store surface a `triggers` executor needs. */
export interface TriggerCommandExecutor {
  executeCommand(operationId: string, command: TriggerCommand): Promise<TriggerEffectResult>;
}

/** The one-shot local executor passed with each `executeEffect` call. */
export type RuntimeEffectLocalExecutor =
  | { kind: 'unavailable' }
  | { kind: 'function'; run(envelope: RuntimeEffectEnvelope, signal: AbortSignal): Promise<RuntimeEffectOutcome> }
  | { kind: 'awaitEvent'; signal?: AbortSignal | null; deadlineMs?: number | null }
  | { kind: 'processes'; run(command: JsonValue, signal: AbortSignal): Promise<JsonValue> }
  | { kind: 'triggers'; store: TriggerCommandExecutor };

/** Options of `executeEffect`. */
export interface ExecuteEffectOptions {
  diffTraceSink?: ((event: EffectEnvelopeDiffTrace) => void) | null;
}

export interface SegmentProgress {
  effectsExecuted: number;
  journaledBytesEstimate: number | null;
}
export type BoundaryReason = 'journalBudget';

// ---- await events ----
export type AwaitEventWaitIdentity =
  | { kind: 'toolCompletion'; toolCallId: string }
  | { kind: 'processSignal'; processId: string; signalName: string; ordinal: number }
  | { kind: 'turnCancelGate' }
  | { kind: 'turnTerminal' }
  | { kind: 'custom'; key: string };

/** A signed, bearer-capability key of one durable keyed promise. */
export interface AwaitEventKey {
  scope: ExecutionScope;
  wait: AwaitEventWaitIdentity;
  /** `sha256Hex(canonicalJson([scope, wait]))`. */
  keyId: string;
  /** Hex HMAC-SHA256 of `canonicalJson([scope, wait, keyId])` under the database's secret. */
  signature: string;
}

export type Resolution =
  | { kind: 'ok'; payload: JsonValue }
  | { kind: 'err'; payload: { code: string; message: string; raw?: JsonValue | null } }
  | { kind: 'timeout' }
  | { kind: 'cancelled' };

export type ResolveOutcome =
  | { kind: 'accepted' }
  | { kind: 'alreadyResolved'; terminal: Resolution }
  | { kind: 'unknownOrRevoked' };

export interface AwaitEventWaitOptions {
  /** Cancellation; absent = never cancelled. */
  signal?: AbortSignal | null;
  /** Absolute deadline on the clock's monotonic scale; absent = none. */
  deadlineMs?: number | null;
}

/** The keyed-promise surface shared by the host and its controllers. */
export interface AwaitEventResolver {
  durabilityTier(): DurabilityTier;
  allowsProcessLifetimeCompletionKeys(): boolean;
  awaitEventKey(scope: ExecutionScope, wait: AwaitEventWaitIdentity): Promise<AwaitEventKey>;
  resolveAwaitEvent(key: AwaitEventKey, resolution: Resolution): Promise<ResolveOutcome>;
  peekAwaitEvent(key: AwaitEventKey): Promise<Resolution | null>;
  awaitAwaitEvent(key: AwaitEventKey, options?: AwaitEventWaitOptions): Promise<Resolution>;
  revokeAwaitEventsForSession(sessionId: string): Promise<void>;
  cancelAwaitEventsForSession(sessionId: string): Promise<void>;
}

/** A journaling controller bound to one execution scope. */
export interface RuntimeEffectController extends AwaitEventResolver {
  executeEffect(
    envelope: RuntimeEffectEnvelope,
    localExecutor: RuntimeEffectLocalExecutor,
    options?: ExecuteEffectOptions,
  ): Promise<RuntimeEffectOutcome>;
  startReplay(): void;
  supportsConcurrentEffects(): boolean;
  wantsSegmentBoundary(progress: SegmentProgress): BoundaryReason | null;
}

export interface ScopedEffectController {
  controller: RuntimeEffectController;
  executionScope: ExecutionScope;
  scopeId: string;
  turnId: string | null;
}

/** A host of scoped controllers that is also an await-event resolver. */
export interface EffectHost extends AwaitEventResolver {
  scoped(scope: ExecutionScope): ScopedEffectController;
  scopedStatic(scope: ExecutionScope): ScopedEffectController;
}

// ---- turn control ----
export interface TurnAddress {
  sessionId: string;
  turnId: string;
}
/** A type alias (not an interface) so evidence is assignable to `JsonValue` payloads. */
export type TurnCancellationEvidence = {
  requestId: string;
  origin: string | null;
  reason: string | null;
};
export interface TurnCancelRequest {
  address: TurnAddress;
  requestId: string;
  origin?: string | null;
  reason?: string | null;
}
export type TurnCancelOutcome =
  | { kind: 'requested'; cancellation: TurnCancellationEvidence }
  | { kind: 'alreadyRequested'; cancellation: TurnCancellationEvidence }
  | { kind: 'completionWonRace' }
  | { kind: 'unknownOrRevoked' };
export interface TurnCancelReceipt {
  durabilityTier: DurabilityTier;
  outcome: TurnCancelOutcome;
}
export type TurnGateTerminal = { kind: 'cancelRequested'; cancellation: TurnCancellationEvidence } | { kind: 'completionSealed' };
export type TurnTerminal =
  | { kind: 'committed'; outcome: JsonValue; cancellation: TurnCancellationEvidence | null; sessionRevision: number | null }
  | { kind: 'failed'; error: JsonValue };
export type TurnCancelPeekIdentity = 'startGate' | 'postAbortGate';
