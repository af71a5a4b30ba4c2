/**
 * Input validation for commands. Bad input is rejected with `InvalidArgument` naming the exact
 * path (`commit.graph.nodes[2].nodeId`) before anything is read or written, and a normalized copy
 * is returned so stored data never carries `undefined` members or Node `Buffer`s.
 */
import { type AreaErrorClass, invalidArgument } from '../errors.js';
import { isWellFormedText, type JsonValue, normalizeJson } from '../json.js';
import { normalizeCount } from '../numbers.js';
import type { LeaseOwnerIdentity, LeaseOwnerLiveness } from '../types/common.js';

/** Validators bound to an area's error class. */
export class Validator {
  constructor(
    readonly cls: AreaErrorClass,
    readonly allowBytes: boolean,
  ) {}

  fail(path: string, expected: string): never {
    throw invalidArgument(this.cls, path, expected);
  }

  object(value: unknown, path: string): Record<string, unknown> {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
      this.fail(path, 'an object');
    }
    return value as Record<string, unknown>;
  }

  array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) this.fail(path, 'an array');
    return value;
  }

  /** An optional list: absent or null reads as empty. */
  list(value: unknown, path: string): unknown[] {
    return value === undefined || value === null ? [] : this.array(value, path);
  }

  string(value: unknown, path: string): string {
    if (typeof value !== 'string') this.fail(path, 'a string');
    if (!isWellFormedText(value)) this.fail(path, 'a well-formed Unicode string');
    return value;
  }

  nullableString(value: unknown, path: string): string | null {
    return value === undefined || value === null ? null : this.string(value, path);
  }

  /** A count or limit under the package number rule. */
  count(value: unknown, path: string): number {
    return normalizeCount(this.cls, value, path);
  }

  nullableCount(value: unknown, path: string): number | null {
    return value === undefined || value === null ? null : this.count(value, path);
  }

  /** A signed safe integer (token counters, revisions carried verbatim). */
  integer(value: unknown, path: string): number {
    if (typeof value !== 'number' || Number.isNaN(value)) this.fail(path, 'a number');
    if (!Number.isSafeInteger(value)) this.fail(path, 'a safe integer');
    return value;
  }

  nullableInteger(value: unknown, path: string): number | null {
    return value === undefined || value === null ? null : this.integer(value, path);
  }

  oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
    if (typeof value !== 'string' || !allowed.includes(value as T)) {
      this.fail(path, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
    }
    return value as T;
  }

  json(value: unknown, path: string): JsonValue {
    return normalizeJson(value, path, { allowBytes: this.allowBytes, errorClass: this.cls });
  }

  nullableJson(value: unknown, path: string): JsonValue | null {
    return value === undefined ? null : this.json(value, path);
  }

  bytes(value: unknown, path: string): Uint8Array {
    if (!(value instanceof Uint8Array)) this.fail(path, 'a Uint8Array');
    return Buffer.isBuffer(value) ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : value;
  }

  nullableBytes(value: unknown, path: string): Uint8Array | null {
    return value === undefined || value === null ? null : this.bytes(value, path);
  }

  /** A JSON object whose members are otherwise opaque. */
  jsonObject(value: unknown, path: string): { [key: string]: JsonValue } {
    this.object(value, path);
    return this.json(value, path) as { [key: string]: JsonValue };
  }

  liveness(value: unknown, path: string): LeaseOwnerLiveness {
    const v = this.object(value, path);
    const kind = this.oneOf(v.kind, `${path}.kind`, ['opaque', 'localProcess'] as const);
    if (kind === 'opaque') return { kind };
    return {
      kind,
      hostId: this.string(v.hostId, `${path}.hostId`),
      bootId: this.string(v.bootId, `${path}.bootId`),
      pid: this.integer(v.pid, `${path}.pid`),
      processStart: this.string(v.processStart, `${path}.processStart`),
    };
  }

  owner(value: unknown, path: string): LeaseOwnerIdentity {
    const v = this.object(value, path);
    return {
      ownerId: this.string(v.ownerId, `${path}.ownerId`),
      incarnationId: this.string(v.incarnationId, `${path}.incarnationId`),
      liveness: this.liveness(v.liveness, `${path}.liveness`),
    };
  }
}
