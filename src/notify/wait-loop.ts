/**
 * The wait loop shared by `awaitTerminal`, `awaitEvent`, `watchProcess` and `changes$`
 * (30-process-registry §3.12): attach to in-process notifications first, record `PRAGMA
 * data_version`, evaluate; then wait for a notification or the backoff timer (25 ms doubling to a
 * 1 s cap, reset on any seen change). A commit by another connection changes `data_version`, so a
 * lost notification or another OS process's commit only delays a wait, never hangs it.
 *
 * An in-process notification re-reads at once, inside the publishing call (which runs right after
 * COMMIT), instead of waking the loop for a later microtask: a watcher in the same process sees a
 * commit before the committing call returns, so its latency does not depend on how busy the event
 * loop is (docs/decisions.md, "In-process notifications are evaluated synchronously").
 */

/** Backoff floor, in ms. */
export const AWAIT_BACKOFF_FLOOR_MS = 25;
/** Backoff cap, in ms. */
export const AWAIT_BACKOFF_CAP_MS = 1000;

/** How a wait loop ended (errors reject the promise instead). */
export type WaitEnd = { kind: 'done' } | { kind: 'closed' } | { kind: 'aborted'; reason: unknown };

/** What a wait loop needs. */
export interface WaitLoopOptions {
  /** Attaches `wake` to the relevant in-process notifications; returns the detach function. */
  attach(wake: () => void): () => void;
  /** Attaches a close listener (called synchronously on close); returns the detach function. */
  onClose(listener: () => void): () => void;
  /** `PRAGMA data_version` of the handle's connection. */
  dataVersion(): number;
  /** Reads the registry; true when the wait is satisfied. May throw (the loop rejects). */
  evaluate(): boolean;
  /** A cancellable sleep (`clock.sleep` or a real timer). */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** Ends the loop with `aborted` (the caller's signal, or an unsubscribe). */
  signal?: AbortSignal;
}

/** What ended a parked wait: a notification that did (`done`) or did not satisfy it, or its error. */
type Wake = 'wake' | 'done' | { error: unknown };

const macrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs the loop until `evaluate()` is satisfied, the handle closes or `signal` aborts. The first
 * evaluation runs synchronously, before the returned promise is created.
 */
export async function runWaitLoop(o: WaitLoopOptions): Promise<WaitEnd> {
  let notified = false;
  let stopped: WaitEnd | null = null;
  let version = 0;
  /** Set while the loop is parked; settles its wait with what the wake found. */
  let wakeUp: ((outcome: Wake) => void) | null = null;
  const detachNotify = o.attach(() => {
    notified = true;
    const parked = wakeUp;
    if (!parked || stopped) return;
    // Parked: evaluate now. `wakeUp` is cleared first, so a notification raised by the evaluation
    // itself (an observer that commits) only sets `notified` and is handled by the loop.
    wakeUp = null;
    notified = false;
    let outcome: Wake;
    try {
      version = o.dataVersion();
      outcome = o.evaluate() ? 'done' : 'wake';
    } catch (error) {
      outcome = { error };
    }
    parked(outcome);
  });
  const stop = (end: WaitEnd) => {
    if (stopped) return;
    stopped = end;
    wakeUp?.('wake');
  };
  const detachClose = o.onClose(() => stop({ kind: 'closed' }));
  const signal = o.signal;
  const onAbort = () => stop({ kind: 'aborted', reason: signal?.reason });
  signal?.addEventListener('abort', onAbort, { once: true });
  let timer: AbortController | null = null;
  try {
    if (signal?.aborted) return { kind: 'aborted', reason: signal.reason };
    if (stopped) return stopped;
    version = o.dataVersion();
    if (o.evaluate()) return { kind: 'done' };
    let backoff = AWAIT_BACKOFF_FLOOR_MS;
    for (;;) {
      if (stopped) return stopped;
      if (notified) {
        notified = false;
        version = o.dataVersion();
        if (o.evaluate()) return { kind: 'done' };
        backoff = AWAIT_BACKOFF_FLOOR_MS;
        continue;
      }
      timer = new AbortController();
      const woke = new Promise<Wake>((resolve) => {
        wakeUp = resolve;
      });
      const slept = o.sleep(backoff, timer.signal).then(
        () => 'timer' as const,
        () => 'timer' as const,
      );
      const winner = await Promise.race([woke, slept]);
      wakeUp = null;
      timer.abort();
      timer = null;
      if (winner === 'done') return { kind: 'done' };
      if (typeof winner === 'object') throw winner.error;
      if (stopped) return stopped;
      if (winner === 'wake') {
        backoff = AWAIT_BACKOFF_FLOOR_MS;
        continue;
      }
      if (notified) continue;
      // Never spin on microtasks alone, even with a clock whose sleep resolves at once.
      await macrotask();
      if (stopped) return stopped;
      const current = o.dataVersion();
      if (current !== version) {
        version = current;
        if (o.evaluate()) return { kind: 'done' };
        backoff = AWAIT_BACKOFF_FLOOR_MS;
      } else {
        backoff = Math.min(backoff * 2, AWAIT_BACKOFF_CAP_MS);
      }
    }
  } finally {
    timer?.abort();
    detachNotify();
    detachClose();
    signal?.removeEventListener('abort', onAbort);
  }
}
