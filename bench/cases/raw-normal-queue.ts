import Database from 'better-sqlite3';
import { defineCase, timed } from '../lib/case.js';
import { checkJob, JOB_BYTES, jobData } from '../lib/jobs.js';

interface Params {
  jobs: number;
  [key: string]: number;
}

/**
 * The least a durable job queue can cost on this machine: the same three transactions per job as
 * plainjob and as our queue (enqueue, claim, complete), each a single small statement with no
 * library code around it. Dividing it by plainjob shows how much room any queue has above plainjob
 * here; `ours-queue-e2e` cannot beat it.
 */
export default defineCase<Params>({
  name: 'raw-normal-queue',
  section: 'raw',
  title:
    'raw better-sqlite3 job queue, the ceiling of a queue with one transaction per step: `INSERT` of every job (one `BEGIN IMMEDIATE … COMMIT` each, ~256 B JSON payload), then one loop claims the oldest pending job (`UPDATE … WHERE id = (SELECT … ORDER BY id LIMIT 1) RETURNING`), reads the payload and marks it done, each step its own transaction; the rate counts jobs over the whole phase',
  durability: 'WAL, synchronous=NORMAL',
  unit: 'jobs/s',
  anchor: 'peer-plainjob',
  params: { full: { jobs: 2_000 }, quick: { jobs: 300 } },
  async measure(ctx, p) {
    const db = new Database(ctx.dbPath);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(
        `CREATE TABLE jobs (id INTEGER PRIMARY KEY, status TEXT NOT NULL, data TEXT NOT NULL, updated_at_ms INTEGER NOT NULL);
         CREATE INDEX jobs_status ON jobs (status, id);`,
      );
      const add = db.prepare(`INSERT INTO jobs (status, data, updated_at_ms) VALUES ('pending', ?, ?)`);
      const claim = db.prepare(
        `UPDATE jobs SET status = 'running', updated_at_ms = ?
         WHERE id = (SELECT id FROM jobs WHERE status = 'pending' ORDER BY id LIMIT 1) RETURNING id, data`,
      );
      const done = db.prepare(`UPDATE jobs SET status = 'done', updated_at_ms = ? WHERE id = ?`);
      const begin = db.prepare('BEGIN IMMEDIATE');
      const commit = db.prepare('COMMIT');
      let completed = 0;
      const { ms, cpuMs, io } = await timed(() => {
        for (let i = 0; i < p.jobs; i++) {
          begin.run();
          add.run(JSON.stringify(jobData(i)), Date.now());
          commit.run();
        }
        for (;;) {
          begin.run();
          const row = claim.get(Date.now()) as { id: number; data: string } | undefined;
          commit.run();
          if (row === undefined) break;
          checkJob(JSON.parse(row.data));
          begin.run();
          done.run(Date.now(), row.id);
          commit.run();
          completed++;
        }
      });
      const stored = db.prepare(`SELECT count(*) FROM jobs WHERE status = 'done'`).pluck().get() as number;
      if (completed !== p.jobs || stored !== p.jobs)
        throw new Error(`raw queue completed ${completed} (${stored} stored) of ${p.jobs}`);
      return { ops: p.jobs, ms, cpuMs, io, notes: { completed, jobBytes: JOB_BYTES } };
    } finally {
      db.close();
    }
  },
});
