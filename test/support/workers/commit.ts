/**
 * Worker thread: opens its own `Store` on `path`, lines up on the barrier, then commits `commit`
 * and posts the settled outcome (10-session-store Appendix C.1).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { RuntimeCommit } from '../../../src/index.js';
import { Store } from '../../../src/stores/store.js';
import { arriveAndWait } from './barrier.js';
import { settle } from './outcome.js';

const { path, commit, barrier, parties } = workerData as {
  path: string;
  commit: RuntimeCommit;
  barrier: SharedArrayBuffer;
  parties: number;
};

const store = await Store.open(path);
try {
  arriveAndWait(barrier, parties);
  parentPort?.postMessage(await settle(store.commitRuntimeState(commit)));
} finally {
  await store.close();
}
