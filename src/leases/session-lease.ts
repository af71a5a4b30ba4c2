/**
 * The session execution lease state machine as pure functions over the lease row and `now`
 * (10-session-store §4). Commands read the row, call these, and emit the events they return; the
 * projector applies the same events. Fencing tokens only ever grow: +1 per fresh acquisition.
 */

import { clampedAdd } from '../numbers.js';
import type { LeaseOwnerIdentity } from '../types/common.js';
import type {
  SessionExecutionLease,
  SessionExecutionLeaseCompletion,
  SessionExecutionLeaseFence,
  SessionId,
} from '../types/session.js';

/** The projection row of one session's lease. */
export interface LeaseRow {
  sessionId: SessionId;
  owner: LeaseOwnerIdentity | null;
  leaseToken: string | null;
  fencingToken: number;
  claimedAtMs: number;
  expiresAtMs: number;
}

/** Payload of `SessionExecutionLeaseAcquired`. */
export interface LeaseAcquired {
  sessionId: SessionId;
  owner: LeaseOwnerIdentity;
  leaseToken: string;
  fencingToken: number;
  claimedAtMs: number;
  expiresAtMs: number;
}

/** Same `ownerId` and `incarnationId`; liveness is ignored. */
export function sameIncarnation(a: LeaseOwnerIdentity, b: LeaseOwnerIdentity): boolean {
  return a.ownerId === b.ownerId && a.incarnationId === b.incarnationId;
}

/** The fence that commits and claims present. */
export function fenceOf(lease: SessionExecutionLease): SessionExecutionLeaseFence {
  return { sessionId: lease.sessionId, owner: lease.owner, leaseToken: lease.leaseToken, fencingToken: lease.fencingToken };
}

/** The completion that releases the lease. */
export function completionOf(lease: SessionExecutionLease): SessionExecutionLeaseCompletion {
  return { sessionId: lease.sessionId, owner: lease.owner, leaseToken: lease.leaseToken, fencingToken: lease.fencingToken };
}

/** Live = a token is held and the expiry is strictly after `now`. */
export function isLive(row: LeaseRow | null, now: number): row is LeaseRow & { owner: LeaseOwnerIdentity; leaseToken: string } {
  return row !== null && row.leaseToken !== null && row.owner !== null && row.expiresAtMs > now;
}

/** R3: the row is the fence's live lease (same incarnation, token and fencing token). */
export function fenceMatches(
  row: LeaseRow | null,
  fence: SessionExecutionLeaseFence,
  sessionId: SessionId,
  now: number,
): boolean {
  return (
    fence.sessionId === sessionId &&
    isLive(row, now) &&
    sameIncarnation(row.owner, fence.owner) &&
    row.leaseToken === fence.leaseToken &&
    row.fencingToken === fence.fencingToken
  );
}

/** The lease a live row describes, with `owner` as given (re-entry reports the caller's owner). */
export function leaseFromRow(
  row: LeaseRow & { owner: LeaseOwnerIdentity; leaseToken: string },
  owner = row.owner,
): SessionExecutionLease {
  return {
    sessionId: row.sessionId,
    owner,
    leaseToken: row.leaseToken,
    fencingToken: row.fencingToken,
    claimedAtEpochMs: row.claimedAtMs,
    expiresAtEpochMs: row.expiresAtMs,
  };
}

/** A fresh acquisition after `previousFencing`. The nonce makes the token unguessable and unique. */
export function acquire(
  sessionId: SessionId,
  owner: LeaseOwnerIdentity,
  ttlMs: number,
  previousFencing: number,
  now: number,
  nonce: string,
): LeaseAcquired {
  const fencingToken = previousFencing + 1;
  return {
    sessionId,
    owner,
    leaseToken: `${sessionId}:${owner.ownerId}:${owner.incarnationId}:${now}:${fencingToken}:${nonce}`,
    fencingToken,
    claimedAtMs: now,
    expiresAtMs: clampedAdd(now, ttlMs),
  };
}

/** The lease an acquisition produced. */
export function leaseFromAcquired(a: LeaseAcquired): SessionExecutionLease {
  return {
    sessionId: a.sessionId,
    owner: a.owner,
    leaseToken: a.leaseToken,
    fencingToken: a.fencingToken,
    claimedAtEpochMs: a.claimedAtMs,
    expiresAtEpochMs: a.expiresAtMs,
  };
}

/** §4.5: whether a completion releases the row (all four identity fields equal; expiry ignored). */
export function releaseMatches(row: LeaseRow | null, completion: SessionExecutionLeaseCompletion): boolean {
  return (
    row !== null &&
    row.owner !== null &&
    row.leaseToken !== null &&
    row.owner.ownerId === completion.owner.ownerId &&
    row.owner.incarnationId === completion.owner.incarnationId &&
    row.leaseToken === completion.leaseToken &&
    row.fencingToken === completion.fencingToken
  );
}
