/** Shapes of the process registry (30-process-registry §2). */
import type { Clock } from '../clock.js';
import type { JsonValue } from '../json.js';
import type { LeaseOwnerIdentity, LivenessProbe, SessionScope } from './common.js';

/** Options of `SqliteProcessRegistry.open` / `.memory`. */
export interface ProcessRegistryOptions {
  /** Default `systemClock`. */
  clock?: Clock;
  /** Default `defaultLivenessProbe` (/proc on Linux, null elsewhere). */
  livenessProbe?: LivenessProbe;
  /** Root of the session store factory whose process-owned session databases prune deletes. */
  sessionStoreRoot?: string | null;
}

/** Who created a process: a host scope or a session scope. */
export type ProcessOriginator = { kind: 'host'; scope: string | null } | { kind: 'session'; scope: SessionScope };

/** The causal fact behind a process; opaque except `triggerOccurrence` (list filters). */
export type CausalRef =
  | { kind: 'turn'; sessionId: string; turnId: string }
  | { kind: 'effect'; sessionId: string; turnId: string | null; effectId: string }
  | { kind: 'toolCall'; sessionId: string; callId: string }
  | { kind: 'process'; processId: string }
  | { kind: 'processEvent'; processId: string; sequence: number }
  | {
      kind: 'triggerOccurrence';
      occurrenceId: string;
      subscriptionId: string | null;
      subscriptionIncarnation: string | null;
      subscriptionRevision: number | null;
    }
  | { kind: 'sessionNode'; sessionId: string; nodeId: string };

export interface ProcessProvenance {
  originator: ProcessOriginator;
  causedBy: CausalRef | null;
}

export type RecoveryDisposition = 'rerunnable' | 'ownerBound' | 'externallyOwned';

/** What the process runs; only the discriminant is interpreted (the envRef rule). */
export type ProcessInput =
  | { kind: 'toolCall'; call: JsonValue }
  | { kind: 'engine'; engineKind: string; payload: JsonValue }
  | { kind: 'sessionTurn'; createRequest: JsonValue; turnInput: JsonValue; outputContract: JsonValue }
  | { kind: 'external'; metadata: JsonValue };

export interface ProcessIdentity {
  kind: string;
  label: string | null;
  definition: JsonValue | null;
}

export type ProcessTerminalState = 'completed' | 'failed' | 'cancelled' | 'abandoned';

/** Picks a value out of an event payload. */
export type ValueSelector =
  | { kind: 'payload' }
  | { kind: 'pointer'; pointer: string }
  | { kind: 'const'; value: JsonValue }
  | { kind: 'template'; template: string; fields: Record<string, ValueSelector> }
  | { kind: 'present'; pointer: string };

export type WakeDedupeKey =
  | { kind: 'eventIdentity' }
  | { kind: 'selector'; selector: ValueSelector }
  | { kind: 'const'; value: string };

export interface ProcessEventSemanticsSpec {
  terminal: { state: ProcessTerminalState; awaitOutput: ValueSelector | null } | null;
  wake: { when: ValueSelector | null; input: ValueSelector; dedupeKey: WakeDedupeKey } | null;
}

export interface ProcessEventType {
  name: string;
  payloadSchema: JsonValue;
  semantics: ProcessEventSemanticsSpec;
}

/** The immutable, hashed registration of a process. */
export interface ProcessRegistration {
  id: string;
  input: ProcessInput;
  disposition: RecoveryDisposition;
  identity: ProcessIdentity;
  eventTypes: ProcessEventType[];
  provenance: ProcessProvenance;
  envRef: string | null;
  wakeTarget: SessionScope | null;
}

export type ToolFailureClass =
  | 'invalidRequest'
  | 'unavailable'
  | 'permissionDenied'
  | 'timeout'
  | 'execution'
  | 'external'
  | 'resourceLimit'
  | 'internal';

export interface AbandonEvidence {
  writer: 'ownerDrain' | 'sweep' | 'reconciledRequest';
  owner: LeaseOwnerIdentity | null;
  epochMs: number;
}

/** A process's result. */
export type ProcessAwaitOutput =
  | { kind: 'success'; value: JsonValue; control: JsonValue | null }
  | {
      kind: 'failure';
      class: ToolFailureClass;
      code: string;
      message: string;
      raw: JsonValue | null;
      control: JsonValue | null;
    }
  | { kind: 'cancelled'; message: string; raw: JsonValue | null; control: JsonValue | null }
  | { kind: 'abandoned'; evidence: AbandonEvidence; control: JsonValue | null };

export type ProcessStatus = { kind: 'running' } | { kind: ProcessTerminalState; awaitOutput: ProcessAwaitOutput };

export interface ProcessExternalRef {
  backend: string;
  id: string;
  metadata: JsonValue | null;
}
export interface ProcessStarted {
  owner: LeaseOwnerIdentity;
  startedAtMs: number;
}
export interface AbandonRequest {
  requestedBy: string;
  requestedAtMs: number;
  reason: string | null;
}
export type WaitKind = { kind: 'signal'; name: string; eventType: string; key: string; ordinal: number };
export interface WaitState {
  kind: WaitKind;
  sinceMs: number;
}

/** The persisted record of one process (the projection). */
export interface ProcessRecord {
  id: string;
  registrationHash: string;
  input: ProcessInput;
  disposition: RecoveryDisposition;
  identity: ProcessIdentity;
  eventTypes: ProcessEventType[];
  provenance: ProcessProvenance;
  envRef: string | null;
  wakeTarget: SessionScope | null;
  createdAtMs: number;
  updatedAtMs: number;
  changeSeq: number;
  externalRef: ProcessExternalRef | null;
  firstStarted: ProcessStarted | null;
  abandonRequest: AbandonRequest | null;
  wait: WaitState | null;
  status: ProcessStatus;
}

/** How an unleased completion proves it may write the terminal. */
export type ProcessCompletionAuthority =
  | { kind: 'externalOwner'; grantedTo: string }
  | { kind: 'workflowKey'; workflowKey: string }
  | { kind: 'reconciledAbandon' };

export interface ProcessEventAppendRequest {
  eventType: string;
  payload: JsonValue;
  replay: { key: string } | null;
  wakeTargetScope: SessionScope | null;
}

/** The fixed invocation shape the registry builds for every process event. */
export interface ProcessEventInvocation {
  scope: { sessionId: 'runtime' };
  subject: { kind: 'processEvent'; processId: string; sequence: number; eventType: string };
  causedBy: { kind: 'process'; processId: string };
  replay: { key: string } | null;
}

export interface ProcessEventSemantics {
  terminal: { state: ProcessTerminalState; awaitOutput: ProcessAwaitOutput } | null;
  wake: { input: string; dedupeKey: string } | null;
}

/** One entry of a process event log; immutable once written. */
export interface ProcessEvent {
  processId: string;
  sequence: number;
  eventType: string;
  payload: JsonValue;
  invocation: ProcessEventInvocation;
  semantics: ProcessEventSemantics;
  occurredAtMs: number;
}

/** A wake the runtime should enqueue into the target session; returned, never stored. */
export interface ProcessWakeDelivery {
  wakeId: string;
  targetSessionId: string;
  targetScopeId: string;
  processId: string;
  sequence: number;
  eventType: string;
  eventInvocation: ProcessEventInvocation;
  processCausedBy: CausalRef | null;
  dedupeKey: string;
  input: string;
  createdAtMs: number;
}

export interface ProcessEventAppendResult {
  event: ProcessEvent;
  wakeDelivery: ProcessWakeDelivery | null;
}

/** A fenced single-owner execution lease. */
export interface ProcessLease {
  schemaVersion: number;
  processId: string;
  owner: LeaseOwnerIdentity;
  leaseToken: string;
  fencingToken: number;
  claimedAtEpochMs: number;
  expiresAtEpochMs: number;
}
export type ProcessLeaseClaimOutcome = { kind: 'acquired'; lease: ProcessLease } | { kind: 'busy'; holder: ProcessLease };
export interface ProcessLeaseCompletion {
  processId: string;
  leaseToken: string;
}

export interface ProcessHandleDescriptor {
  kind: string | null;
  label: string | null;
}
export interface ProcessHandleGrant {
  sessionId: string;
  processId: string;
  descriptor: ProcessHandleDescriptor;
}
export interface ProcessHandleGrantEntry {
  grant: ProcessHandleGrant;
  record: ProcessRecord;
}

export interface PersistedSegmentHandover {
  segmentOrdinal: number;
  programHash: string;
  handover: { reason: 'journalBudget' | 'durationCap'; programHash: string | null; engineState: Uint8Array };
}

export interface ProcessSessionDeleteReport {
  sessionId: string;
  revokedHandleCount: number;
  deletedWakeCount: number;
  orphanedProcessIds: string[];
  preservedProcessIds: string[];
}

/** A position in the change feed; meaningful only for the issuing database. */
export interface ProcessChangeCursor {
  readonly storeSequence: number;
}
export interface ProcessChangePage {
  records: ProcessRecord[];
  nextCursor: ProcessChangeCursor;
}

export type ProcessStatusFilter = 'running' | 'completed' | 'failed' | 'cancelled' | 'abandoned' | 'any';
/** List facets, all ANDed; an absent or null status means `running`. */
export interface ProcessListFilter {
  status?: ProcessStatusFilter | null;
  definition?: JsonValue | null;
  waiting?: boolean | null;
  originatorScopeId?: string | null;
  identityKind?: string | null;
  identityLabel?: string | null;
  causedByOccurrenceId?: string | null;
  causedBySubscriptionId?: string | null;
  createdAtStartMs?: number | null;
  createdAtEndMs?: number | null;
}

export interface ProcessPruneOptions {
  filter?: ProcessListFilter | null;
  upToChangeSeq?: ProcessChangeCursor | null;
}
export interface ProcessPruneReport {
  prunedProcesses: number;
  prunedEvents: number;
  prunedProcessIds: string[];
}
export interface ProcessLiveReferenceSummary {
  definition: JsonValue | null;
  envRef: string | null;
  processCount: number;
}

/** Options of `awaitTerminal` / `awaitEvent`. */
export interface ProcessAwaitOptions {
  signal?: AbortSignal;
}
