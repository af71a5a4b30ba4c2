import { defineCase, timed } from '../lib/case.js';
import { checkJob, JOB_BYTES, type JobData, jobData } from '../lib/jobs.js';
import { betterSqlite3Of, installedVersion } from '../lib/peers.js';

interface Params {
  jobs: number;
  [key: string]: number;
}

/** What better-sqlite3 ≥ 11.10 throws when a transaction function returns a promise. */
const ASYNC_TRANSACTION = 'Transaction function cannot return a promise';

export default defineCase<Params>({
  name: 'peer-liteque',
  section: 'peer',
  title:
    'liteque 0.8.0 on the pinned better-sqlite3 12.x (the copy the library loads): `enqueue` of every job (~256 B JSON payload), then one `Runner` (concurrency 1, poll 1 ms) `runUntilEmpty()` — dequeue, run (read the payload), finalize. Its `attemptDequeue` passes an async function to the synchronous better-sqlite3 `transaction()`, which better-sqlite3 ≥ 11.10 refuses: when that error comes, it is the recorded result',
  durability: 'WAL, synchronous=NORMAL (forced by liteque)',
  unit: 'jobs/s',
  anchor: 'raw-normal-1row',
  params: { full: { jobs: 2_000 } },
  async measure(ctx, p) {
    const { buildDBClient, Runner, SqliteQueue } = await import('liteque');
    const driver = betterSqlite3Of('liteque');
    const versions = { liteque: installedVersion('liteque'), 'better-sqlite3': driver.version };
    const db = buildDBClient(ctx.dbPath, { runMigrations: true });
    const queue = new SqliteQueue<JobData>('bench', db, { defaultJobArgs: { numRetries: 0 }, keepFailedJobs: false });
    let enqueued = 0;
    let completed = 0;
    try {
      const { ms, cpuMs, io } = await timed(async () => {
        for (let i = 0; i < p.jobs; i++) {
          await queue.enqueue(jobData(i));
          enqueued++;
        }
        const runner = new Runner<JobData>(
          queue,
          {
            run: async (job) => {
              checkJob(job.data);
              completed++;
            },
          },
          { concurrency: 1, pollIntervalMs: 1, timeoutSecs: 60 },
        );
        await runner.runUntilEmpty();
      });
      const left = await queue.stats();
      if (completed !== p.jobs || left.pending + left.running + left.pending_retry + left.failed !== 0) {
        throw new Error(`liteque completed ${completed} of ${p.jobs} jobs (left: ${JSON.stringify(left)})`);
      }
      return { ops: p.jobs, ms, cpuMs, io, notes: { completed, jobBytes: JOB_BYTES, ...versions } };
    } catch (error) {
      if (!(error instanceof TypeError) || !error.message.includes(ASYNC_TRANSACTION)) throw error;
      return {
        ops: 0,
        ms: 0,
        cpuMs: 0,
        failure: `${error.name}: ${error.message} — at the first dequeue, after ${enqueued.toLocaleString('en-US')} jobs were enqueued and ${completed} completed (liteque ${versions.liteque} on better-sqlite3 ${versions['better-sqlite3']})`,
        notes: { enqueued, completed, ...versions },
      };
    } finally {
      // drizzle 0.33 (liteque's) keeps the better-sqlite3 connection as `session.client`.
      (db as unknown as { session: { client: { close(): void } } }).session.client.close();
    }
  },
});
