/** `saveSessionMeta` (10-session-store §3.1.5): singleton upsert, independent of the head binding. */
import type { CommandTx } from '../../events/database.js';
import { SESSION_META_SAVED, type SessionMetaSavedData } from '../../projections/session/events.js';
import type { SessionMeta } from '../../types/session.js';

export function saveSessionMetaTx(tx: CommandTx, meta: SessionMeta): void {
  const data: SessionMetaSavedData = { meta };
  tx.emit({ stream: `session:${meta.sessionId}`, type: SESSION_META_SAVED, data });
}
