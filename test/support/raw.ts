/**
 * The catalogue's "raw connection": a separate better-sqlite3 connection on a store's file, used to
 * inspect or damage rows; blob envelopes are decoded and re-encoded with msgpackr (`useRecords: false`).
 */
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { Packr, Unpackr } from 'msgpackr';

const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

/** A stored blob envelope as msgpackr decodes it. */
export interface RawEnvelope {
  descriptor: { kind: string; hints: string[] };
  compression: string;
  content: Uint8Array;
}

/** Lowercase hex SHA-256. */
export function sha256hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Runs `fn` on a raw connection to `path` and closes it. */
export function withRaw<T>(path: string, fn: (db: Database.Database) => T): T {
  const db = new Database(path);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** The raw `content` bytes of blob `ref`, or undefined. */
export function rawBlob(path: string, ref: string): Buffer | undefined {
  return withRaw(path, (db) => db.prepare('SELECT content FROM blobs WHERE hash = ?').pluck().get(ref) as Buffer | undefined);
}

/** Decodes a raw envelope. */
export function decodeEnvelope(content: Uint8Array): RawEnvelope {
  return unpackr.unpack(content) as RawEnvelope;
}

/** Encodes an envelope the way the store writes it (key order descriptor, compression, content). */
export function encodeEnvelope(envelope: RawEnvelope): Buffer {
  return packr.pack({ descriptor: envelope.descriptor, compression: envelope.compression, content: envelope.content });
}

/** Overwrites the stored content of blob `ref`. */
export function setRawBlob(path: string, ref: string, content: Uint8Array): void {
  withRaw(path, (db) => {
    const changed = db.prepare('UPDATE blobs SET content = ? WHERE hash = ?').run(content, ref).changes;
    if (changed !== 1) throw new Error(`no blob row ${ref}`);
  });
}

/** Deletes blob row `ref`. */
export function deleteRawBlob(path: string, ref: string): void {
  withRaw(path, (db) => {
    const changed = db.prepare('DELETE FROM blobs WHERE hash = ?').run(ref).changes;
    if (changed !== 1) throw new Error(`no blob row ${ref}`);
  });
}

/** Number of rows of `blobs`. */
export function rawBlobCount(path: string): number {
  return withRaw(path, (db) => db.prepare('SELECT count(*) FROM blobs').pluck().get() as number);
}

/** The highest `events.seq` (0 when empty). */
export function rawMaxEventSeq(path: string): number {
  return withRaw(path, (db) => db.prepare('SELECT coalesce(max(seq), 0) FROM events').pluck().get() as number);
}
