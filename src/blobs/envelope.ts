/**
 * The stored blob envelope (20-blobs-attachments-lifecycle §2.3, §2.8): a msgpack map
 * `{descriptor, compression, content}`. Reads decode, inflate with a bound, and verify that the
 * SHA-256 of the logical bytes equals the ref — fflate skips the Adler-32 check, so the hash check is
 * what catches damaged content.
 */
import { InflateLimitError, inflateBounded, pack, unpack, zlib } from '../codec.js';
import { type AreaErrorClass, corruptData } from '../errors.js';
import { sha256Hex } from '../json.js';
import type { BlobArtifactDescriptor, BlobProfile, StoredBlobEnvelope } from '../types/session.js';
import { ARTIFACT_KINDS, STORAGE_HINTS, shouldCompress } from './descriptors.js';

/** Builds the stored envelope bytes for `logical` under the store's profile. */
export function encodeEnvelope(
  descriptor: BlobArtifactDescriptor,
  logical: Uint8Array,
  profile: BlobProfile,
  maxInflated: number,
): Uint8Array {
  const compress = shouldCompress(profile, descriptor, logical.length, maxInflated);
  return pack({
    descriptor: { kind: descriptor.kind, hints: [...descriptor.hints] },
    compression: compress ? 'zlib' : 'none',
    content: compress ? zlib(logical) : logical,
  });
}

/** Decodes an envelope; throws a plain `Error` describing what is wrong. */
export function decodeEnvelope(stored: Uint8Array): StoredBlobEnvelope {
  const value = unpack(stored) as Record<string, unknown> | null;
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
    throw new Error('envelope is not a map');
  }
  const descriptor = value.descriptor as Record<string, unknown> | null;
  if (descriptor === null || typeof descriptor !== 'object' || !ARTIFACT_KINDS.has(descriptor.kind as never)) {
    throw new Error('envelope descriptor kind is unknown');
  }
  const hints = descriptor.hints === undefined ? [] : descriptor.hints;
  if (!Array.isArray(hints) || !hints.every((h) => STORAGE_HINTS.has(h))) {
    throw new Error('envelope descriptor hints are invalid');
  }
  if (value.compression !== 'none' && value.compression !== 'zlib') throw new Error('envelope compression is unknown');
  if (!(value.content instanceof Uint8Array)) throw new Error('envelope content is not a byte string');
  return {
    descriptor: { kind: descriptor.kind as BlobArtifactDescriptor['kind'], hints },
    compression: value.compression,
    content: value.content,
  };
}

/** Decodes, inflates (bounded) and hash-checks a stored envelope; damage raises `CorruptData`. */
export function openEnvelope(cls: AreaErrorClass, ref: string, stored: Uint8Array, maxInflated: number): Uint8Array {
  let envelope: StoredBlobEnvelope;
  try {
    envelope = decodeEnvelope(stored);
  } catch (error) {
    throw corruptData(cls, 'blobs', ref, `undecodable blob envelope: ${(error as Error).message}`, error);
  }
  let logical = envelope.content;
  if (envelope.compression === 'zlib') {
    try {
      logical = inflateBounded(envelope.content, maxInflated);
    } catch (error) {
      const detail = error instanceof InflateLimitError ? error.message : `failed to inflate blob: ${(error as Error).message}`;
      throw corruptData(cls, 'blobs', ref, detail, error);
    }
  }
  if (sha256Hex(logical) !== ref) throw corruptData(cls, 'blobs', ref, 'content hash mismatch');
  return logical;
}
