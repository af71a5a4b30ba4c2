/**
 * The process registry's database event types and payloads (30-process-registry §6.3). Every
 * non-deterministic value a projection needs (now, sequences, tokens, fencing, deleted ordinals,
 * counts) is in the payload; a record's `changeSeq` is the `seq` of the event that last changed it.
 */
import type { JsonValue } from '../../json.js';
import type { LeaseOwnerIdentity } from '../../types/common.js';
import type {
  AbandonRequest,
  PersistedSegmentHandover,
  ProcessEvent,
  ProcessExternalRef,
  ProcessHandleDescriptor,
  ProcessRegistration,
  ProcessStarted,
  ProcessStatus,
  WaitState,
} from '../../types/process.js';

export const PROCESS_REGISTERED = 'ProcessRegistered';
export const PROCESS_EXTERNAL_REF_SET = 'ProcessExternalRefSet';
export const PROCESS_EVENT_APPENDED = 'ProcessEventAppended';
export const PROCESS_STATUS_REPAIRED = 'ProcessStatusRepaired';
export const PROCESS_FIRST_STARTED_RECORDED = 'ProcessFirstStartedRecorded';
export const PROCESS_ABANDON_REQUESTED = 'ProcessAbandonRequested';
export const PROCESS_WAIT_SET = 'ProcessWaitSet';
export const PROCESS_WAIT_CLEARED = 'ProcessWaitCleared';
export const PROCESS_HANDLE_GRANTED = 'ProcessHandleGranted';
export const PROCESS_HANDLE_REVOKED = 'ProcessHandleRevoked';
export const PROCESS_WAKE_TARGET_CLEARED = 'ProcessWakeTargetCleared';
export const PROCESS_WAKE_ACKED = 'ProcessWakeAcked';
export const PROCESS_LEASE_ACQUIRED = 'ProcessLeaseAcquired';
export const PROCESS_LEASE_EXTENDED = 'ProcessLeaseExtended';
export const PROCESS_LEASE_RELEASED = 'ProcessLeaseReleased';
export const PROCESS_SEGMENT_HANDOVER_PUT = 'ProcessSegmentHandoverPut';
export const PROCESS_SEGMENT_HANDOVERS_DELETED = 'ProcessSegmentHandoversDeleted';
export const PROCESS_PRUNED = 'ProcessPruned';

/** Event types that (re)write a process record, i.e. bump its change sequence and notify. */
export const RECORD_CHANGING_EVENTS: ReadonlySet<string> = new Set([
  PROCESS_REGISTERED,
  PROCESS_EXTERNAL_REF_SET,
  PROCESS_EVENT_APPENDED,
  PROCESS_STATUS_REPAIRED,
  PROCESS_FIRST_STARTED_RECORDED,
  PROCESS_ABANDON_REQUESTED,
  PROCESS_WAIT_SET,
  PROCESS_WAIT_CLEARED,
  PROCESS_WAKE_TARGET_CLEARED,
]);

/** The stream of every database event about one process. */
export function processStream(processId: string): string {
  return `process:${processId}`;
}

export interface ProcessRegisteredData {
  processId: string;
  registration: ProcessRegistration;
  registrationHash: string;
  now: number;
}
export interface ProcessExternalRefSetData {
  processId: string;
  externalRef: ProcessExternalRef;
  now: number;
}
export interface ProcessEventAppendedData {
  processId: string;
  event: ProcessEvent;
  payloadHash: string;
  idempotencyKey: string | null;
}
export interface ProcessStatusRepairedData {
  processId: string;
  status: ProcessStatus;
  updatedAtMs: number;
}
export interface ProcessFirstStartedRecordedData {
  processId: string;
  started: ProcessStarted;
  now: number;
}
export interface ProcessAbandonRequestedData {
  processId: string;
  request: AbandonRequest;
  now: number;
}
export interface ProcessWaitSetData {
  processId: string;
  wait: WaitState;
  now: number;
}
export interface ProcessNowData {
  processId: string;
  now: number;
}
export interface ProcessHandleGrantedData {
  processId: string;
  scopeId: string;
  sessionId: string;
  descriptor: ProcessHandleDescriptor;
}
export interface ProcessHandleRevokedData {
  processId: string;
  scopeId: string;
  sessionId: string;
}
export interface ProcessWakeAckedData {
  processId: string;
  sequence: number;
}
export interface ProcessLeaseAcquiredData {
  processId: string;
  owner: LeaseOwnerIdentity;
  leaseToken: string;
  fencingToken: number;
  claimedAtEpochMs: number;
  expiresAtEpochMs: number;
}
export interface ProcessLeaseExtendedData {
  processId: string;
  leaseToken: string;
  expiresAtEpochMs: number;
}
export interface ProcessLeaseReleasedData {
  processId: string;
  leaseToken: string;
  fencingToken: number;
}
export interface ProcessSegmentHandoverPutData {
  processId: string;
  handover: PersistedSegmentHandover;
  deletedOrdinals: number[];
}
export interface ProcessIdData {
  processId: string;
}
export interface ProcessPrunedData {
  processId: string;
  cutoffMs: number;
  prunedEvents: number;
}

/** Casts a decoded payload to its declared shape (it was written by this module's commands). */
export function payload<T>(data: JsonValue): T {
  return data as unknown as T;
}
