/** Shapes shared by every area (00-overview §2). */

/** How a claimant can prove a lease holder dead: opaque holders can only expire. */
export type LeaseOwnerLiveness =
  | { kind: 'opaque' }
  | { kind: 'localProcess'; hostId: string; bootId: string; pid: number; processStart: string };

/** Who holds a lease; "same incarnation" = equal `ownerId` and `incarnationId`. */
export interface LeaseOwnerIdentity {
  ownerId: string;
  incarnationId: string;
  liveness: LeaseOwnerLiveness;
}

/** Answers whether a local process still runs: true alive, false not running, null unknown. */
export interface LivenessProbe {
  isAlive(pid: number, processStart: string): boolean | null;
}

/** A session (and optional agent frame) a process handle is visible to. */
export interface SessionScope {
  sessionId: string;
  agentFrameId: string | null;
}

/** `'durable'` for file handles, `'inline'` for memory handles whose data ends with the handle. */
export type DurabilityTier = 'inline' | 'durable';
