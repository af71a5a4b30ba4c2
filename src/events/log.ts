/**
 * The append-only event log of one connection: payload encoding, per-stream versions, reads.
 * Payloads are msgpack; above `COMPRESS_THRESHOLD` bytes they are zlib-compressed, and reads inflate
 * them with the same bound as blobs so a damaged row yields `CorruptData`, never a huge allocation.
 */
import type { Statement } from 'better-sqlite3';
import { InflateLimitError, inflateBounded, pack, unpack, zlib } from '../codec.js';
import { type AreaErrorClass, corruptData } from '../errors.js';
import type { JsonValue } from '../json.js';
import type { Db } from '../sqlite/open.js';
import type { DomainEvent, StoredEvent } from './types.js';

/** Payloads at least this large are stored compressed. */
export const COMPRESS_THRESHOLD = 4096;

const CODEC_MSGPACK = 0;
const CODEC_ZLIB_MSGPACK = 1;

/** A raw event row. */
export interface EventRow {
  seq: number;
  stream: string;
  version: number;
  type: string;
  codec: number;
  payload: Uint8Array;
  recorded_at_ms: number;
}

/** Append and read access to the `events` table of one connection. */
export class EventLog {
  readonly #insert: Statement;
  readonly #bumpStream: Statement;
  readonly #readAfter: Statement;
  readonly #readAfterInStream: Statement;
  readonly #maxSeq: Statement;
  readonly #count: Statement;

  constructor(
    readonly db: Db,
    readonly errorClass: AreaErrorClass,
    readonly maxInflatedBytes: number,
  ) {
    this.#insert = db.prepare(
      'INSERT INTO events (stream, version, type, codec, payload, recorded_at_ms) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#bumpStream = db
      .prepare(
        'INSERT INTO event_streams (stream, version) VALUES (?, 1) ON CONFLICT(stream) DO UPDATE SET version = version + 1 RETURNING version',
      )
      .pluck();
    this.#readAfter = db.prepare('SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?');
    this.#readAfterInStream = db.prepare('SELECT * FROM events WHERE stream = ? AND seq > ? ORDER BY seq LIMIT ?');
    this.#maxSeq = db.prepare('SELECT coalesce(max(seq), 0) FROM events').pluck();
    this.#count = db.prepare('SELECT count(*) FROM events').pluck();
  }

  /** Appends one event; must run inside the caller's write transaction. */
  append(event: DomainEvent, recordedAtMs: number): StoredEvent {
    let payload = pack(event.data);
    let codec = CODEC_MSGPACK;
    // Like blobs (20 §2.6): a payload larger than the inflation bound is stored as is, so every event
    // a handle writes can be read back by a handle with the same bound.
    if (payload.length >= COMPRESS_THRESHOLD && payload.length <= this.maxInflatedBytes) {
      payload = zlib(payload);
      codec = CODEC_ZLIB_MSGPACK;
    }
    const version = this.#bumpStream.get(event.stream) as number;
    const info = this.#insert.run(event.stream, version, event.type, codec, payload, recordedAtMs);
    return {
      seq: Number(info.lastInsertRowid),
      stream: event.stream,
      version,
      type: event.type,
      data: event.data as JsonValue,
      recordedAtMs,
    };
  }

  /** Decodes a raw row; undecodable payloads raise `CorruptData` (table `events`, key = seq). */
  decode(row: EventRow): StoredEvent {
    let data: JsonValue;
    try {
      let bytes = row.payload;
      if (row.codec === CODEC_ZLIB_MSGPACK) bytes = inflateBounded(bytes, this.maxInflatedBytes);
      else if (row.codec !== CODEC_MSGPACK) throw new Error(`unknown payload codec ${row.codec}`);
      data = unpack(bytes) as JsonValue;
      // Every event payload is a map (`DomainEvent.data`); anything else is damage, not data.
      if (data === null || typeof data !== 'object' || Array.isArray(data) || data instanceof Uint8Array) {
        throw new Error('event payload is not a map');
      }
    } catch (error) {
      const detail =
        error instanceof InflateLimitError ? error.message : `undecodable event payload: ${(error as Error).message}`;
      throw corruptData(this.errorClass, 'events', String(row.seq), detail, error);
    }
    return {
      seq: row.seq,
      stream: row.stream,
      version: row.version,
      type: row.type,
      data,
      recordedAtMs: row.recorded_at_ms,
    };
  }

  /** Raw rows after `afterSeq`, in seq order. */
  rows(afterSeq: number, limit: number, stream?: string): EventRow[] {
    return (
      stream === undefined ? this.#readAfter.all(afterSeq, limit) : this.#readAfterInStream.all(stream, afterSeq, limit)
    ) as EventRow[];
  }

  /** Decoded events after `afterSeq`, in seq order. */
  read(afterSeq: number, limit: number, stream?: string): StoredEvent[] {
    return this.rows(afterSeq, limit, stream).map((row) => this.decode(row));
  }

  /** The highest seq ever assigned (0 when none). */
  maxSeq(): number {
    return this.#maxSeq.get() as number;
  }

  /** Number of event rows currently stored. */
  count(): number {
    return this.#count.get() as number;
  }
}
