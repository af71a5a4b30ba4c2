/** Runs the compiled worker scripts of `test/support/workers/` as worker threads or child processes. */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import { compiledScript } from './compiled.js';
import type { Outcome } from './workers/outcome.js';

export { newBarrier } from './workers/barrier.js';
export type { Outcome } from './workers/outcome.js';

/** Starts one worker per `workerData` and resolves with the message each one posts, in order. */
export async function runWorkers<T>(script: string, data: object[]): Promise<Outcome<T>[]> {
  const file = await compiledScript(script);
  const workers = data.map((workerData) => new Worker(file, { workerData }));
  try {
    return await Promise.all(
      workers.map(
        (worker) =>
          new Promise<Outcome<T>>((resolve, reject) => {
            worker.once('message', resolve);
            worker.once('error', reject);
            worker.once('exit', (code) => reject(new Error(`worker exited with code ${code} before reporting`)));
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

/**
 * Starts one child process per argument list (`node <script> ...args`), waits until every child has
 * printed `ready`, then writes the start line to all of them at once and resolves with the JSON
 * outcome each prints, in order.
 */
export async function runChildren<T>(script: string, argLists: string[][], timeoutMs = 50_000): Promise<Outcome<T>[]> {
  const file = await compiledScript(script);
  const children = argLists.map((args) => spawn(process.execPath, [file, ...args], { stdio: ['pipe', 'pipe', 'pipe'] }));
  const timer = setTimeout(() => {
    for (const child of children) child.kill('SIGKILL');
  }, timeoutMs);
  try {
    const readies: Promise<void>[] = [];
    const outcomes = children.map((child) => {
      let stderr = '';
      child.stderr.on('data', (chunk) => {
        stderr += String(chunk);
      });
      const lines = createInterface({ input: child.stdout });
      let signalReady: () => void = () => {};
      readies.push(
        new Promise<void>((resolve) => {
          signalReady = resolve;
        }),
      );
      return new Promise<Outcome<T>>((resolve, reject) => {
        let outcome: Outcome<T> | undefined;
        lines.on('line', (line) => {
          if (line === 'ready') signalReady();
          else outcome = JSON.parse(line) as Outcome<T>;
        });
        child.once('error', reject);
        child.once('close', (code) => {
          if (code === 0 && outcome) resolve(outcome);
          else reject(new Error(`child exited with code ${code}: ${stderr.trim()}`));
        });
      });
    });
    // A child that dies before `ready` rejects its outcome; don't wait for its readiness then.
    await Promise.race([Promise.all(readies), Promise.all(outcomes)]);
    for (const child of children) child.stdin.write('go\n');
    return await Promise.all(outcomes);
  } finally {
    clearTimeout(timer);
    for (const child of children) child.stdin.end();
  }
}
