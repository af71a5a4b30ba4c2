/** Event shapes shared by every database kind (00-overview §3.1). */
import type { JsonValue } from '../json.js';

/** An event as stored and read back. */
export interface StoredEvent {
  /** Global, strictly increasing, gap-free for committed events in one database. */
  seq: number;
  /** e.g. `session:root`, `lease:root`, `maintenance`. */
  stream: string;
  /** 1, 2, 3 … within the stream. */
  version: number;
  /** e.g. `RuntimeStateCommitted`. */
  type: string;
  /** Decoded payload (blob contents are referenced, not embedded). */
  data: JsonValue;
  /** The injected clock's time when the command ran. */
  recordedAtMs: number;
}

/** An event a command decided to append; `seq`, `version` and the time are assigned on append. */
export interface DomainEvent {
  stream: string;
  type: string;
  /** A JSON-shaped payload (typed interfaces welcome); stored as msgpack. */
  data: object;
}

/** Options of `readEvents`. */
export interface ReadEventsOptions {
  afterSeq?: number;
  limit?: number;
  stream?: string;
}

/** Options of `events$`. */
export interface EventsObservableOptions {
  afterSeq?: number;
  /** How often other connections' commits are looked for (`PRAGMA data_version`); default 50 ms. */
  pollIntervalMs?: number;
}

/** A difference between the live projections and the ones re-derived from the log. */
export interface ProjectionMismatch {
  table: string;
  key: string;
  expected: JsonValue;
  actual: JsonValue;
}

/** Result of `verifyProjections`. */
export interface VerifyReport {
  ok: boolean;
  eventCount: number;
  mismatches: ProjectionMismatch[];
}

/** Options of `compactEventLog`. */
export interface CompactOptions {
  throughSeq: number;
  archivePath?: string;
}

/** Result of `compactEventLog`. */
export interface CompactReport {
  deletedEventCount: number;
  snapshotSeq: number;
}
