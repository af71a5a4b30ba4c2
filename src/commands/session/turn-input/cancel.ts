/**
 * `cancelPendingTurnInputs` / `cancelPendingTurnInput` (10-session-store §3.2.4–§3.2.5): one
 * transaction; targets resolve by input id or source key within the session, in order, and later
 * targets see earlier cancels (a repeated target reports `alreadyCancelled`). One
 * `TurnInputsCancelled` event lists the rows actually cancelled; none when nothing was.
 */
import type { CommandTx } from '../../../events/database.js';
import {
  type StoredTurnInput,
  TURN_INPUTS_CANCELLED,
  type TurnInputReads,
  type TurnInputsCancelledData,
} from '../../../projections/session/turn-input.js';
import type { PendingTurnInputCancelResult, PendingTurnInputCancelTarget } from '../../../types/session.js';
import type { SessionContext } from '../context.js';
import { liveGeneration } from '../fence.js';
import { type CancelDecision, cancelRow } from './cancel-row.js';

/** The row a target names in `sessionId`, or null. */
export function resolveTarget(
  inputs: TurnInputReads,
  sessionId: string,
  target: PendingTurnInputCancelTarget,
): StoredTurnInput | null {
  return target.kind === 'inputId' ? inputs.byId(sessionId, target.value) : inputs.bySourceKey(sessionId, target.value);
}

/** Cancels within one command: remembers rows it cancelled and emits one event at the end. */
export class CancelBatch {
  readonly #updated = new Map<string, StoredTurnInput>();
  readonly #cancelled: string[] = [];
  readonly #liveGeneration: number | null;

  constructor(
    ctx: SessionContext,
    readonly sessionId: string,
    now: number,
  ) {
    this.#liveGeneration = liveGeneration(ctx, sessionId, now);
  }

  /** `cancelRow` on the row as this command left it. */
  cancel(row: StoredTurnInput): CancelDecision {
    const current = this.#updated.get(row.input.inputId) ?? row;
    const decision = cancelRow(current, this.#liveGeneration);
    if (decision.after) {
      this.#updated.set(row.input.inputId, decision.after);
      this.#cancelled.push(row.input.inputId);
    }
    return decision;
  }

  /** Appends `TurnInputsCancelled` for the rows cancelled, if any. */
  commit(tx: CommandTx): void {
    if (this.#cancelled.length === 0) return;
    const data: TurnInputsCancelledData = { sessionId: this.sessionId, inputIds: this.#cancelled };
    tx.emit({ stream: `input:${this.sessionId}`, type: TURN_INPUTS_CANCELLED, data });
  }
}

export function cancelPendingTurnInputsTx(
  ctx: SessionContext,
  tx: CommandTx,
  sessionId: string,
  targets: readonly PendingTurnInputCancelTarget[],
): PendingTurnInputCancelResult[] {
  const batch = new CancelBatch(ctx, sessionId, tx.now);
  const results = targets.map((target): PendingTurnInputCancelResult => {
    const row = resolveTarget(ctx.inputs, sessionId, target);
    return { target, outcome: row === null ? { kind: 'notFound' } : batch.cancel(row).outcome };
  });
  batch.commit(tx);
  return results;
}
