/** Projection of session execution lease events onto `session_execution_leases`. */
import { pack } from '../../codec.js';
import type { Db } from '../../sqlite/open.js';
import type { HandlerMap } from '../handlers.js';
import {
  LEASE_ACQUIRED,
  LEASE_EXTENDED,
  LEASE_RELEASED,
  type LeaseAcquiredData,
  type LeaseExtendedData,
  type LeaseReleasedData,
  payload,
} from './events.js';

/** Handlers for acquire (claim, takeover), extend (re-entry, renew) and release. */
export function leaseHandlers(db: Db): HandlerMap {
  const upsert = db.prepare(
    `INSERT INTO session_execution_leases (session_id, owner, lease_token, fencing_token, claimed_at_ms, expires_at_ms)
     VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT(session_id) DO UPDATE SET owner = excluded.owner, lease_token = excluded.lease_token,
       fencing_token = excluded.fencing_token, claimed_at_ms = excluded.claimed_at_ms, expires_at_ms = excluded.expires_at_ms`,
  );
  const extend = db.prepare('UPDATE session_execution_leases SET expires_at_ms = ? WHERE session_id = ?');
  const release = db.prepare(
    'UPDATE session_execution_leases SET owner = NULL, lease_token = NULL, claimed_at_ms = 0, expires_at_ms = 0 WHERE session_id = ? AND fencing_token = ?',
  );
  return {
    [LEASE_ACQUIRED]: (data) => {
      const d = payload<LeaseAcquiredData>(data);
      upsert.run(d.sessionId, pack(d.owner), d.leaseToken, d.fencingToken, d.claimedAtMs, d.expiresAtMs);
    },
    [LEASE_EXTENDED]: (data) => {
      const d = payload<LeaseExtendedData>(data);
      extend.run(d.expiresAtMs, d.sessionId);
    },
    [LEASE_RELEASED]: (data) => {
      const d = payload<LeaseReleasedData>(data);
      release.run(d.sessionId, d.fencingToken);
    },
  };
}
