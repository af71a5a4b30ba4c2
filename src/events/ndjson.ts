/**
 * NDJSON form of events, for compaction archives and `lash-store export`. Byte strings, which JSON
 * cannot hold, become `{"$bytes": "<base64>"}`.
 */
import type { JsonValue } from '../json.js';
import type { StoredEvent } from './types.js';

function toPlainJson(value: JsonValue): unknown {
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return value.map(toPlainJson);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toPlainJson(v);
    return out;
  }
  return value;
}

/** One NDJSON line (without the newline) for an event. */
export function eventToNdjson(event: StoredEvent): string {
  return JSON.stringify({
    seq: event.seq,
    stream: event.stream,
    version: event.version,
    type: event.type,
    recordedAtMs: event.recordedAtMs,
    data: toPlainJson(event.data),
  });
}
