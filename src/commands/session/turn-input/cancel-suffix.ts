/**
 * `cancelPendingTurnInputSuffix` (10-session-store §3.2.6): atomically apply `cancelRow` to the
 * anchor and every later input of the session (any state, any ingress), ascending.
 */
import type { CommandTx } from '../../../events/database.js';
import type { PendingTurnInputCancelTarget, PendingTurnInputSuffixCancelOutcome } from '../../../types/session.js';
import type { SessionContext } from '../context.js';
import { CancelBatch, resolveTarget } from './cancel.js';

export function cancelPendingTurnInputSuffixTx(
  ctx: SessionContext,
  tx: CommandTx,
  sessionId: string,
  anchor: PendingTurnInputCancelTarget,
): PendingTurnInputSuffixCancelOutcome {
  const row = resolveTarget(ctx.inputs, sessionId, anchor);
  if (row === null) return { kind: 'anchorNotFound', anchor };
  const batch = new CancelBatch(ctx, sessionId, tx.now);
  const outcomes = ctx.inputs.fromSeq(sessionId, row.input.enqueueSeq).map((r) => batch.cancel(r).outcome);
  batch.commit(tx);
  return { kind: 'outcomes', anchor, outcomes };
}
