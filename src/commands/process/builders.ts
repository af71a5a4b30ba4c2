/** Exported builders of append requests and change-feed cursors (30-process-registry §2.3, §2.4). */
import { ProcessRegistryError } from '../../errors.js';
import { canonicalJson, type JsonValue, sha256Hex } from '../../json.js';
import { normalizeCount } from '../../numbers.js';
import type { ProcessChangeCursor as Cursor, ProcessEventAppendRequest as Request } from '../../types/process.js';
import { v } from './inputs.js';

/** A frozen cursor value. */
export function cursorAt(storeSequence: number): Cursor {
  return Object.freeze({ storeSequence });
}

/** Builders of append requests. */
export const ProcessEventAppendRequest = {
  /** A keyed `process.cancel_requested` request: the same reason replays, another reason appends anew. */
  cancelRequested(processId: string, reason?: string | null): Request {
    const id = v.string(processId, 'processId');
    const payload: { [key: string]: JsonValue } = { reason: v.nullableString(reason, 'reason') };
    const hash = sha256Hex(canonicalJson(['process.cancel_requested', payload]));
    return {
      eventType: 'process.cancel_requested',
      payload,
      replay: { key: `process:${id}:cancel_requested:${hash}` },
      wakeTargetScope: null,
    };
  },
};

/** An append request (the type of the `ProcessEventAppendRequest` builders). */
export type ProcessEventAppendRequest = Request;

/** Change feed cursors; opaque, meaningful only for the issuing database. */
export const ProcessChangeCursor = {
  /** The start of the feed (storeSequence 0). */
  initial(): Cursor {
    return cursorAt(0);
  },
  /** Resumes right after the change at `n` (e.g. a record's `changeSeq`). */
  fromStoreSequence(n: number): Cursor {
    return cursorAt(normalizeCount(ProcessRegistryError, n, 'n'));
  },
};

/** A change feed cursor (the type of the `ProcessChangeCursor` helpers). */
export type ProcessChangeCursor = Cursor;
