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
