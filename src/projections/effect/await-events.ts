/**
 * Projection and reads of the await-event keyed promises (`await_event_waits`,
 * `await_event_revoked_sessions`). A terminal, once written, is never overwritten by a handler.
 */
import type { Statement } from 'better-sqlite3';
import { corruptData, EffectHostError } from '../../errors.js';
import type { StoredEvent } from '../../events/types.js';
import type { Db } from '../../sqlite/open.js';
import type { HandlerMap } from '../handlers.js';
import {
  AWAIT_EVENT_REGISTERED,
  AWAIT_EVENT_RESOLVED,
  AWAIT_EVENT_SESSION_CANCEL_SWEPT,
  AWAIT_EVENT_SESSION_REVOKED,
  type AwaitEventRegisteredData,
  type AwaitEventResolvedData,
  type AwaitEventSessionCancelSweptData,
  type AwaitEventSessionRevokedData,
  payload,
} from './events.js';

function exactlyOne(changes: number, event: StoredEvent, what: string): void {
  if (changes !== 1) throw corruptData(EffectHostError, 'events', String(event.seq), `${event.type} ${what}`);
}

/** Handlers of the await-event events. */
export function awaitEventHandlers(db: Db): HandlerMap {
  const register = db.prepare(
    `INSERT INTO await_event_waits (key_id, scope_json, wait_json, session_id, turn_control, terminal_json, created_at_ms, resolved_at_ms)
     VALUES (?, ?, ?, ?, ?, NULL, ?, NULL)`,
  );
  const resolve = db.prepare(
    `INSERT INTO await_event_waits (key_id, scope_json, wait_json, session_id, turn_control, terminal_json, created_at_ms, resolved_at_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(key_id) DO UPDATE SET terminal_json = excluded.terminal_json, resolved_at_ms = excluded.resolved_at_ms
     WHERE terminal_json IS NULL`,
  );
  const tombstone = db.prepare('INSERT OR IGNORE INTO await_event_revoked_sessions (session_id, revoked_at_ms) VALUES (?, ?)');
  const deleteSession = db.prepare('DELETE FROM await_event_waits WHERE session_id = ?');
  const sweep = db.prepare(
    'UPDATE await_event_waits SET terminal_json = ?, resolved_at_ms = ? WHERE key_id = ? AND terminal_json IS NULL AND turn_control = 0',
  );
  return {
    [AWAIT_EVENT_REGISTERED]: (data) => {
      const d = payload<AwaitEventRegisteredData>(data);
      register.run(d.keyId, d.scopeJson, d.waitJson, d.sessionId, d.turnControl ? 1 : 0, d.atMs);
    },
    [AWAIT_EVENT_RESOLVED]: (data, event) => {
      const d = payload<AwaitEventResolvedData>(data);
      const changes = resolve.run(
        d.keyId,
        d.scopeJson,
        d.waitJson,
        d.sessionId,
        d.turnControl ? 1 : 0,
        d.terminalJson,
        d.atMs,
        d.atMs,
      ).changes;
      exactlyOne(changes, event, 'would overwrite an existing terminal');
    },
    [AWAIT_EVENT_SESSION_REVOKED]: (data) => {
      const d = payload<AwaitEventSessionRevokedData>(data);
      tombstone.run(d.sessionId, d.atMs);
      deleteSession.run(d.sessionId);
    },
    [AWAIT_EVENT_SESSION_CANCEL_SWEPT]: (data, event) => {
      const d = payload<AwaitEventSessionCancelSweptData>(data);
      for (const keyId of d.keyIds) exactlyOne(sweep.run(d.terminalJson, d.atMs, keyId).changes, event, 'sweeps a settled row');
    },
  };
}

/** An await-event row as stored. */
export interface AwaitRow {
  key_id: string;
  scope_json: string;
  wait_json: string;
  session_id: string | null;
  turn_control: number;
  terminal_json: string | null;
  created_at_ms: number;
  resolved_at_ms: number | null;
}

/** Reads of the await-event tables. */
export class AwaitEventReads {
  readonly #row: Statement;
  readonly #revoked: Statement;
  readonly #pendingOrdinary: Statement;
  readonly #sessionRowCount: Statement;

  constructor(db: Db) {
    this.#row = db.prepare('SELECT * FROM await_event_waits WHERE key_id = ?');
    this.#revoked = db.prepare('SELECT 1 FROM await_event_revoked_sessions WHERE session_id = ?').pluck();
    this.#pendingOrdinary = db
      .prepare(
        'SELECT key_id FROM await_event_waits WHERE session_id = ? AND terminal_json IS NULL AND turn_control = 0 ORDER BY key_id',
      )
      .pluck();
    this.#sessionRowCount = db.prepare('SELECT count(*) FROM await_event_waits WHERE session_id = ?').pluck();
  }

  /** The row of `keyId`, or null. */
  row(keyId: string): AwaitRow | null {
    return (this.#row.get(keyId) as AwaitRow | undefined) ?? null;
  }

  /** True when `sessionId` was revoked (a null session is never revoked). */
  isRevoked(sessionId: string | null): boolean {
    return sessionId !== null && this.#revoked.get(sessionId) !== undefined;
  }

  /** Key ids of the pending, non-turn-control rows of a session. */
  pendingOrdinary(sessionId: string): string[] {
    return this.#pendingOrdinary.all(sessionId) as string[];
  }

  /** How many rows a session has. */
  sessionRowCount(sessionId: string): number {
    return this.#sessionRowCount.get(sessionId) as number;
  }
}
