/**
 * Content-addressed blob access for one connection. Writes are insert-if-absent, so identical
 * logical content maps to one row and the first writer's envelope wins; they run inside the calling
 * command's transaction, so blobs commit together with the rows that reference them.
 */
import type { Statement } from 'better-sqlite3';
import { packCanonical, unpack } from '../codec.js';
import { type AreaErrorClass, corruptData } from '../errors.js';
import { faultPoint } from '../events/fault.js';
import { type JsonValue, sha256Hex } from '../json.js';
import type { Db } from '../sqlite/open.js';
import type { BlobArtifactDescriptor, BlobProfile, BlobRef } from '../types/session.js';
import { shouldCompress } from './descriptors.js';
import { encodeEnvelope, openEnvelope } from './envelope.js';

/** Result of a blob insert. */
export interface BlobWrite {
  ref: BlobRef;
  /** False when a row with this ref already existed (first writer wins). */
  inserted: boolean;
  byteLength: number;
  compressed: boolean;
  kind: BlobArtifactDescriptor['kind'];
}

/** Blob reads and writes over the `blobs` table. */
export class BlobStore {
  readonly #insert: Statement;
  readonly #get: Statement;
  readonly #has: Statement;

  constructor(
    readonly db: Db,
    readonly errorClass: AreaErrorClass,
    readonly profile: BlobProfile,
    readonly maxInflated: number,
  ) {
    this.#insert = db.prepare('INSERT OR IGNORE INTO blobs (hash, content) VALUES (?, ?)');
    this.#get = db.prepare('SELECT content FROM blobs WHERE hash = ?').pluck();
    this.#has = db.prepare('SELECT 1 FROM blobs WHERE hash = ?').pluck();
  }

  /** Stores `logical` under its SHA-256 with the store's compression profile. */
  put(descriptor: BlobArtifactDescriptor, logical: Uint8Array, profile: BlobProfile = this.profile): BlobWrite {
    const ref = sha256Hex(logical);
    if (this.#has.get(ref) !== undefined) {
      return { ref, inserted: false, byteLength: logical.length, compressed: false, kind: descriptor.kind };
    }
    const compressed = shouldCompress(profile, descriptor, logical.length, this.maxInflated);
    const envelope = encodeEnvelope(descriptor, logical, profile, this.maxInflated);
    faultPoint('insideBlobWrite');
    const inserted = this.#insert.run(ref, envelope).changes > 0;
    return { ref, inserted, byteLength: logical.length, compressed, kind: descriptor.kind };
  }

  /** Encodes `value` as canonical msgpack and stores it. */
  putTyped(descriptor: BlobArtifactDescriptor, value: JsonValue): BlobWrite {
    return this.put(descriptor, packCanonical(value));
  }

  /** The logical bytes of `ref`, or null when no row exists; damage raises `CorruptData`. */
  get(ref: BlobRef): Uint8Array | null {
    const stored = this.#get.get(ref) as Uint8Array | undefined;
    if (stored === undefined) return null;
    return openEnvelope(this.errorClass, ref, stored, this.maxInflated);
  }

  /** The decoded typed value of `ref`, or null when no row exists. */
  getTyped(ref: BlobRef): JsonValue | null {
    const bytes = this.get(ref);
    if (bytes === null) return null;
    try {
      return unpack(bytes) as JsonValue;
    } catch (error) {
      throw corruptData(this.errorClass, 'blobs', ref, `undecodable typed blob: ${(error as Error).message}`, error);
    }
  }

  /** Whether a row exists for `ref`. */
  has(ref: BlobRef): boolean {
    return this.#has.get(ref) !== undefined;
  }
}
