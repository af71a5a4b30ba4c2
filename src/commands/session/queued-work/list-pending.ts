/**
 * `listPendingQueuedWork` (10-session-store §3.3.10): batches without a live claim (R5), including
 * ones not yet available. Liveness comes from the lease row, so a released, expired or taken-over
 * generation's claims are listed at once, before anyone re-claims them.
 */
import type { QueuedWorkBatch } from '../../../types/session.js';
import type { SessionContext } from '../context.js';
import { liveGeneration } from '../fence.js';

/** Runs inside the caller's read transaction. */
export function listPendingQueuedWork(ctx: SessionContext, sessionId: string, now: number): QueuedWorkBatch[] {
  return ctx.queue.listWithoutLiveClaim(sessionId, liveGeneration(ctx, sessionId, now));
}
