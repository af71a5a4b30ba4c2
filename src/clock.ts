/**
 * Time. Every lease and expiry decision reads the injected clock, so tests are deterministic with
 * `ManualClock`; nothing else in the library reads the wall clock.
 */
import { performance } from 'node:perf_hooks';

/** The injectable clock of every store. */
export interface Clock {
  /** Epoch milliseconds. */
  timestampMs(): number;
  /** Monotonic milliseconds for measuring waits; default `performance.now()`. */
  monotonicMs?(): number;
  /** Sleeps `ms`; rejects when `signal` aborts; default a timer. */
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The default clock: wall time, `performance.now()` and real timers. */
export const systemClock: Clock = {
  timestampMs: () => Date.now(),
  monotonicMs: () => performance.now(),
  sleep: defaultSleep,
};

/** A timer that resolves after `ms` or rejects with the abort reason. */
export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** `clock.monotonicMs()` or its default. */
export function monotonicNow(clock: Clock): number {
  return clock.monotonicMs ? clock.monotonicMs() : performance.now();
}

/** `clock.sleep()` or its default. */
export function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return clock.sleep ? clock.sleep(ms, signal) : defaultSleep(ms, signal);
}

/** A clock that only moves when told to; for deterministic tests. */
export class ManualClock implements Clock {
  #now: number;
  constructor(startMs: number) {
    this.#now = startMs;
  }
  timestampMs(): number {
    return this.#now;
  }
  /** Moves the clock forward by `ms`. */
  advance(ms: number): void {
    this.#now += ms;
  }
  /** Sets the clock to `ms`. */
  set(ms: number): void {
    this.#now = ms;
  }
}
