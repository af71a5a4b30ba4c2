/**
 * Binary codec shared by event payloads, projection rows and blobs: msgpackr with plain maps
 * (`useRecords: false`, so bytes never depend on a record-structure cache), fflate zlib for large
 * values, and a bounded streaming inflater so a damaged or hostile value cannot exhaust memory.
 */
import { Unzlib, zlibSync } from 'fflate';
import { C1, Packr, Unpackr } from 'msgpackr';
import type { JsonValue } from './json.js';
import { sortedKeys } from './json.js';

const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

/** The default bound on inflated sizes: 256 MiB. */
export const DEFAULT_MAX_INFLATED_BLOB_BYTES = 268_435_456;

/** Encodes a value as msgpack (object keys in insertion order). */
export function pack(value: unknown): Uint8Array {
  return packr.pack(value);
}

/**
 * Decodes msgpack; byte strings come back as plain `Uint8Array`s. Throws on malformed input,
 * including the never-used byte 0xC1, for which msgpackr returns a marker object instead of failing.
 */
export function unpack(bytes: Uint8Array): unknown {
  const value = unpackr.unpack(bytes);
  // The walk below only matters when the input holds a `bin` (0xc4–0xc6) or the invalid 0xc1 byte;
  // most payloads hold neither, and a native scan is far cheaper than walking every member.
  return mayHoldBinOrInvalid(bytes) ? toPlainBytes(value) : value;
}

function mayHoldBinOrInvalid(bytes: Uint8Array): boolean {
  const view = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.includes(0xc4) || view.includes(0xc5) || view.includes(0xc6) || view.includes(0xc1);
}

/** Replaces Node `Buffer`s (what msgpackr yields for `bin`) with plain `Uint8Array` views, in place. */
function toPlainBytes(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value === C1) throw new Error('invalid MessagePack byte 0xC1');
  if (value instanceof Uint8Array) {
    return Buffer.isBuffer(value) ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : value;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = toPlainBytes(value[i]);
    return value;
  }
  const obj = value as Record<string, unknown>;
  for (const key in obj) obj[key] = toPlainBytes(obj[key]);
  return obj;
}

/** Copies a value with object keys sorted by code point and `undefined` members omitted. */
export function canonicalize(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(canonicalize);
  const out: Record<string, unknown> = {};
  for (const key of sortedKeys(value)) {
    const member = (value as Record<string, unknown>)[key];
    if (member !== undefined) out[key] = canonicalize(member);
  }
  return out;
}

/** Canonical msgpack: equal values always give equal bytes (typed blobs, §2.4 of the blob spec). */
export function packCanonical(value: JsonValue): Uint8Array {
  return packr.pack(canonicalize(value));
}

/** zlib (RFC 1950) compression at fflate's default level. */
export function zlib(bytes: Uint8Array): Uint8Array {
  return zlibSync(bytes, { level: 6 });
}

/** Thrown by `inflateBounded` when the output would exceed the limit. */
export class InflateLimitError extends Error {
  constructor(readonly limit: number) {
    super(`inflated size exceeds maxInflatedBlobBytes (${limit})`);
  }
}

const INFLATE_SLICE = 16 * 1024;

/**
 * Streaming zlib inflate, fed 16 KiB at a time, that stops as soon as the output passes `limit`.
 * Throws `InflateLimitError` past the limit and `Error` for a bad header, bad stream or truncation.
 */
export function inflateBounded(compressed: Uint8Array, limit: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let ended = false;
  const inflater = new Unzlib((chunk, final) => {
    total += chunk.length;
    if (total > limit) throw new InflateLimitError(limit);
    chunks.push(chunk);
    if (final) ended = true;
  });
  if (compressed.length === 0) throw new Error('empty zlib stream');
  for (let offset = 0; offset < compressed.length; offset += INFLATE_SLICE) {
    const end = Math.min(compressed.length, offset + INFLATE_SLICE);
    inflater.push(compressed.subarray(offset, end), end === compressed.length);
  }
  if (!ended) throw new Error('truncated zlib stream');
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
