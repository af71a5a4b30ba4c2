/** Validation of the queued-work claim arguments (`InvalidArgument` with the exact path). */
import type { QueuedWorkClaimBoundary } from '../../../types/session.js';
import { v } from '../inputs.js';
import type { QueuedWorkClaimRef } from './abandon.js';

export function boundaryInput(value: unknown, path: string): QueuedWorkClaimBoundary {
  return v.oneOf(value, path, ['activeTurnCheckpoint', 'idle'] as const);
}

/** The parts of a `QueuedWorkClaim` that an abandon uses. */
export function queuedWorkClaimInput(value: unknown, path: string): QueuedWorkClaimRef {
  const o = v.object(value, path);
  return {
    sessionId: v.string(o.sessionId, `${path}.sessionId`),
    claimId: v.string(o.claimId, `${path}.claimId`),
    leaseToken: v.string(o.leaseToken, `${path}.leaseToken`),
  };
}

export function batchIdsInput(value: unknown, path: string): string[] {
  return v.array(value, path).map((id, i) => v.string(id, `${path}[${i}]`));
}
