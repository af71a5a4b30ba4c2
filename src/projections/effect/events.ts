/**
 * The effect database's event types and payloads (40-effects-triggers §3.6, §4.8). Every
 * non-deterministic value a projection needs — the time, owner ids, lease tokens, due times — is in
 * the payload, so replay reproduces the rows byte for byte. The signing secret is never in an event.
 */
import type { JsonValue } from '../../json.js';
import { canonicalJson, sha256Hex } from '../../json.js';

export const EFFECT_CLAIMED = 'EffectClaimed';
export const EFFECT_RECLAIMED = 'EffectReclaimed';
export const EFFECT_LEASE_RENEWED = 'EffectLeaseRenewed';
export const EFFECT_CLAIM_RELEASED = 'EffectClaimReleased';
export const EFFECT_COMPLETED = 'EffectCompleted';
export const EFFECT_FAILED = 'EffectFailed';
export const EFFECT_LEASE_OVERRIDDEN = 'EffectLeaseOverridden';

export const AWAIT_EVENT_REGISTERED = 'AwaitEventRegistered';
export const AWAIT_EVENT_RESOLVED = 'AwaitEventResolved';
export const AWAIT_EVENT_SESSION_REVOKED = 'AwaitEventSessionRevoked';
export const AWAIT_EVENT_SESSION_CANCEL_SWEPT = 'AwaitEventSessionCancelSwept';

/** Identifies one journal row. */
export interface JournalRowKey {
  scopeKey: string;
  replayKey: string;
}

export interface EffectClaimedData extends JournalRowKey {
  scopeId: string;
  envelopeHash: string;
  envelopeJson: string;
  ownerId: string;
  leaseToken: string;
  leaseExpiresAtMs: number;
  dueAtMs: number | null;
  atMs: number;
}
export interface EffectReclaimedData extends JournalRowKey {
  ownerId: string;
  leaseToken: string;
  leaseExpiresAtMs: number;
  /** The row's existing due time when it had one (a due time never moves). */
  dueAtMs: number | null;
  atMs: number;
}
export interface EffectLeaseRenewedData extends JournalRowKey {
  leaseExpiresAtMs: number;
  atMs: number;
}
export interface EffectClaimReleasedData extends JournalRowKey {
  atMs: number;
}
export interface EffectCompletedData extends JournalRowKey {
  outcomeJson: string;
  atMs: number;
}
export interface EffectFailedData extends JournalRowKey {
  errorJson: string;
  atMs: number;
}
/** Testing only (`overrideEffectLease`): omitted owner/token are carried as their current values. */
export interface EffectLeaseOverriddenData extends JournalRowKey {
  ownerId: string | null;
  leaseToken: string | null;
  leaseExpiresAtMs: number;
}

/** The registration columns of an await-event row. */
export interface AwaitRowIdentity {
  keyId: string;
  scopeJson: string;
  waitJson: string;
  sessionId: string | null;
  turnControl: boolean;
}
export interface AwaitEventRegisteredData extends AwaitRowIdentity {
  atMs: number;
}
export interface AwaitEventResolvedData extends AwaitRowIdentity {
  terminalJson: string;
  via: 'resolve' | 'cancelSweep';
  atMs: number;
}
export interface AwaitEventSessionRevokedData {
  sessionId: string;
  atMs: number;
}
export interface AwaitEventSessionCancelSweptData {
  sessionId: string;
  keyIds: string[];
  terminalJson: string;
  atMs: number;
}

/** The stream of one journal row. */
export function journalStream(scopeKey: string, replayKey: string): string {
  return `effect:${sha256Hex(canonicalJson([scopeKey, replayKey]))}`;
}

/** The stream of one keyed promise. */
export function awaitStream(keyId: string): string {
  return `await:${keyId}`;
}

/** The stream of a session's promise lifecycle (revocation, cancel sweeps). */
export function awaitSessionStream(sessionId: string): string {
  return `await-session:${sessionId}`;
}

/** Reinterprets an event payload as its typed shape. */
export function payload<T>(data: JsonValue): T {
  return data as unknown as T;
}
