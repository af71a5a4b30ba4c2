/** Names and shapes shared by the session workload's child and parent sides. */
import { join } from 'node:path';

/** The module name in reports and messages. */
export const SESSION_MODULE = 'session';

/** The sessions a campaign works on, one database each. */
export const CRASH_SESSIONS = ['alpha', 'beta', 'gamma'] as const;

/** TTL of every lease the workload takes: long, so only dead-holder reclaim can free a killed holder's lease. */
export const CRASH_LEASE_TTL_MS = 120_000;

/** The session database of `sessionId` under the campaign folder. */
export function sessionDbPath(dir: string, sessionId: string): string {
  return join(dir, 'sessions', `${sessionId}.db`);
}

/** The flat, content-addressed attachment store every session of the campaign shares. */
export function attachmentRoot(dir: string): string {
  return join(dir, 'attachments');
}

/** The folder holding every session database: the attachment root set sweeps it (`SqliteSessionStoreFactory`). */
export function sessionsDir(dir: string): string {
  return join(dir, 'sessions');
}

/** Active turns that pending turn input is addressed to (and that claims and interrupts name). */
export const CRASH_ACTIVE_TURNS = ['turn-a', 'turn-b'] as const;

/**
 * Grace period of the workload's attachment reclamation: ownerless intents older than this (and
 * turn-owned ones whose turn was overtaken) are forgotten and their bytes deleted. Longer than a
 * child normally takes from a put to the commit that adopts it; when it is not, the adoption finds
 * no row and the verifier accepts that only because the log shows the reconciliation before it.
 */
export const CRASH_ATTACHMENT_GRACE_MS = 5_000;

/** The folder the compactions of `sessionId` write their archives to. */
export function sessionArchiveDir(dir: string, sessionId: string): string {
  return join(dir, 'archives', `session-${sessionId}`);
}

/** The operation id a commit carries in `agentFrames[0].op`, linking its events to its report. */
export function commitOpOf(agentFrames: unknown): string | null {
  if (!Array.isArray(agentFrames)) return null;
  const first = agentFrames[0] as { op?: unknown } | undefined;
  return typeof first?.op === 'string' ? first.op : null;
}
