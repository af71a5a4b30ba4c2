/**
 * `lash-store inspect <db>`: what a database holds — its kind and version, the event log (size,
 * range, event types), projection row counts, blobs, and for session databases the head and the
 * leases as of now.
 */
import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { applicationIdLabel } from '../../sqlite/kinds.js';
import { color, humanBytes, isoTime, table } from '../format.js';
import { openAny } from '../open-db.js';

function fileSize(path: string): number {
  return [path, `${path}-wal`].reduce((n, p) => n + (existsSync(p) ? statSync(p).size : 0), 0);
}

export async function inspectCommand(path: string): Promise<number> {
  const opened = await openAny(path, { readonly: true });
  const raw = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const scalar = (sql: string) => raw.prepare(sql).pluck().get() as number | null;
    const appId = raw.pragma('application_id', { simple: true }) as number;
    process.stdout.write(`${color.bold(path)}\n`);
    process.stdout.write(
      `kind ${applicationIdLabel(appId)} · schema version ${raw.pragma('user_version', { simple: true })} · ${humanBytes(fileSize(path))} on disk\n\n`,
    );
    const count = scalar('SELECT count(*) FROM events') ?? 0;
    const first = scalar('SELECT min(seq) FROM events');
    const last = scalar('SELECT max(seq) FROM events');
    const lastAt = scalar('SELECT max(recorded_at_ms) FROM events');
    const snapshot = scalar('SELECT max(snapshot_seq) FROM projection_snapshots');
    process.stdout.write(
      `events: ${count}${count ? ` (seq ${first}…${last}, last at ${isoTime(lastAt ?? 0)})` : ''}${snapshot ? `, compacted through ${snapshot}` : ''}\n`,
    );
    const types = raw
      .prepare('SELECT type, count(*) AS n FROM events GROUP BY type ORDER BY n DESC, type LIMIT 15')
      .all() as Array<{ type: string; n: number }>;
    if (types.length)
      process.stdout.write(
        table(
          ['event type', 'count'],
          types.map((t) => [t.type, t.n]),
        ),
      );
    const tables = raw
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('events','event_streams','event_log_state','projection_snapshots') ORDER BY name",
      )
      .pluck()
      .all() as string[];
    process.stdout.write('\n');
    process.stdout.write(
      table(
        ['table', 'rows'],
        tables.map((t) => [t, scalar(`SELECT count(*) FROM "${t}"`) ?? 0]),
      ),
    );
    if (tables.includes('blobs')) {
      process.stdout.write(
        `blob bytes stored: ${humanBytes(scalar('SELECT coalesce(sum(length(content)), 0) FROM blobs') ?? 0)}\n`,
      );
    }
    if (opened.session) {
      const head = await opened.session.loadSessionHead();
      process.stdout.write('\n');
      if (head) {
        process.stdout.write(
          `session ${color.bold(head.sessionId)}: head revision ${head.headRevision}, ${head.graph.nodes.length} nodes, leaf ${head.graph.leafNodeId ?? '-'}, checkpoint ${head.checkpointRef?.slice(0, 12) ?? '-'}\n`,
        );
      } else process.stdout.write('session: no commit yet\n');
      const leases = raw
        .prepare('SELECT session_id, lease_token, fencing_token, expires_at_ms FROM session_execution_leases ORDER BY session_id')
        .all() as Array<{ session_id: string; lease_token: string | null; fencing_token: number; expires_at_ms: number }>;
      if (leases.length) {
        const now = Date.now();
        process.stdout.write(
          table(
            ['lease session', 'fencing', 'state', 'expires'],
            leases.map((l) => [
              l.session_id,
              l.fencing_token,
              l.lease_token === null ? 'released' : l.expires_at_ms > now ? color.green('live') : 'expired',
              l.lease_token === null ? '-' : isoTime(l.expires_at_ms),
            ]),
          ),
        );
      }
    }
    return 0;
  } finally {
    raw.close();
    await opened.handle.close();
  }
}
