/**
 * `enqueuePendingTurnInput` (10-session-store §3.2.1). A repeated source key returns the stored row
 * as it is now (even a cancelled or completed tombstone) when the submitted content matches, and is
 * a `PendingTurnInputSourceKeyConflict` when it does not; otherwise one `TurnInputEnqueued` event
 * carries the whole new row (id, enqueue sequence, state, `now`).
 */
import { backendError, StoreError } from '../../../errors.js';
import type { CommandTx } from '../../../events/database.js';
import { jsonEqual } from '../../../json.js';
import { deriveInputId } from '../../../leases/ids.js';
import { TURN_INPUT_ENQUEUED, type TurnInputEnqueuedData, type TurnInputReads } from '../../../projections/session/turn-input.js';
import type { PendingTurnInput, PendingTurnInputDraft, TurnInput, TurnInputIngress } from '../../../types/session.js';

/** A copy with every `null`-valued object member removed, at any depth (absent ≡ null). */
export function dropNullMembers(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(dropNullMembers);
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    if (member === null || member === undefined) continue;
    out[key] = dropNullMembers(member);
  }
  return out;
}

function sameIngress(a: TurnInputIngress, b: TurnInputIngress): boolean {
  if (a.kind === 'nextTurn' || b.kind === 'nextTurn') return a.kind === b.kind;
  return a.turnId === b.turnId && a.minBoundary === b.minBoundary;
}

/**
 * Whether a replayed draft submits the same content as the stored row: equal ingress (the row's
 * current one, which interrupt deferral may have rewritten) and structurally equal input once
 * `null` members are dropped. Object key order never matters; bytes compare by content.
 */
export function sameSubmission(stored: PendingTurnInput, ingress: TurnInputIngress, input: TurnInput): boolean {
  return sameIngress(stored.ingress, ingress) && jsonEqual(dropNullMembers(stored.input), dropNullMembers(input));
}

/** Enqueues one validated draft inside the caller's transaction. */
export function enqueuePendingTurnInputTx(
  inputs: TurnInputReads,
  tx: CommandTx,
  draft: PendingTurnInputDraft,
  nonce: number,
): PendingTurnInput {
  const { sessionId, sourceKey } = draft;
  if (sourceKey !== null) {
    const existing = inputs.bySourceKey(sessionId, sourceKey);
    if (existing) {
      if (sameSubmission(existing.input, draft.ingress, draft.input)) return existing.input;
      throw new StoreError(
        'PendingTurnInputSourceKeyConflict',
        `pending turn input source_key \`${sourceKey}\` for session \`${sessionId}\` is already bound to input \`${existing.input.inputId}\` with different submitted content`,
        { sessionId, sourceKey, existingInputId: existing.input.inputId },
      );
    }
  }
  const inputId = draft.inputId ?? deriveInputId(sessionId, sourceKey, tx.now, nonce);
  if (inputs.exists(inputId)) throw backendError(StoreError, `pending turn input '${inputId}' already exists`);
  const row: PendingTurnInput = {
    inputId,
    sessionId,
    enqueueSeq: inputs.nextEnqueueSeq(),
    sourceKey,
    ingress: draft.ingress,
    state: draft.ingress.kind === 'activeTurn' ? 'pendingActive' : 'deferredNextTurn',
    enqueuedAtMs: tx.now,
    input: draft.input,
  };
  const data: TurnInputEnqueuedData = { input: row };
  tx.emit({ stream: `input:${sessionId}`, type: TURN_INPUT_ENQUEUED, data });
  return row;
}
