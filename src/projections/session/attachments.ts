/**
 * Projection of the attachment manifest (20-blobs-attachments-lifecycle §4.2–§4.5) onto
 * `attachment_manifest`: write-ahead intents (upsert that never touches the commit stamp), commit
 * stamps (update only, first stamp wins — both from `commitRefs` and from commit-time adoption),
 * single forgets and reconciliation deletes. Every time and every deleted key is in the event, so
 * replay reproduces the rows exactly.
 */
import type { Statement } from 'better-sqlite3';
import { corruptData, StoreError } from '../../errors.js';
import type { Db } from '../../sqlite/open.js';
import type { AttachmentIntent, AttachmentManifestEntry, AttachmentOwnerKind } from '../../types/attachments.js';
import type { HandlerMap } from '../handlers.js';
import { payload } from './events.js';

export const ATTACHMENTS_ADOPTED = 'AttachmentsAdopted';
export const ATTACHMENT_INTENT_RECORDED = 'AttachmentIntentRecorded';
export const ATTACHMENT_REFS_COMMITTED = 'AttachmentRefsCommitted';
export const ATTACHMENT_FORGOTTEN = 'AttachmentForgotten';
export const AGED_INTENTS_FORGOTTEN = 'AgedIntentsForgotten';

/** Commit-time adoption (inside `commitRuntimeState`): rows stamped `committedAtMs`. */
export interface AttachmentsAdoptedData {
  sessionId: string;
  attachmentIds: string[];
  committedAtMs: number;
}

/** `recordIntent`: the intent as upserted. */
export interface AttachmentIntentRecordedData {
  intent: AttachmentIntent;
}

/** `commitRefs`: the rows this call stamped (those that existed and were uncommitted) and `now`. */
export interface AttachmentRefsCommittedData {
  sessionId: string;
  attachmentIds: string[];
  committedAtMs: number;
}

/** `forget`: the row deleted. */
export interface AttachmentForgottenData {
  sessionId: string;
  attachmentId: string;
}

/** A manifest row key. */
export interface ManifestKey {
  sessionId: string;
  attachmentId: string;
}

/** `forgetAgedUncommittedIntents`: the cutoff, the process ids proven dead beforehand, the rows deleted. */
export interface AgedIntentsForgottenData {
  cutoffEpochMs: number;
  deadProcessIds: string[];
  rows: ManifestKey[];
}

/** Handlers for every manifest event. */
export function attachmentHandlers(db: Db): HandlerMap {
  const stamp = db.prepare(
    'UPDATE attachment_manifest SET committed_at_ms = ? WHERE session_id = ? AND attachment_id = ? AND committed_at_ms IS NULL',
  );
  const upsert = db.prepare(
    `INSERT INTO attachment_manifest (session_id, attachment_id, canonical_uri, intent_at_ms, owner_kind, owner_id, committed_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, NULL)
     ON CONFLICT (session_id, attachment_id) DO UPDATE SET canonical_uri = excluded.canonical_uri,
       intent_at_ms = excluded.intent_at_ms, owner_kind = excluded.owner_kind, owner_id = excluded.owner_id`,
  );
  const remove = db.prepare('DELETE FROM attachment_manifest WHERE session_id = ? AND attachment_id = ?');
  const stampAll = (d: { sessionId: string; attachmentIds: string[]; committedAtMs: number }) => {
    for (const id of d.attachmentIds) stamp.run(d.committedAtMs, d.sessionId, id);
  };
  return {
    [ATTACHMENTS_ADOPTED]: (data) => stampAll(payload<AttachmentsAdoptedData>(data)),
    [ATTACHMENT_REFS_COMMITTED]: (data) => stampAll(payload<AttachmentRefsCommittedData>(data)),
    [ATTACHMENT_INTENT_RECORDED]: (data) => {
      const i = payload<AttachmentIntentRecordedData>(data).intent;
      upsert.run(i.sessionId, i.attachmentId, i.canonicalUri, i.intentAtEpochMs, i.ownerKind, i.ownerId);
    },
    [ATTACHMENT_FORGOTTEN]: (data) => {
      const d = payload<AttachmentForgottenData>(data);
      remove.run(d.sessionId, d.attachmentId);
    },
    [AGED_INTENTS_FORGOTTEN]: (data) => {
      for (const row of payload<AgedIntentsForgottenData>(data).rows) remove.run(row.sessionId, row.attachmentId);
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

interface ManifestRow {
  session_id: string;
  attachment_id: string;
  canonical_uri: unknown;
  intent_at_ms: unknown;
  owner_kind: unknown;
  owner_id: unknown;
  committed_at_ms: unknown;
}

const COLUMNS = 'session_id, attachment_id, canonical_uri, intent_at_ms, owner_kind, owner_id, committed_at_ms';

/**
 * The owner-death predicate of §4.4 over a row aliased `m`, for rows already known to be
 * uncommitted and aged: ownerless rows die by age; a turn owner dies when a different turn of the
 * same session committed strictly after the intent; a process owner dies when its id is in the dead
 * set proven before the transaction (bound as a JSON array).
 */
const OWNER_DEAD = `(
  (m.owner_kind IS NULL AND m.owner_id IS NULL)
  OR (m.owner_kind = 'turn' AND EXISTS (
        SELECT 1 FROM runtime_turn_commits c
         WHERE c.session_id = m.session_id AND c.turn_id <> m.owner_id AND c.committed_at_ms > m.intent_at_ms))
  OR (m.owner_kind = 'process' AND m.owner_id IN (SELECT value FROM json_each(?)))
)`;

/** A row is corrupt when its owner columns or times cannot form an `AttachmentManifestEntry`. */
const MALFORMED = `(
  typeof(m.canonical_uri) <> 'text' OR typeof(m.intent_at_ms) <> 'integer'
  OR (m.committed_at_ms IS NOT NULL AND typeof(m.committed_at_ms) <> 'integer')
  OR NOT ((m.owner_kind IS NULL AND m.owner_id IS NULL)
          OR (m.owner_kind IN ('turn', 'process') AND typeof(m.owner_id) = 'text'))
)`;

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** Maps a row to an entry; anything that does not fit is `CorruptData`, never skipped. */
function toEntry(row: ManifestRow): AttachmentManifestEntry {
  const key = `${row.session_id}/${row.attachment_id}`;
  const fail = (detail: string): never => {
    throw corruptData(StoreError, 'attachment_manifest', key, detail);
  };
  if (typeof row.canonical_uri !== 'string') fail('canonical_uri is not text');
  if (!isInt(row.intent_at_ms)) fail('intent_at_ms is not an integer');
  if (row.committed_at_ms !== null && !isInt(row.committed_at_ms)) fail('committed_at_ms is not an integer');
  let ownerKind: AttachmentOwnerKind | null = null;
  let ownerId: string | null = null;
  if (row.owner_kind !== null || row.owner_id !== null) {
    if (row.owner_kind !== 'turn' && row.owner_kind !== 'process') fail(`unknown owner kind ${String(row.owner_kind)}`);
    if (typeof row.owner_id !== 'string') fail('owner_id is missing for an owned row');
    ownerKind = row.owner_kind as AttachmentOwnerKind;
    ownerId = row.owner_id as string;
  }
  return {
    attachmentId: row.attachment_id,
    sessionId: row.session_id,
    canonicalUri: row.canonical_uri as string,
    intentAtEpochMs: row.intent_at_ms as number,
    ownerKind,
    ownerId,
    committedAtEpochMs: row.committed_at_ms as number | null,
  };
}

/** Raises `CorruptData` for a row the malformed-row probe found. */
function rejectMalformed(row: ManifestRow | undefined): void {
  if (row === undefined) return;
  toEntry(row);
  throw corruptData(StoreError, 'attachment_manifest', `${row.session_id}/${row.attachment_id}`, 'malformed manifest row');
}

/** Reads of the manifest operations and of reconciliation; all run inside the caller's transaction. */
export class AttachmentManifestReads {
  readonly #row: Statement;
  readonly #exists: Statement;
  readonly #uncommitted: Statement;
  readonly #allRefs: Statement;
  readonly #agedProcessOwners: Statement;
  readonly #agedProcessOwnersOfId: Statement;
  readonly #malformedAged: Statement;
  readonly #malformedOfId: Statement;
  readonly #doomed: Statement;
  readonly #liveOfId: Statement;

  constructor(db: Db) {
    this.#row = db.prepare(`SELECT ${COLUMNS} FROM attachment_manifest WHERE session_id = ? AND attachment_id = ?`);
    this.#exists = db.prepare('SELECT 1 FROM attachment_manifest WHERE session_id = ? AND attachment_id = ?').pluck();
    this.#uncommitted = db.prepare(
      `SELECT ${COLUMNS} FROM attachment_manifest WHERE committed_at_ms IS NULL AND intent_at_ms <= ?
        ORDER BY intent_at_ms, session_id, attachment_id`,
    );
    this.#allRefs = db.prepare('SELECT DISTINCT attachment_id FROM attachment_manifest ORDER BY attachment_id').pluck();
    const agedProcess = `FROM attachment_manifest WHERE committed_at_ms IS NULL AND intent_at_ms <= ? AND owner_kind = 'process'`;
    this.#agedProcessOwners = db.prepare(`SELECT DISTINCT owner_id ${agedProcess} ORDER BY owner_id`).pluck();
    this.#agedProcessOwnersOfId = db
      .prepare(`SELECT DISTINCT owner_id ${agedProcess} AND attachment_id = ? ORDER BY owner_id`)
      .pluck();
    this.#malformedAged = db.prepare(
      `SELECT ${COLUMNS} FROM attachment_manifest m
        WHERE (m.committed_at_ms IS NULL AND (typeof(m.intent_at_ms) <> 'integer' OR m.intent_at_ms <= ?)) AND ${MALFORMED}
        ORDER BY session_id, attachment_id LIMIT 1`,
    );
    this.#malformedOfId = db.prepare(
      `SELECT ${COLUMNS} FROM attachment_manifest m WHERE m.attachment_id = ? AND ${MALFORMED}
        ORDER BY session_id LIMIT 1`,
    );
    this.#doomed = db.prepare(
      `SELECT m.session_id AS sessionId, m.attachment_id AS attachmentId FROM attachment_manifest m
        WHERE m.committed_at_ms IS NULL AND m.intent_at_ms <= ? AND ${OWNER_DEAD}
        ORDER BY m.session_id, m.attachment_id`,
    );
    this.#liveOfId = db
      .prepare(
        `SELECT 1 FROM attachment_manifest m WHERE m.attachment_id = ?
           AND NOT (m.committed_at_ms IS NULL AND m.intent_at_ms <= ? AND ${OWNER_DEAD}) LIMIT 1`,
      )
      .pluck();
  }

  /** The row `(sessionId, attachmentId)`, or null. */
  row(sessionId: string, attachmentId: string): AttachmentManifestEntry | null {
    const row = this.#row.get(sessionId, attachmentId) as ManifestRow | undefined;
    return row === undefined ? null : toEntry(row);
  }

  /** Whether a row exists for exactly `(sessionId, attachmentId)`, intent or committed. */
  exists(sessionId: string, attachmentId: string): boolean {
    return this.#exists.get(sessionId, attachmentId) !== undefined;
  }

  /** Uncommitted rows with intent ≤ `olderThan`, by (intent, session, attachment). */
  uncommitted(olderThan: number): AttachmentManifestEntry[] {
    rejectMalformed(this.#malformedAged.get(olderThan) as ManifestRow | undefined);
    return (this.#uncommitted.all(olderThan) as ManifestRow[]).map(toEntry);
  }

  /** Distinct attachment ids over all rows, ascending (SQLite's binary order is code point order). */
  allRefs(): string[] {
    return this.#allRefs.all() as string[];
  }

  /** Distinct process owners of uncommitted rows aged at `cutoff` (optionally of one attachment id). */
  agedProcessOwners(cutoff: number, attachmentId: string | null): string[] {
    return (
      attachmentId === null ? this.#agedProcessOwners.all(cutoff) : this.#agedProcessOwnersOfId.all(cutoff, attachmentId)
    ) as string[];
  }

  /** Rows `forgetAgedUncommittedIntents(cutoff)` deletes, given the process ids proven dead. */
  doomed(cutoff: number, deadProcessIds: readonly string[]): ManifestKey[] {
    rejectMalformed(this.#malformedAged.get(cutoff) as ManifestRow | undefined);
    return this.#doomed.all(cutoff, JSON.stringify(deadProcessIds)) as ManifestKey[];
  }

  /** Whether some row of `attachmentId` survives `forgetAgedUncommittedIntents(cutoff)`. */
  hasLiveRef(attachmentId: string, cutoff: number, deadProcessIds: readonly string[]): boolean {
    rejectMalformed(this.#malformedOfId.get(attachmentId) as ManifestRow | undefined);
    return this.#liveOfId.get(attachmentId, cutoff, JSON.stringify(deadProcessIds)) !== undefined;
  }
}
