/**
 * Proof that a lease holder is dead (10-session-store §4.2). Only a local process on the same host
 * and boot as the claimant can be proven dead, by its pid no longer running with the recorded start
 * time; anything else (opaque holders, other hosts, unreadable /proc) falls back to TTL expiry.
 */
import { readFileSync } from 'node:fs';
import type { LeaseOwnerIdentity, LeaseOwnerLiveness, LivenessProbe } from '../types/common.js';

/** The process start time (`/proc/{pid}/stat` field 22), or null when unreadable or unparsable. */
export function readProcessStart(pid: number): string | null | 'missing' {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : null;
  }
  const close = text.lastIndexOf(') ');
  if (close < 0) return null;
  const fields = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  // After "comm) " the fields start at field 3 (state); starttime is field 22 → index 19.
  const start = fields[19];
  return start !== undefined && /^\d+$/.test(start) ? start : null;
}

/** The `/proc`-based probe: a missing pid is dead, a different start time is a reused pid. */
export const defaultLivenessProbe: LivenessProbe = {
  isAlive(pid: number, processStart: string): boolean | null {
    if (!Number.isInteger(pid) || pid <= 0) return null;
    const start = readProcessStart(pid);
    if (start === 'missing') return false;
    if (start === null) return null;
    return start === processStart;
  },
};

/** True only when `holder` is provably dead from `claimant`'s point of view. */
export function isDefinitelyDeadForClaimant(
  holder: LeaseOwnerLiveness,
  claimant: LeaseOwnerLiveness,
  probe: LivenessProbe = defaultLivenessProbe,
): boolean {
  if (holder.kind !== 'localProcess' || claimant.kind !== 'localProcess') return false;
  if (holder.hostId !== claimant.hostId || holder.bootId !== claimant.bootId) return false;
  return probe.isAlive(holder.pid, holder.processStart) === false;
}

/** This process as a lease owner, with local-process liveness when /proc can be read. */
export function localProcessIdentity(ownerId: string, incarnationId: string, hostId: string): LeaseOwnerIdentity {
  try {
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const start = readProcessStart(process.pid);
    if (!bootId || start === null || start === 'missing') throw new Error('unreadable');
    return {
      ownerId,
      incarnationId,
      liveness: { kind: 'localProcess', hostId, bootId, pid: process.pid, processStart: start },
    };
  } catch {
    return { ownerId, incarnationId, liveness: { kind: 'opaque' } };
  }
}
