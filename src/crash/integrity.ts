/**
 * Storage integrity beyond what `verifyProjections` reads: SQLite's own structural check of every
 * page, and every blob's envelope and content hash (blobs are a side table that replay never
 * touches). `lash-store verify` runs it so that a damaged page or a flipped byte in a blob is
 * reported, never passed over.
 */
import Database from 'better-sqlite3';
import { openEnvelope } from '../blobs/envelope.js';
import { DEFAULT_MAX_INFLATED_BLOB_BYTES } from '../codec.js';
import { StoreError } from '../errors.js';

/** The first damage found in a database file. */
export interface StorageDamage {
  /** The table the damage is in, when known. */
  table: string | null;
  /** The row key (a blob ref), when known. */
  key: string | null;
  detail: string;
}

/**
 * Checks `path` read-only: `PRAGMA integrity_check`, then (in databases with a `blobs` table) that
 * every blob decodes and hashes to its ref. Returns the first damage, or null when the file is sound.
 */
export function findStorageDamage(path: string, maxInflatedBytes = DEFAULT_MAX_INFLATED_BLOB_BYTES): StorageDamage | null {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const rows = db.pragma('integrity_check(1)') as Record<string, unknown>[];
    const first = rows[0] ? String(Object.values(rows[0])[0]) : 'ok';
    if (first !== 'ok') {
      const line = first
        .replace(/\*\*\* in database \w+ \*\*\*\s*/g, '')
        .replace(/\s*\n\s*/g, '; ')
        .trim();
      return { table: null, key: null, detail: `SQLite integrity check: ${line}` };
    }
    const hasBlobs = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'blobs'").get() !== undefined;
    if (!hasBlobs) return null;
    for (const row of db.prepare('SELECT hash, content FROM blobs ORDER BY hash').iterate() as IterableIterator<{
      hash: string;
      content: Uint8Array;
    }>) {
      try {
        openEnvelope(StoreError, row.hash, row.content, maxInflatedBytes);
      } catch (error) {
        return { table: 'blobs', key: row.hash, detail: (error as Error).message };
      }
    }
    return null;
  } catch (error) {
    return { table: null, key: null, detail: (error as Error).message };
  } finally {
    db?.close();
  }
}
