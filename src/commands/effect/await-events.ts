/**
 * The await-event write steps (40-effects-triggers §4.4): resolve, ensure-pending, revoke and the
 * cancel sweep. Each decides from the projection rows inside one command transaction; outcomes
 * that change nothing (`alreadyResolved`, `unknownOrRevoked`, an idempotent revoke) emit nothing.
 */

import type { KeyIdentity } from '../../effects/keys.js';
import { decodeResolution } from '../../effects/keys.js';
import { corruptData, EffectHostError } from '../../errors.js';
import type { CommandTx } from '../../events/database.js';
import { canonicalJson } from '../../json.js';
import type { AwaitEventReads, AwaitRow } from '../../projections/effect/await-events.js';
import {
  AWAIT_EVENT_REGISTERED,
  AWAIT_EVENT_RESOLVED,
  AWAIT_EVENT_SESSION_CANCEL_SWEPT,
  AWAIT_EVENT_SESSION_REVOKED,
  type AwaitEventRegisteredData,
  type AwaitEventResolvedData,
  type AwaitEventSessionCancelSweptData,
  type AwaitEventSessionRevokedData,
  type AwaitRowIdentity,
  awaitSessionStream,
  awaitStream,
} from '../../projections/effect/events.js';
import type { Resolution, ResolveOutcome } from '../../types/effect.js';

/** The error of every unauthenticated, revoked or mismatched key on peek and await. */
export function unknownOrRevoked(): EffectHostError {
  return new EffectHostError('AwaitEventUnknownOrRevoked', 'await-event key is invalid or revoked');
}

/** §4.3 row identity check: the stored row must describe exactly this key. */
export function rowMatches(row: AwaitRow, id: KeyIdentity): boolean {
  return (
    row.scope_json === id.scopeJson &&
    row.wait_json === id.waitJson &&
    row.session_id === id.sessionId &&
    row.turn_control === (id.turnControl ? 1 : 0)
  );
}

/** The stored terminal of a row; an undecodable one is `CorruptData`. */
export function terminalOf(row: AwaitRow): Resolution | null {
  if (row.terminal_json === null) return null;
  try {
    return decodeResolution(row.terminal_json);
  } catch (error) {
    throw corruptData(
      EffectHostError,
      'await_event_waits',
      row.key_id,
      `undecodable terminal_json: ${(error as Error).message}`,
      error,
    );
  }
}

function rowIdentity(id: KeyIdentity): AwaitRowIdentity {
  return {
    keyId: id.keyId,
    scopeJson: id.scopeJson,
    waitJson: id.waitJson,
    sessionId: id.sessionId,
    turnControl: id.turnControl,
  };
}

/** §4.4.2 step 2 for an authenticated key. */
export function resolveTx(reads: AwaitEventReads, tx: CommandTx, id: KeyIdentity, resolution: Resolution): ResolveOutcome {
  if (reads.isRevoked(id.sessionId)) return { kind: 'unknownOrRevoked' };
  const row = reads.row(id.keyId);
  if (row !== null && !rowMatches(row, id)) return { kind: 'unknownOrRevoked' };
  const stored = row === null ? null : terminalOf(row);
  if (stored !== null) return { kind: 'alreadyResolved', terminal: stored };
  const data: AwaitEventResolvedData = {
    ...rowIdentity(id),
    terminalJson: canonicalJson(resolution),
    via: 'resolve',
    atMs: tx.now,
  };
  tx.emit({ stream: awaitStream(id.keyId), type: AWAIT_EVENT_RESOLVED, data });
  return { kind: 'accepted' };
}

/** §4.4.4 step 2: registers a pending row (visible to the cancel sweep) unless one exists. */
export function ensurePendingTx(reads: AwaitEventReads, tx: CommandTx, id: KeyIdentity): void {
  if (reads.isRevoked(id.sessionId)) throw unknownOrRevoked();
  const row = reads.row(id.keyId);
  if (row !== null) {
    if (!rowMatches(row, id)) throw unknownOrRevoked();
    return;
  }
  const data: AwaitEventRegisteredData = { ...rowIdentity(id), atMs: tx.now };
  tx.emit({ stream: awaitStream(id.keyId), type: AWAIT_EVENT_REGISTERED, data });
}

/** §4.4.5: tombstones the session and deletes its rows; nothing to do when already revoked and empty. */
export function revokeTx(reads: AwaitEventReads, tx: CommandTx, sessionId: string): void {
  if (reads.isRevoked(sessionId) && reads.sessionRowCount(sessionId) === 0) return;
  const data: AwaitEventSessionRevokedData = { sessionId, atMs: tx.now };
  tx.emit({ stream: awaitSessionStream(sessionId), type: AWAIT_EVENT_SESSION_REVOKED, data });
}

/** §4.4.6: resolves the session's pending ordinary rows with `cancelled`. */
export function cancelSweepTx(reads: AwaitEventReads, tx: CommandTx, sessionId: string): number {
  const keyIds = reads.pendingOrdinary(sessionId);
  if (keyIds.length === 0) return 0;
  const data: AwaitEventSessionCancelSweptData = {
    sessionId,
    keyIds,
    terminalJson: canonicalJson({ kind: 'cancelled' }),
    atMs: tx.now,
  };
  tx.emit({ stream: awaitSessionStream(sessionId), type: AWAIT_EVENT_SESSION_CANCEL_SWEPT, data });
  return keyIds.length;
}
