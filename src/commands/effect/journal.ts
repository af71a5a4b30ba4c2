/**
 * The journal's write steps (40-effects-triggers §3.4.4): PREPARE, RENEW, RELEASE, FINALIZE and the
 * testing-only lease override. Each runs inside one command transaction, decides from the
 * projection row and emits at most one event; the BUSY, MISMATCH, REPLAY, replay-missing and
 * lease-lost paths emit nothing.
 */
import { corruptData, EffectHostError } from '../../errors.js';
import type { CommandTx } from '../../events/database.js';
import type { JsonValue } from '../../json.js';
import { clampedAdd } from '../../numbers.js';
import {
  EFFECT_CLAIM_RELEASED,
  EFFECT_CLAIMED,
  EFFECT_COMPLETED,
  EFFECT_FAILED,
  EFFECT_LEASE_OVERRIDDEN,
  EFFECT_LEASE_RENEWED,
  EFFECT_RECLAIMED,
  type EffectClaimedData,
  type EffectClaimReleasedData,
  type EffectCompletedData,
  type EffectFailedData,
  type EffectLeaseOverriddenData,
  type EffectLeaseRenewedData,
  type EffectReclaimedData,
  journalStream,
} from '../../projections/effect/events.js';
import { type JournalReads, type JournalRow, journalKey } from '../../projections/effect/journal.js';
import type { CanonicalRuntimeEffectEnvelope, RecordedEffectError } from '../../types/effect.js';

/** Everything PREPARE needs, computed before the transaction. */
export interface PrepareInput {
  scopeKey: string;
  scopeId: string;
  replayKey: string;
  canonical: CanonicalRuntimeEffectEnvelope;
  ownerId: string;
  leaseToken: string;
  ttlMs: number;
  /** Sleeps only: `min(now + durationMs, MAX_SAFE_INTEGER)`. */
  sleepMs: number | null;
  replayMode: boolean;
}

/** The claim a CLAIMED prepare hands to execution, renewal and settlement. */
export interface Claim {
  scopeKey: string;
  scopeId: string;
  replayKey: string;
  envelopeHash: string;
  ownerId: string;
  leaseToken: string;
  dueAtMs: number | null;
}

export type PrepareResult =
  | { kind: 'claimed'; claim: Claim }
  | { kind: 'mismatch'; stored: CanonicalRuntimeEffectEnvelope; columnHash: string }
  | { kind: 'replayOutcome'; outcome: JsonValue; dueAtMs: number | null }
  | { kind: 'replayError'; error: RecordedEffectError }
  | { kind: 'busy'; retryAt: number };

function corrupt(row: JournalRow, detail: string, cause?: unknown): EffectHostError {
  return corruptData(EffectHostError, 'runtime_effect_replay', journalKey(row.scope_key, row.replay_key), detail, cause);
}

/** Decodes the stored `{ json, hash }` envelope of a row. */
export function decodeStoredEnvelope(row: JournalRow): CanonicalRuntimeEffectEnvelope {
  let value: unknown;
  try {
    value = JSON.parse(row.envelope_json);
  } catch (error) {
    throw corrupt(row, 'undecodable envelope_json', error);
  }
  const v = value as Record<string, unknown> | null;
  if (v === null || typeof v !== 'object' || typeof v.json !== 'string' || typeof v.hash !== 'string') {
    throw corrupt(row, 'envelope_json is not a canonical envelope');
  }
  return { json: v.json, hash: v.hash };
}

function decodeOutcome(row: JournalRow): JsonValue {
  if (row.outcome_json === null) throw corrupt(row, 'completed row has no outcome_json');
  try {
    return JSON.parse(row.outcome_json) as JsonValue;
  } catch (error) {
    throw corrupt(row, 'undecodable outcome_json', error);
  }
}

function isSummary(v: unknown): boolean {
  if (v === null) return true;
  const s = v as Record<string, unknown>;
  return (
    typeof s === 'object' &&
    typeof s.divergentPathCount === 'number' &&
    Array.isArray(s.firstDivergentPaths) &&
    s.firstDivergentPaths.every((p) => typeof p === 'string')
  );
}

function decodeError(row: JournalRow): RecordedEffectError {
  if (row.error_json === null) throw corrupt(row, 'failed row has no error_json');
  let value: unknown;
  try {
    value = JSON.parse(row.error_json);
  } catch (error) {
    throw corrupt(row, 'undecodable error_json', error);
  }
  const e = value as Record<string, unknown> | null;
  if (
    e === null ||
    typeof e !== 'object' ||
    typeof e.code !== 'string' ||
    typeof e.message !== 'string' ||
    !isSummary(e.summary ?? null)
  ) {
    throw corrupt(row, 'error_json is not a recorded effect error');
  }
  return { code: e.code, message: e.message, summary: (e.summary ?? null) as RecordedEffectError['summary'] };
}

/** Step 1: the decision table of §3.4.4 over the row of `(scopeKey, replayKey)`. */
export function prepareTx(reads: JournalReads, tx: CommandTx, input: PrepareInput): PrepareResult {
  const row = reads.row(input.scopeKey, input.replayKey);
  const stream = journalStream(input.scopeKey, input.replayKey);
  const leaseExpiresAtMs = clampedAdd(tx.now, input.ttlMs);
  const dueAtMs = input.sleepMs === null ? null : clampedAdd(tx.now, input.sleepMs);
  if (row === null) {
    if (input.replayMode) {
      throw new EffectHostError(
        'EffectReplayMissing',
        `no recorded runtime effect for scope \`${input.scopeId}\` and replay key \`${input.replayKey}\``,
        { scopeId: input.scopeId, replayKey: input.replayKey },
      );
    }
    const data: EffectClaimedData = {
      scopeKey: input.scopeKey,
      scopeId: input.scopeId,
      replayKey: input.replayKey,
      envelopeHash: input.canonical.hash,
      envelopeJson: JSON.stringify({ json: input.canonical.json, hash: input.canonical.hash }),
      ownerId: input.ownerId,
      leaseToken: input.leaseToken,
      leaseExpiresAtMs,
      dueAtMs,
      atMs: tx.now,
    };
    tx.emit({ stream, type: EFFECT_CLAIMED, data });
    return { kind: 'claimed', claim: claimOf(input, dueAtMs) };
  }
  if (row.envelope_hash !== input.canonical.hash) {
    return { kind: 'mismatch', stored: decodeStoredEnvelope(row), columnHash: row.envelope_hash };
  }
  switch (row.status) {
    case 'completed':
      return { kind: 'replayOutcome', outcome: decodeOutcome(row), dueAtMs: row.due_at_ms };
    case 'failed':
      return { kind: 'replayError', error: decodeError(row) };
    case 'in_progress': {
      if (row.lease_expires_at_ms > tx.now) return { kind: 'busy', retryAt: row.lease_expires_at_ms };
      const keptDue = row.due_at_ms ?? dueAtMs;
      const data: EffectReclaimedData = {
        scopeKey: input.scopeKey,
        replayKey: input.replayKey,
        ownerId: input.ownerId,
        leaseToken: input.leaseToken,
        leaseExpiresAtMs,
        dueAtMs: keptDue,
        atMs: tx.now,
      };
      tx.emit({ stream, type: EFFECT_RECLAIMED, data });
      return { kind: 'claimed', claim: claimOf(input, keptDue) };
    }
    default:
      throw corrupt(row, `unknown runtime effect replay status \`${row.status}\``);
  }
}

function claimOf(input: PrepareInput, dueAtMs: number | null): Claim {
  return {
    scopeKey: input.scopeKey,
    scopeId: input.scopeId,
    replayKey: input.replayKey,
    envelopeHash: input.canonical.hash,
    ownerId: input.ownerId,
    leaseToken: input.leaseToken,
    dueAtMs,
  };
}

/** E6: the row is still this exact claim, `in_progress` and unexpired. */
function holds(reads: JournalReads, claim: Claim, now: number): boolean {
  const row = reads.row(claim.scopeKey, claim.replayKey);
  return (
    row !== null &&
    row.envelope_hash === claim.envelopeHash &&
    row.status === 'in_progress' &&
    row.lease_owner_id === claim.ownerId &&
    row.lease_token === claim.leaseToken &&
    row.lease_expires_at_ms > now
  );
}

/** The lease-lost error (`renewal` or `finalize` wording). */
export function leaseLost(claim: Claim, when: 'renewal' | 'finalize'): EffectHostError {
  const text =
    when === 'renewal'
      ? `runtime effect replay lease was lost while executing scope \`${claim.scopeId}\` replay key \`${claim.replayKey}\``
      : `runtime effect replay lease was lost before finalizing scope \`${claim.scopeId}\` replay key \`${claim.replayKey}\``;
  return new EffectHostError('EffectReplayLeaseLost', text, { scopeId: claim.scopeId, replayKey: claim.replayKey });
}

/** RENEW: extends the claim; false (nothing written) when the claim is lost. */
export function renewTx(reads: JournalReads, tx: CommandTx, claim: Claim, ttlMs: number): boolean {
  if (!holds(reads, claim, tx.now)) return false;
  const data: EffectLeaseRenewedData = {
    scopeKey: claim.scopeKey,
    replayKey: claim.replayKey,
    leaseExpiresAtMs: clampedAdd(tx.now, ttlMs),
    atMs: tx.now,
  };
  tx.emit({ stream: journalStream(claim.scopeKey, claim.replayKey), type: EFFECT_LEASE_RENEWED, data });
  return true;
}

/** RELEASE: frees the claim so it is reclaimable at once; a lost claim is left alone. */
export function releaseTx(reads: JournalReads, tx: CommandTx, claim: Claim): boolean {
  if (!holds(reads, claim, tx.now)) return false;
  const data: EffectClaimReleasedData = { scopeKey: claim.scopeKey, replayKey: claim.replayKey, atMs: tx.now };
  tx.emit({ stream: journalStream(claim.scopeKey, claim.replayKey), type: EFFECT_CLAIM_RELEASED, data });
  return true;
}

/** FINALIZE: records the terminal outcome or error; a lost claim throws `EffectReplayLeaseLost`. */
export function finalizeTx(
  reads: JournalReads,
  tx: CommandTx,
  claim: Claim,
  result: { ok: true; outcomeJson: string } | { ok: false; errorJson: string },
): void {
  if (!holds(reads, claim, tx.now)) throw leaseLost(claim, 'finalize');
  const stream = journalStream(claim.scopeKey, claim.replayKey);
  if (result.ok) {
    const data: EffectCompletedData = {
      scopeKey: claim.scopeKey,
      replayKey: claim.replayKey,
      outcomeJson: result.outcomeJson,
      atMs: tx.now,
    };
    tx.emit({ stream, type: EFFECT_COMPLETED, data });
  } else {
    const data: EffectFailedData = {
      scopeKey: claim.scopeKey,
      replayKey: claim.replayKey,
      errorJson: result.errorJson,
      atMs: tx.now,
    };
    tx.emit({ stream, type: EFFECT_FAILED, data });
  }
}

/** `overrideEffectLease`: rewrites the lease columns of every `in_progress` row with `replayKey`. */
export function overrideLeaseTx(
  reads: JournalReads,
  tx: CommandTx,
  replayKey: string,
  lease: { ownerId: string | null; leaseToken: string | null; leaseExpiresAtMs: number },
): number {
  const rows = reads.inProgressByReplayKey(replayKey);
  for (const row of rows) {
    const data: EffectLeaseOverriddenData = {
      scopeKey: row.scope_key,
      replayKey: row.replay_key,
      ownerId: lease.ownerId ?? row.lease_owner_id,
      leaseToken: lease.leaseToken ?? row.lease_token,
      leaseExpiresAtMs: lease.leaseExpiresAtMs,
    };
    tx.emit({ stream: journalStream(row.scope_key, row.replay_key), type: EFFECT_LEASE_OVERRIDDEN, data });
  }
  return rows.length;
}
