/**
 * `listPendingTurnInputs` (10-session-store §3.2.2): `pendingActive` / `deferredNextTurn` inputs
 * without a live claim (R5), by enqueue sequence. `accepted` and terminal rows are never listed.
 */
import type { PendingTurnInput } from '../../../types/session.js';
import type { SessionContext } from '../context.js';
import { liveGeneration } from '../fence.js';

/** Runs inside the caller's read transaction. */
export function listPendingTurnInputs(ctx: SessionContext, sessionId: string, now: number): PendingTurnInput[] {
  return ctx.inputs.listWithoutLiveClaim(sessionId, liveGeneration(ctx, sessionId, now));
}
