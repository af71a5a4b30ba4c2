/**
 * Factory meta seeding (20-blobs-attachments-lifecycle §6.3 step 3): writes the session metadata in
 * one transaction only when no row exists, so `createStore` never overwrites a saved meta.
 */
import type { CommandTx } from '../../events/database.js';
import { SESSION_META_SAVED, type SessionMetaSavedData } from '../../projections/session/events.js';
import type { Db } from '../../sqlite/open.js';
import type { SessionMeta } from '../../types/session.js';

/** Returns true when it wrote the meta. */
export function seedSessionMetaTx(db: Db, tx: CommandTx, meta: SessionMeta): boolean {
  if (db.prepare('SELECT 1 FROM session_meta WHERE id = 1').get() !== undefined) return false;
  const data: SessionMetaSavedData = { meta };
  tx.emit({ stream: `session:${meta.sessionId}`, type: SESSION_META_SAVED, data });
  return true;
}
