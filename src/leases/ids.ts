/** Deterministic id derivations (10-session-store §3.3.2, Appendix D). */
import { sha256Hex } from '../json.js';

function optional(value: string | null): string {
  return value === null ? 'None' : `Some(${JSON.stringify(value)})`;
}

/** `qwb:` + SHA-256 of `"{sessionId}:{sourceKey}:{now}"` (+ `":{nonce}"`); deterministic in its inputs. */
export function deriveBatchId(sessionId: string, sourceKey: string | null, nowEpochMs: number, nonce: number | null): string {
  const seed = `${sessionId}:${optional(sourceKey)}:${nowEpochMs}${nonce === null ? '' : `:${nonce}`}`;
  return `qwb:${sha256Hex(seed)}`;
}

/** `ti:` + SHA-256 of the same seed shape, for generated turn-input ids. */
export function deriveInputId(sessionId: string, sourceKey: string | null, nowEpochMs: number, nonce: number | null): string {
  const seed = `${sessionId}:${optional(sourceKey)}:${nowEpochMs}${nonce === null ? '' : `:${nonce}`}`;
  return `ti:${sha256Hex(seed)}`;
}
