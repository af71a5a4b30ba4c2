/**
 * The pipe between a crash-campaign child and its parent: one JSON object per line on file
 * descriptor 3. A child writes `begin` synchronously before it starts an operation and `ack` after
 * the operation resolved, so whatever the parent has read when the child dies is the truth about
 * what was acknowledged; an operation with a `begin` and no `ack` is the in-flight one.
 */
import { writeSync } from 'node:fs';
import { canonicalJson, sha256Hex } from '../json.js';

/** A plain JSON value as it travels over the pipe (byte strings become `{"$bytes": base64}`). */
export type WireJson = null | boolean | number | string | WireJson[] | { [key: string]: WireJson };

/** The file descriptor of the child's report pipe. */
export const REPORT_FD = 3;

/** A child announcing it opened its databases and starts its workload. */
export interface ReadyMessage {
  t: 'ready';
  pid: number;
}

/** Written before an operation starts; `args` is what a retry of the operation needs. */
export interface BeginMessage {
  t: 'begin';
  id: string;
  module: string;
  db: string;
  op: string;
  digest: string;
  args: WireJson;
}

/** Written after the operation resolved; `result` is its summary. */
export interface AckMessage {
  t: 'ack';
  id: string;
  result: WireJson;
}

/** Written after the operation rejected; `expected` says whether the workload allowed that error. */
export interface FailMessage {
  t: 'fail';
  id: string;
  code: string;
  message: string;
  expected: boolean;
}

/** Something a child saw that breaks an invariant (for example a dead holder it could not reclaim). */
export interface ViolationMessage {
  t: 'violation';
  message: string;
}

/** Every message a child sends. */
export type ChildMessage = ReadyMessage | BeginMessage | AckMessage | FailMessage | ViolationMessage;

/** Converts a value to wire JSON: `Uint8Array` → `{$bytes}`, `undefined` members dropped. */
export function toWire(value: unknown): WireJson {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array)
    return { $bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  if (Array.isArray(value)) return value.map(toWire);
  if (typeof value === 'object') {
    const out: { [key: string]: WireJson } = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toWire(v);
    return out;
  }
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  return null;
}

/** The inverse of `toWire`: `{$bytes}` objects become `Uint8Array`s again. */
export function fromWire(value: WireJson): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(fromWire);
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === '$bytes' && typeof value.$bytes === 'string') {
    const buf = Buffer.from(value.$bytes, 'base64');
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = fromWire(v);
  return out;
}

/** A short digest of an operation's arguments (16 hex chars of SHA-256 over canonical JSON). */
export function digestOf(value: unknown): string {
  return sha256Hex(canonicalJson(toWire(value))).slice(0, 16);
}

/** True when two values have the same canonical JSON (byte strings compared by content). */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(toWire(a)) === canonicalJson(toWire(b));
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes one message line synchronously, so it is in the pipe before the next statement runs.
 * A full non-blocking pipe (`EAGAIN`) is retried after a short sleep: the parent is reading.
 */
export function sendMessage(message: ChildMessage, fd: number = REPORT_FD): void {
  const bytes = Buffer.from(`${JSON.stringify(message)}\n`);
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(sleeper, 0, 0, 1);
    }
  }
}

/** Splits a byte stream into parsed message lines; a torn last line (the child died) is ignored. */
export class MessageReader {
  #buffer = '';

  /** Feeds a chunk; returns every complete message it finished. */
  push(chunk: string): ChildMessage[] {
    this.#buffer += chunk;
    const out: ChildMessage[] = [];
    for (;;) {
      const nl = this.#buffer.indexOf('\n');
      if (nl < 0) break;
      const line = this.#buffer.slice(0, nl);
      this.#buffer = this.#buffer.slice(nl + 1);
      if (line.trim() === '') continue;
      out.push(JSON.parse(line) as ChildMessage);
    }
    return out;
  }
}
