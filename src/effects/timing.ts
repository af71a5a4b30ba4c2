/**
 * Waiting through the injected clock (40-effects-triggers §2.1): every sleep, poll and due time goes
 * through `clock.sleep`, long waits are cut into timer-sized slices, and "no bound" never arrives.
 */
import { type Clock, sleepOn } from '../clock.js';

/** The longest single timer Node accepts. */
const MAX_TIMER_MS = 2_147_483_647;

/** Resolves when `signal` aborts (never otherwise); rejects with its reason. */
export function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/**
 * Sleeps `ms` on `clock`; rejects with the abort reason when `signal` aborts. `ms <= 0` resolves
 * at once (after checking the signal); `ms >= Number.MAX_SAFE_INTEGER` waits only for the abort.
 */
export async function sleepFor(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw signal.reason;
  if (ms >= Number.MAX_SAFE_INTEGER) return untilAborted(signal);
  let left = Math.max(0, ms);
  if (left === 0) return;
  while (left > 0) {
    const slice = Math.min(left, MAX_TIMER_MS);
    await sleepOn(clock, slice, signal);
    left -= slice;
  }
}

/**
 * Sleeps until the epoch time `dueAtMs` on `clock`, re-checking the clock after each sleep so a
 * timer that fires a little early never returns before the due time. A clock that did not move
 * during a sleep (a manual test clock) ends the wait after one full sleep.
 */
export async function sleepUntil(clock: Clock, dueAtMs: number, signal: AbortSignal): Promise<void> {
  if (dueAtMs >= Number.MAX_SAFE_INTEGER) return untilAborted(signal);
  for (;;) {
    const before = clock.timestampMs();
    if (before >= dueAtMs) return;
    await sleepFor(clock, Math.max(1, dueAtMs - before), signal);
    if (clock.timestampMs() === before) return;
  }
}
