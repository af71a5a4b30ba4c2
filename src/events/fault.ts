/**
 * Named crash points in the write path. A crash campaign arms one by setting `LASH_FAULT_POINT`
 * (optionally `LASH_FAULT_AFTER=n` to pass it n times first) in a child process; reaching it then
 * SIGKILLs the process on the spot. Disarmed, a point costs one string comparison.
 */

/** Every fault point, in write-path order. */
export const FAULT_POINTS = [
  'beforeAppend',
  'afterAppendBeforeProjection',
  'afterProjectionBeforeCommit',
  'afterCommitBeforePublish',
  'insideBlobWrite',
  'compactBeforeArchiveFsync',
  'compactAfterArchiveFsync',
] as const;

/** A fault point name. */
export type FaultPoint = (typeof FAULT_POINTS)[number];

const armed: string | undefined = process.env.LASH_FAULT_POINT || undefined;
let remaining = Number(process.env.LASH_FAULT_AFTER ?? 0) || 0;

/** SIGKILLs the process if `point` is the armed fault point (after `LASH_FAULT_AFTER` passes). */
export function faultPoint(point: FaultPoint): void {
  if (armed !== point) return;
  if (remaining > 0) {
    remaining--;
    return;
  }
  process.kill(process.pid, 'SIGKILL');
}
