/**
 * A first opener of a brand-new session database (20-blobs-attachments-lifecycle §7.5), run as a
 * worker thread or as a child process. After the start signal it opens `Store.open(path)`, reads
 * through the schema (a half-initialised schema would fail these reads) and closes.
 *
 * Worker thread: `workerData = { path, barrier, parties }`; the start signal is the barrier; the
 * outcome is posted. Child process: `node first-open.js <path>`; it prints `ready`, starts when a
 * line arrives on stdin, prints the outcome as one JSON line and exits.
 */
import { createInterface } from 'node:readline';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Store } from '../../../src/stores/store.js';
import { arriveAndWait } from './barrier.js';
import { settle } from './outcome.js';

async function openAndRead(path: string): Promise<{ events: number; session: null | number }> {
  const store = await Store.open(path);
  try {
    const events = (await store.readEvents()).length;
    const session = await store.loadSession({ kind: 'fullGraph' });
    return { events, session: session === null ? null : session.headRevision };
  } finally {
    await store.close();
  }
}

if (!isMainThread) {
  const { path, barrier, parties } = workerData as { path: string; barrier: SharedArrayBuffer; parties: number };
  arriveAndWait(barrier, parties);
  parentPort?.postMessage(await settle(openAndRead(path)));
} else {
  const path = process.argv[2] as string;
  const lines = createInterface({ input: process.stdin });
  const start = new Promise<void>((resolve) => lines.once('line', () => resolve()));
  process.stdout.write('ready\n');
  await start;
  lines.close();
  const outcome = await settle(openAndRead(path));
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
}
