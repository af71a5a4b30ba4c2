/**
 * Typed reads of the process registry projections, prepared once per connection. Every decoder
 * raises `CorruptData` with the row's table and key; nothing is skipped or defaulted.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../../sqlite/open.js';
import { PROCESS_LEASE_SCHEMA_VERSION } from '../../stores/versions-process.js';
import type { LeaseOwnerIdentity } from '../../types/common.js';
import type {
  PersistedSegmentHandover,
  ProcessEvent,
  ProcessHandleDescriptor,
  ProcessLease,
  ProcessRecord,
} from '../../types/process.js';
import { decodeDescriptor, decodeEvent, decodeHandover, decodeLiveness, decodeRecord } from './records.js';

/** The projection row of one process's lease (owner and token null after a release). */
export interface ProcessLeaseRow {
  processId: string;
  owner: LeaseOwnerIdentity | null;
  leaseToken: string | null;
  fencingToken: number;
  claimedAtEpochMs: number;
  expiresAtEpochMs: number;
}

/** A live lease row: owner and token present. */
export type HeldLeaseRow = ProcessLeaseRow & { owner: LeaseOwnerIdentity; leaseToken: string };

/** A stored grant. */
export interface GrantRow {
  sessionId: string;
  scopeId: string;
  processId: string;
  descriptor: ProcessHandleDescriptor;
}

/** A stored process event with its replay columns. */
export interface StoredProcessEvent {
  event: ProcessEvent;
  payloadHash: string;
}

interface RecordRow {
  process_id: string;
  updated_at_ms: number;
  change_seq: number;
  record_json: string;
}

const RECORD_COLUMNS = 'process_id, updated_at_ms, change_seq, record_json';

function recordOf(row: RecordRow): ProcessRecord {
  return decodeRecord(row.process_id, row.record_json, row.updated_at_ms, row.change_seq);
}
interface EventRow {
  process_id: string;
  sequence: number;
  payload_hash: string;
  event_json: string;
}
interface GrantDbRow {
  session_id: string;
  scope_id: string;
  process_id: string;
  descriptor_json: string;
}
interface LeaseDbRow {
  process_id: string;
  lease_owner_id: string | null;
  lease_owner_incarnation_id: string | null;
  lease_owner_liveness_json: string | null;
  lease_token: string | null;
  lease_fencing_token: number;
  lease_claimed_at_ms: number;
  lease_expires_at_ms: number;
}

/** Prepared reads over one connection. */
export class ProcessReads {
  readonly #record: Statement;
  readonly #exists: Statement;
  readonly #byStatus: Statement;
  readonly #all: Statement;
  readonly #changedSince: Statement;
  readonly #wakeTargetSession: Statement;
  readonly #maxSequence: Statement;
  readonly #eventByKey: Statement;
  readonly #eventsAfter: Statement;
  readonly #countThrough: Statement;
  readonly #recent: Statement;
  readonly #unackedAfter: Statement;
  readonly #ack: Statement;
  readonly #grant: Statement;
  readonly #grantsOfScope: Statement;
  readonly #grantsOfProcess: Statement;
  readonly #grantsOfSession: Statement;
  readonly #grantCount: Statement;
  readonly #lease: Statement;
  readonly #handover: Statement;
  readonly #latestHandover: Statement;
  readonly #handoverOrdinals: Statement;
  readonly #eventCount: Statement;
  readonly #firstOfType: Statement;
  /** Parsed record texts by process id, for `recordView`; a hit requires the identical stored text. */
  readonly #views = new Map<string, { text: string; record: ProcessRecord }>();

  constructor(readonly db: Db) {
    this.#record = db.prepare(`SELECT ${RECORD_COLUMNS} FROM processes WHERE process_id = ?`);
    this.#exists = db.prepare('SELECT 1 FROM processes WHERE process_id = ?').pluck();
    this.#byStatus = db.prepare(`SELECT ${RECORD_COLUMNS} FROM processes WHERE status = ?`);
    this.#all = db.prepare(`SELECT ${RECORD_COLUMNS} FROM processes`);
    this.#changedSince = db.prepare(
      `SELECT ${RECORD_COLUMNS} FROM processes WHERE change_seq > ? ORDER BY change_seq, process_id LIMIT ?`,
    );
    this.#wakeTargetSession = db.prepare(
      `SELECT ${RECORD_COLUMNS} FROM processes WHERE json_extract(record_json, '$.wakeTarget.sessionId') = ? ORDER BY process_id`,
    );
    this.#maxSequence = db.prepare('SELECT coalesce(max(sequence), 0) FROM process_events WHERE process_id = ?').pluck();
    this.#eventByKey = db.prepare(
      'SELECT process_id, sequence, payload_hash, event_json FROM process_events WHERE process_id = ? AND idempotency_key = ?',
    );
    this.#eventsAfter = db.prepare(
      'SELECT process_id, sequence, payload_hash, event_json FROM process_events WHERE process_id = ? AND sequence > ? ORDER BY sequence',
    );
    this.#countThrough = db
      .prepare('SELECT count(*) FROM process_events WHERE process_id = ? AND event_type = ? AND sequence <= ?')
      .pluck();
    this.#recent = db.prepare(
      'SELECT process_id, sequence, payload_hash, event_json FROM process_events WHERE process_id = ? ORDER BY sequence DESC LIMIT ?',
    );
    this.#unackedAfter = db.prepare(
      `SELECT e.process_id, e.sequence, e.payload_hash, e.event_json FROM process_events e
       WHERE e.process_id = ? AND e.sequence > ?
         AND NOT EXISTS (SELECT 1 FROM process_wake_acks a WHERE a.process_id = e.process_id AND a.sequence = e.sequence)
       ORDER BY e.sequence`,
    );
    this.#ack = db.prepare('SELECT 1 FROM process_wake_acks WHERE process_id = ? AND sequence = ?').pluck();
    this.#grant = db.prepare('SELECT * FROM process_handle_grants WHERE scope_id = ? AND process_id = ?');
    this.#grantsOfScope = db.prepare(
      `SELECT g.session_id, g.scope_id, g.process_id, g.descriptor_json, p.record_json, p.updated_at_ms, p.change_seq
       FROM process_handle_grants g
       JOIN processes p ON p.process_id = g.process_id WHERE g.scope_id = ?`,
    );
    this.#grantsOfProcess = db.prepare('SELECT * FROM process_handle_grants WHERE process_id = ? ORDER BY session_id, scope_id');
    this.#grantsOfSession = db.prepare('SELECT * FROM process_handle_grants WHERE session_id = ? ORDER BY scope_id, process_id');
    this.#grantCount = db.prepare('SELECT count(*) FROM process_handle_grants WHERE process_id = ?').pluck();
    this.#lease = db.prepare('SELECT * FROM process_leases WHERE process_id = ?');
    this.#handover = db
      .prepare('SELECT handover_json FROM process_segment_handovers WHERE process_id = ? AND segment_ordinal = ?')
      .pluck();
    this.#latestHandover = db.prepare(
      'SELECT segment_ordinal, handover_json FROM process_segment_handovers WHERE process_id = ? ORDER BY segment_ordinal DESC LIMIT 1',
    );
    this.#handoverOrdinals = db
      .prepare('SELECT segment_ordinal FROM process_segment_handovers WHERE process_id = ? ORDER BY segment_ordinal')
      .pluck();
    this.#eventCount = db.prepare('SELECT count(*) FROM process_events WHERE process_id = ?').pluck();
    this.#firstOfType = db.prepare(
      `SELECT process_id, sequence, payload_hash, event_json FROM process_events
       WHERE process_id = ? AND sequence > ? AND event_type = ? ORDER BY sequence LIMIT 1`,
    );
  }

  /** The record, or null when no row exists. */
  record(processId: string): ProcessRecord | null {
    const row = this.#record.get(processId) as RecordRow | undefined;
    return row ? recordOf(row) : null;
  }

  /**
   * The record for read-only use inside a command (never handed to callers): the parse of an
   * unchanged `record_json` text is reused, so an append does not re-parse the registration.
   */
  recordView(processId: string): ProcessRecord | null {
    const row = this.#record.get(processId) as RecordRow | undefined;
    if (!row) return null;
    const cached = this.#views.get(processId);
    if (cached && cached.text === row.record_json) {
      cached.record.updatedAtMs = row.updated_at_ms;
      cached.record.changeSeq = row.change_seq;
      return cached.record;
    }
    const record = recordOf(row);
    if (this.#views.size >= 1024) this.#views.clear();
    this.#views.set(processId, { text: row.record_json, record });
    return record;
  }

  exists(processId: string): boolean {
    return this.#exists.get(processId) !== undefined;
  }

  /** Records with the given status label (all when null), in code-unit order of their ids. */
  records(status: string | null): ProcessRecord[] {
    const rows = (status === null ? this.#all.all() : this.#byStatus.all(status)) as RecordRow[];
    rows.sort((a, b) => (a.process_id < b.process_id ? -1 : a.process_id > b.process_id ? 1 : 0));
    return rows.map((r) => recordOf(r));
  }

  /** Up to `limit` records with `changeSeq > after`, in change order. */
  changedSince(after: number, limit: number): ProcessRecord[] {
    return (this.#changedSince.all(after, limit) as RecordRow[]).map((r) => recordOf(r));
  }

  /** Records whose wake target is any scope of `sessionId`. */
  wakeTargetsOfSession(sessionId: string): ProcessRecord[] {
    return (this.#wakeTargetSession.all(sessionId) as RecordRow[]).map((r) => recordOf(r));
  }

  /** The highest sequence of the process's event log (0 when empty). */
  maxSequence(processId: string): number {
    return this.#maxSequence.get(processId) as number;
  }

  eventCount(processId: string): number {
    return this.#eventCount.get(processId) as number;
  }

  /** The event stored under an idempotency key, with its payload hash. */
  eventByKey(processId: string, key: string): StoredProcessEvent | null {
    const row = this.#eventByKey.get(processId, key) as EventRow | undefined;
    return row ? { event: decodeEvent(row.process_id, row.sequence, row.event_json), payloadHash: row.payload_hash } : null;
  }

  eventsAfter(processId: string, after: number): ProcessEvent[] {
    return (this.#eventsAfter.all(processId, after) as EventRow[]).map((r) =>
      decodeEvent(r.process_id, r.sequence, r.event_json),
    );
  }

  countThrough(processId: string, eventType: string, upTo: number): number {
    return this.#countThrough.get(processId, eventType, upTo) as number;
  }

  /** The last `limit` events, ascending. */
  recent(processId: string, limit: number): ProcessEvent[] {
    const rows = this.#recent.all(processId, limit >= Number.MAX_SAFE_INTEGER ? -1 : limit) as EventRow[];
    return rows.reverse().map((r) => decodeEvent(r.process_id, r.sequence, r.event_json));
  }

  /** The first event of `eventType` with a sequence above `after`, or null. */
  firstEventOfTypeAfter(processId: string, eventType: string, after: number): ProcessEvent | null {
    const row = this.#firstOfType.get(processId, after, eventType) as EventRow | undefined;
    return row ? decodeEvent(row.process_id, row.sequence, row.event_json) : null;
  }

  /** Events after `after` that carry a wake and are not acked. */
  wakeEventsAfter(processId: string, after: number): ProcessEvent[] {
    return (this.#unackedAfter.all(processId, after) as EventRow[])
      .map((r) => decodeEvent(r.process_id, r.sequence, r.event_json))
      .filter((e) => e.semantics.wake !== null);
  }

  isAcked(processId: string, sequence: number): boolean {
    return this.#ack.get(processId, sequence) !== undefined;
  }

  #grantRow(row: GrantDbRow): GrantRow {
    return {
      sessionId: row.session_id,
      scopeId: row.scope_id,
      processId: row.process_id,
      descriptor: decodeDescriptor(`${row.scope_id}/${row.process_id}`, row.descriptor_json),
    };
  }

  grant(scopeId: string, processId: string): GrantRow | null {
    const row = this.#grant.get(scopeId, processId) as GrantDbRow | undefined;
    return row ? this.#grantRow(row) : null;
  }

  /** Grants of one scope id with their records (grants of missing rows never appear), by process id. */
  grantsOfScope(scopeId: string): Array<{ grant: GrantRow; record: ProcessRecord }> {
    const rows = this.#grantsOfScope.all(scopeId) as Array<GrantDbRow & RecordRow>;
    rows.sort((a, b) => (a.process_id < b.process_id ? -1 : a.process_id > b.process_id ? 1 : 0));
    return rows.map((r) => ({ grant: this.#grantRow(r), record: recordOf(r) }));
  }

  /** Grants of one process, by session id then scope id. */
  grantsOfProcess(processId: string): GrantRow[] {
    return (this.#grantsOfProcess.all(processId) as GrantDbRow[]).map((r) => this.#grantRow(r));
  }

  /** Grants stored with `sessionId`, across all of its scopes. */
  grantsOfSession(sessionId: string): GrantRow[] {
    return (this.#grantsOfSession.all(sessionId) as GrantDbRow[]).map((r) => this.#grantRow(r));
  }

  grantCount(processId: string): number {
    return this.#grantCount.get(processId) as number;
  }

  /** The lease row, or null when the process never had one. */
  lease(processId: string): ProcessLeaseRow | null {
    const row = this.#lease.get(processId) as LeaseDbRow | undefined;
    if (!row) return null;
    let owner: LeaseOwnerIdentity | null = null;
    if (row.lease_owner_id !== null && row.lease_owner_incarnation_id !== null) {
      owner = {
        ownerId: row.lease_owner_id,
        incarnationId: row.lease_owner_incarnation_id,
        liveness: decodeLiveness(row.process_id, row.lease_owner_liveness_json),
      };
    }
    return {
      processId: row.process_id,
      owner,
      leaseToken: row.lease_token,
      fencingToken: row.lease_fencing_token,
      claimedAtEpochMs: row.lease_claimed_at_ms,
      expiresAtEpochMs: row.lease_expires_at_ms,
    };
  }

  handover(processId: string, ordinal: number): PersistedSegmentHandover | null {
    const text = this.#handover.get(processId, ordinal) as string | undefined;
    return text === undefined ? null : decodeHandover(processId, ordinal, text);
  }

  latestHandover(processId: string): PersistedSegmentHandover | null {
    const row = this.#latestHandover.get(processId) as { segment_ordinal: number; handover_json: string } | undefined;
    return row ? decodeHandover(processId, row.segment_ordinal, row.handover_json) : null;
  }

  handoverOrdinals(processId: string): number[] {
    return this.#handoverOrdinals.all(processId) as number[];
  }
}

/** True when the row holds an owner and token that expire strictly after `now`. */
export function isLiveLease(row: ProcessLeaseRow | null, now: number): row is HeldLeaseRow {
  return row !== null && row.owner !== null && row.leaseToken !== null && row.expiresAtEpochMs > now;
}

/** The `ProcessLease` a held row describes. */
export function leaseFromRow(row: HeldLeaseRow): ProcessLease {
  return {
    schemaVersion: PROCESS_LEASE_SCHEMA_VERSION,
    processId: row.processId,
    owner: row.owner,
    leaseToken: row.leaseToken,
    fencingToken: row.fencingToken,
    claimedAtEpochMs: row.claimedAtEpochMs,
    expiresAtEpochMs: row.expiresAtEpochMs,
  };
}
