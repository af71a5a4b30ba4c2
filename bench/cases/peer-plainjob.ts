import Database from 'better-sqlite3';
import { defineCase, timed } from '../lib/case.js';
import { checkJob, JOB_BYTES, jobData } from '../lib/jobs.js';
import { installedVersion, SILENT } from '../lib/peers.js';

interface Params {
  jobs: number;
  [key: string]: number;
}

export default defineCase<Params>({
  name: 'peer-plainjob',
  section: 'peer',
  title:
    'plainjob 0.0.14 on better-sqlite3 (the pinned 12.x): `queue.add` of every job (one transaction each, ~256 B JSON payload), then one `defineWorker` (no-op logger, poll interval 1 ms) claims and marks done one job at a time until all are done; `worker.stop()` is inside the timed phase; the rate counts jobs over the whole phase',
  durability: 'WAL, synchronous=NORMAL (forced by plainjob)',
  unit: 'jobs/s',
  anchor: 'raw-normal-1row',
  params: { full: { jobs: 2_000 } },
  async measure(ctx, p) {
    const { better, defineQueue, defineWorker, JobStatus } = await import('plainjob');
    const db = new Database(ctx.dbPath);
    const queue = defineQueue({ connection: better(db), logger: SILENT });
    try {
      const synchronous = db.pragma('synchronous', { simple: true }) as number;
      if (synchronous !== 1) throw new Error(`plainjob left synchronous=${synchronous}, expected 1 (NORMAL)`);
      let done = 0;
      let allDone = () => {};
      const finished = new Promise<void>((resolve) => {
        allDone = resolve;
      });
      const worker = defineWorker('bench', (job) => void checkJob(JSON.parse(job.data)), {
        queue,
        pollIntervall: 1,
        logger: SILENT,
        onCompleted: () => {
          if (++done === p.jobs) allDone();
        },
      });
      let crashed: unknown = null;
      const { ms, cpuMs, io } = await timed(async () => {
        for (let i = 0; i < p.jobs; i++) queue.add('bench', jobData(i));
        const running = worker.start().catch((error: unknown) => {
          crashed = error;
          allDone();
        });
        await finished;
        await worker.stop();
        await running;
      });
      if (crashed) throw crashed;
      const completed = queue.countJobs({ status: JobStatus.Done });
      if (completed !== p.jobs) throw new Error(`plainjob completed ${completed} of ${p.jobs} jobs`);
      return {
        ops: p.jobs,
        ms,
        cpuMs,
        io,
        notes: { completed, jobBytes: JOB_BYTES, plainjob: installedVersion('plainjob'), synchronous: 'NORMAL' },
      };
    } finally {
      queue.close();
    }
  },
});
