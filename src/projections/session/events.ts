/**
 * The session database's event types and payloads (10-session-store Appendix A, 20-… §8).
 * Every non-deterministic value a projection needs (now, tokens, ids, counts) is in the payload.
 */
import type { JsonValue } from '../../json.js';
import type { LeaseAcquired } from '../../leases/session-lease.js';
import type {
  BlobRef,
  RuntimeCommitResult,
  RuntimeTurnCommitStamp,
  SessionHeadMeta,
  SessionMeta,
  SessionNodeRecord,
  TokenLedgerEntry,
} from '../../types/session.js';

export const RUNTIME_STATE_COMMITTED = 'RuntimeStateCommitted';
export const TURN_COMMIT_RECORDED = 'RuntimeTurnCommitRecorded';
export const LEASE_ACQUIRED = 'SessionExecutionLeaseAcquired';
export const LEASE_EXTENDED = 'SessionExecutionLeaseExtended';
export const LEASE_RELEASED = 'SessionExecutionLeaseReleased';
export const SESSION_META_SAVED = 'SessionMetaSaved';
export const HEAD_SAVED = 'HeadSaved';
export const NODES_TOMBSTONED = 'NodesTombstoned';
export const VACUUMED = 'Vacuumed';
export const BLOBS_COLLECTED = 'BlobsCollected';
export const BLOB_STORED = 'BlobStored';

/** How a commit changed the graph; `nodes` are inserted after an optional wipe. */
export interface GraphChange {
  replaceAll: boolean;
  nodes: SessionNodeRecord[];
}

export interface RuntimeStateCommittedData {
  head: SessionHeadMeta;
  graph: GraphChange;
  usageDeltas: TokenLedgerEntry[];
  /** Blob rows this commit inserted (refs only; bytes live in `blobs`). */
  writtenBlobRefs: BlobRef[];
  committedAtMs: number;
}

export interface TurnCommitRecordedData {
  stamp: RuntimeTurnCommitStamp;
  /** Exactly what an idempotent replay of the turn returns. */
  result: RuntimeCommitResult;
  committedAtMs: number;
}

export type LeaseAcquiredData = LeaseAcquired;
export interface LeaseExtendedData {
  sessionId: string;
  expiresAtMs: number;
}
export interface LeaseReleasedData {
  sessionId: string;
  fencingToken: number;
}
export interface SessionMetaSavedData {
  meta: SessionMeta;
}
export interface HeadSavedData {
  head: SessionHeadMeta;
  /** The replacement graph nodes, or null when only the head record was saved. */
  graph: SessionNodeRecord[] | null;
}
export interface NodesTombstonedData {
  nodeIds: string[];
}
export interface VacuumedData {
  nodeIds: string[];
  inputIds: string[];
}
export interface BlobsCollectedData {
  refs: BlobRef[];
  rootCount: number;
  retainedBlobCount: number;
  danglingRefCount: number;
  deletedBlobCount: number;
}
export interface BlobStoredData {
  ref: BlobRef;
  kind: string;
  byteLength: number;
  compression: 'none' | 'zlib';
}

/** Reinterprets an event payload as its typed shape. */
export function payload<T>(data: JsonValue): T {
  return data as unknown as T;
}
