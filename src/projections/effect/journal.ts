/**
 * Projection and reads of the runtime effect replay journal (`runtime_effect_replay`). Handlers
 * apply exactly what the event says; the lease checks live in the commands, which read these rows.
 */
import type { Statement } from 'better-sqlite3';
import { corruptData, EffectHostError } from '../../errors.js';
import type { StoredEvent } from '../../events/types.js';
import { canonicalJson } from '../../json.js';
import type { Db } from '../../sqlite/open.js';
import type { HandlerMap } from '../handlers.js';
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
  payload,
} from './events.js';

/** `CorruptData` key of a journal row: the canonical JSON array of its primary key. */
export function journalKey(scopeKey: string, replayKey: string): string {
  return canonicalJson([scopeKey, replayKey]);
}

function exactlyOne(changes: number, event: StoredEvent): void {
  if (changes !== 1) {
    throw corruptData(EffectHostError, 'events', String(event.seq), `${event.type} does not match exactly one journal row`);
  }
}

/** Handlers of the journal events. */
export function journalHandlers(db: Db): HandlerMap {
  const insert = db.prepare(
    `INSERT INTO runtime_effect_replay (scope_key, scope_id, replay_key, envelope_hash, envelope_json, status,
       lease_owner_id, lease_token, lease_expires_at_ms, due_at_ms, created_at_ms, updated_at_ms)
     VALUES (?, ?, ?, ?, ?, 'in_progress', ?, ?, ?, ?, ?, ?)`,
  );
  const reclaim = db.prepare(
    `UPDATE runtime_effect_replay SET lease_owner_id = ?, lease_token = ?, lease_expires_at_ms = ?, due_at_ms = ?,
       updated_at_ms = ? WHERE scope_key = ? AND replay_key = ? AND status = 'in_progress'`,
  );
  const renew = db.prepare(
    `UPDATE runtime_effect_replay SET lease_expires_at_ms = ?, updated_at_ms = ?
     WHERE scope_key = ? AND replay_key = ? AND status = 'in_progress'`,
  );
  const release = db.prepare(
    `UPDATE runtime_effect_replay SET lease_owner_id = NULL, lease_token = NULL, lease_expires_at_ms = 0, updated_at_ms = ?
     WHERE scope_key = ? AND replay_key = ? AND status = 'in_progress'`,
  );
  const finish = db.prepare(
    `UPDATE runtime_effect_replay SET status = ?, outcome_json = ?, error_json = ?, lease_owner_id = NULL, lease_token = NULL,
       lease_expires_at_ms = 0, updated_at_ms = ? WHERE scope_key = ? AND replay_key = ? AND status = 'in_progress'`,
  );
  const override = db.prepare(
    `UPDATE runtime_effect_replay SET lease_owner_id = ?, lease_token = ?, lease_expires_at_ms = ?
     WHERE scope_key = ? AND replay_key = ? AND status = 'in_progress'`,
  );
  return {
    [EFFECT_CLAIMED]: (data) => {
      const d = payload<EffectClaimedData>(data);
      insert.run(
        d.scopeKey,
        d.scopeId,
        d.replayKey,
        d.envelopeHash,
        d.envelopeJson,
        d.ownerId,
        d.leaseToken,
        d.leaseExpiresAtMs,
        d.dueAtMs,
        d.atMs,
        d.atMs,
      );
    },
    [EFFECT_RECLAIMED]: (data, event) => {
      const d = payload<EffectReclaimedData>(data);
      exactlyOne(
        reclaim.run(d.ownerId, d.leaseToken, d.leaseExpiresAtMs, d.dueAtMs, d.atMs, d.scopeKey, d.replayKey).changes,
        event,
      );
    },
    [EFFECT_LEASE_RENEWED]: (data, event) => {
      const d = payload<EffectLeaseRenewedData>(data);
      exactlyOne(renew.run(d.leaseExpiresAtMs, d.atMs, d.scopeKey, d.replayKey).changes, event);
    },
    [EFFECT_CLAIM_RELEASED]: (data, event) => {
      const d = payload<EffectClaimReleasedData>(data);
      exactlyOne(release.run(d.atMs, d.scopeKey, d.replayKey).changes, event);
    },
    [EFFECT_COMPLETED]: (data, event) => {
      const d = payload<EffectCompletedData>(data);
      exactlyOne(finish.run('completed', d.outcomeJson, null, d.atMs, d.scopeKey, d.replayKey).changes, event);
    },
    [EFFECT_FAILED]: (data, event) => {
      const d = payload<EffectFailedData>(data);
      exactlyOne(finish.run('failed', null, d.errorJson, d.atMs, d.scopeKey, d.replayKey).changes, event);
    },
    [EFFECT_LEASE_OVERRIDDEN]: (data, event) => {
      const d = payload<EffectLeaseOverriddenData>(data);
      exactlyOne(override.run(d.ownerId, d.leaseToken, d.leaseExpiresAtMs, d.scopeKey, d.replayKey).changes, event);
    },
  };
}

/** A journal row as stored. */
export interface JournalRow {
  scope_key: string;
  scope_id: string;
  replay_key: string;
  envelope_hash: string;
  envelope_json: string;
  status: string;
  outcome_json: string | null;
  error_json: string | null;
  lease_owner_id: string | null;
  lease_token: string | null;
  lease_expires_at_ms: number;
  due_at_ms: number | null;
  created_at_ms: number;
  updated_at_ms: number;
}

/** Reads of the journal. */
export class JournalReads {
  readonly #row: Statement;
  readonly #inProgressByReplayKey: Statement;

  constructor(db: Db) {
    this.#row = db.prepare('SELECT * FROM runtime_effect_replay WHERE scope_key = ? AND replay_key = ?');
    this.#inProgressByReplayKey = db.prepare(
      "SELECT * FROM runtime_effect_replay WHERE replay_key = ? AND status = 'in_progress' ORDER BY scope_key",
    );
  }

  /** The row of `(scopeKey, replayKey)`, or null. */
  row(scopeKey: string, replayKey: string): JournalRow | null {
    return (this.#row.get(scopeKey, replayKey) as JournalRow | undefined) ?? null;
  }

  /** Every `in_progress` row with `replayKey`, any scope. */
  inProgressByReplayKey(replayKey: string): JournalRow[] {
    return this.#inProgressByReplayKey.all(replayKey) as JournalRow[];
  }
}
