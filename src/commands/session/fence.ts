/**
 * Fence validation for claims (10-session-store R3): the fence must name the session's live lease —
 * same session, same incarnation, token and fencing token, `expiresAtMs > now` — read in the same
 * transaction that then mutates rows, so a takeover can never split validation from the write.
 */
import { StoreError } from '../../errors.js';
import { fenceMatches, isLive } from '../../leases/session-lease.js';
import type { SessionExecutionLeaseFence } from '../../types/session.js';
import type { SessionContext } from './context.js';

/** `SessionExecutionLeaseExpired{sessionId}`. */
export function leaseExpiredError(sessionId: string): StoreError {
  return new StoreError(
    'SessionExecutionLeaseExpired',
    `session execution lease for session \`${sessionId}\` is missing or expired`,
    { sessionId },
  );
}

/** R3; returns the generation `g = fence.fencingToken` or throws `SessionExecutionLeaseExpired`. */
export function validateFence(ctx: SessionContext, sessionId: string, fence: SessionExecutionLeaseFence, now: number): number {
  if (!fenceMatches(ctx.reads.lease(sessionId), fence, sessionId, now)) throw leaseExpiredError(sessionId);
  return fence.fencingToken;
}

/**
 * The generation whose claims are live for lease-less paths (R5): the fencing token of the session's
 * live lease row, or null when no lease is live (then no claim of the session is live).
 */
export function liveGeneration(ctx: SessionContext, sessionId: string, now: number): number | null {
  const row = ctx.reads.lease(sessionId);
  return isLive(row, now) ? row.fencingToken : null;
}
