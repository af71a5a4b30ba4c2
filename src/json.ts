/**
 * JSON values, canonical JSON and hashing (00-overview §2). Canonical JSON sorts object keys by code
 * point at every level and omits `undefined` members, so equal values always hash equally.
 */
import { createHash } from 'node:crypto';
import { type AreaErrorClass, invalidArgument } from './errors.js';

/** An opaque payload. `Uint8Array` leaves are accepted only by the session database. */
export type JsonValue = null | boolean | number | string | Uint8Array | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** Lowercase hex SHA-256 of bytes or of a UTF-8 string. */
export function sha256Hex(input: Uint8Array | string): string {
  return createHash('sha256').update(input).digest('hex');
}

function compareCodePoints(a: string, b: string): number {
  // Default sort compares UTF-16 code units; canonical JSON orders by code point.
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done === y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0) as number;
    const cy = y.value.codePointAt(0) as number;
    if (cx !== cy) return cx - cy;
  }
}

/** Object keys in canonical (code point) order. */
export function sortedKeys(obj: object): string[] {
  const keys = Object.keys(obj);
  // Fast path: plain ASCII keys sort identically by code unit and code point.
  return keys.every((k) => /^[\x00-\x7f]*$/.test(k)) ? keys.sort() : keys.sort(compareCodePoints);
}

/** Compact canonical JSON text; a `Uint8Array` is written as an array of its byte values. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (value instanceof Uint8Array) return `[${Array.from(value).join(',')}]`;
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  if (typeof value === 'object') {
    const parts: string[] = [];
    for (const key of sortedKeys(value)) {
      const member = (value as Record<string, unknown>)[key];
      if (member === undefined) continue;
      parts.push(`${JSON.stringify(key)}:${canonicalJson(member)}`);
    }
    return `{${parts.join(',')}}`;
  }
  return 'null';
}

/**
 * True when `text` has no lone surrogate (`String.prototype.isWellFormed`, which the ES2023 typings
 * lack). Ill-formed text cannot be stored: UTF-8 (msgpack strings, SQLite text) replaces the lone
 * surrogate, so what comes back, or what a key column matches, would not be what went in.
 */
export function isWellFormedText(text: string): boolean {
  return !/\p{Surrogate}/u.test(text);
}

/** Options of `normalizeJson`. */
export interface NormalizeJsonOptions {
  /** Accept `Uint8Array` leaves (session database only). */
  allowBytes: boolean;
  /** Error class to raise `InvalidArgument` with. */
  errorClass: AreaErrorClass;
}

/**
 * Validates that `value` is a `JsonValue` and returns a normalized copy: `undefined` object members
 * dropped, Node `Buffer`s turned into plain `Uint8Array` views. Rejects functions, symbols, bigints,
 * non-finite numbers, ill-formed strings, class instances and cycles with `InvalidArgument` naming the
 * offending path.
 */
export function normalizeJson(value: unknown, argument: string, options: NormalizeJsonOptions): JsonValue {
  const seen = new Set<object>();
  const expected = 'a JSON value';
  const walk = (v: unknown, path: string): JsonValue => {
    switch (typeof v) {
      case 'string':
        if (!isWellFormedText(v)) throw invalidArgument(options.errorClass, path, expected);
        return v;
      case 'boolean':
        return v;
      case 'number':
        if (!Number.isFinite(v)) throw invalidArgument(options.errorClass, path, expected);
        return v;
      case 'object': {
        if (v === null) return null;
        if (v instanceof Uint8Array) {
          if (!options.allowBytes) throw invalidArgument(options.errorClass, path, expected);
          return Buffer.isBuffer(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : v;
        }
        if (seen.has(v)) throw invalidArgument(options.errorClass, path, expected);
        seen.add(v);
        try {
          if (Array.isArray(v)) return v.map((item, i) => walk(item, `${path}[${i}]`));
          const proto = Object.getPrototypeOf(v);
          if (proto !== Object.prototype && proto !== null) throw invalidArgument(options.errorClass, path, expected);
          const out: JsonObject = {};
          for (const key of Object.keys(v)) {
            const member = (v as Record<string, unknown>)[key];
            if (member === undefined) continue;
            if (!isWellFormedText(key)) throw invalidArgument(options.errorClass, path, expected);
            // A `__proto__` member cannot round-trip through a plain object or msgpackr (which renames
            // it), so it is refused rather than silently lost.
            if (key === '__proto__') throw invalidArgument(options.errorClass, `${path}.__proto__`, expected);
            out[key] = walk(member, `${path}.${key}`);
          }
          return out;
        } finally {
          seen.delete(v);
        }
      }
      default:
        throw invalidArgument(options.errorClass, path, expected);
    }
  };
  return walk(value, argument);
}

/** Deep structural equality of JSON values (byte arrays compared by content). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.from(a).equals(Buffer.from(b));
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
