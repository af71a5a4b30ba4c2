/**
 * A one-shot barrier over a `SharedArrayBuffer`: every party increments the counter and sleeps in
 * `Atomics.wait` until all `parties` have arrived, so the work after it starts at the same moment.
 */

/** The shared memory of a barrier, created by the test and handed to each worker. */
export function newBarrier(): SharedArrayBuffer {
  return new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
}

/** Arrives at the barrier and blocks until every party has arrived (throws after `timeoutMs`). */
export function arriveAndWait(barrier: SharedArrayBuffer, parties: number, timeoutMs = 30_000): void {
  const cell = new Int32Array(barrier);
  Atomics.add(cell, 0, 1);
  Atomics.notify(cell, 0);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const arrived = Atomics.load(cell, 0);
    if (arrived >= parties) return;
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`barrier timed out with ${arrived} of ${parties} parties`);
    Atomics.wait(cell, 0, arrived, left);
  }
}
