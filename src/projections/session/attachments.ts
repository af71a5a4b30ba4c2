/** Projection of commit-time attachment adoption onto `attachment_manifest` (update only). */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../../sqlite/open.js';
import type { HandlerMap } from '../handlers.js';
import { payload } from './events.js';

export const ATTACHMENTS_ADOPTED = 'AttachmentsAdopted';

export interface AttachmentsAdoptedData {
  sessionId: string;
  attachmentIds: string[];
  committedAtMs: number;
}

/** Handlers for adoption: stamp rows that are still uncommitted (first stamp wins). */
export function attachmentHandlers(db: Db): HandlerMap {
  const stamp = db.prepare(
    'UPDATE attachment_manifest SET committed_at_ms = ? WHERE session_id = ? AND attachment_id = ? AND committed_at_ms IS NULL',
  );
  return {
    [ATTACHMENTS_ADOPTED]: (data) => {
      const d = payload<AttachmentsAdoptedData>(data);
      for (const id of d.attachmentIds) stamp.run(d.committedAtMs, d.sessionId, id);
    },
  };
}

/** Reads that adoption needs. */
export class AttachmentAdoptionReads {
  readonly #uncommitted: Statement;
  readonly #turnOwned: Statement;

  constructor(db: Db) {
    this.#uncommitted = db
      .prepare('SELECT 1 FROM attachment_manifest WHERE session_id = ? AND attachment_id = ? AND committed_at_ms IS NULL')
      .pluck();
    this.#turnOwned = db
      .prepare(
        `SELECT attachment_id FROM attachment_manifest WHERE session_id = ? AND owner_kind = 'turn' AND owner_id = ?
           AND committed_at_ms IS NULL ORDER BY attachment_id`,
      )
      .pluck();
  }

  /** Whether row `(sessionId, attachmentId)` exists and is uncommitted. */
  isUncommitted(sessionId: string, attachmentId: string): boolean {
    return this.#uncommitted.get(sessionId, attachmentId) !== undefined;
  }

  /** Uncommitted rows of `sessionId` owned by turn `turnId`. */
  turnOwned(sessionId: string, turnId: string): string[] {
    return this.#turnOwned.all(sessionId, turnId) as string[];
  }
}
