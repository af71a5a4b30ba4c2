/**
 * Loads the DDL that drizzle-kit generated for a kind (`drizzle/{kind}/*.sql`, in journal order) and
 * adds the event-log guard triggers, which drizzle cannot declare. Read once per process.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Triggers that make the event log append-only except for the sanctioned compaction. */
export const EVENT_LOG_GUARDS = [
  `CREATE TRIGGER events_no_update BEFORE UPDATE ON events
   BEGIN SELECT RAISE(ABORT, 'events are immutable: UPDATE is not allowed'); END`,
  `CREATE TRIGGER events_no_delete BEFORE DELETE ON events
   WHEN coalesce((SELECT compacting FROM event_log_state WHERE id = 1), 0) <> 1
   BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE is allowed only inside compactEventLog'); END`,
  `INSERT INTO event_log_state (id, compacting) VALUES (1, 0)`,
];

let packageRoot: string | undefined;

/** The folder holding this package's `package.json` (works from `src/` and from `dist/src/`). */
export function findPackageRoot(): string {
  if (packageRoot) return packageRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate) && existsSync(join(dir, 'drizzle'))) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string };
      if (pkg.name === 'lash-event-store') {
        packageRoot = dir;
        return dir;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('lash-event-store: cannot find the package root holding drizzle/');
    dir = parent;
  }
}

const cache = new Map<string, string[]>();

/** All DDL statements of a kind: the drizzle-kit migrations in order, then the guards. */
export function ddlStatements(folder: string): string[] {
  const cached = cache.get(folder);
  if (cached) return cached;
  const dir = join(findPackageRoot(), 'drizzle', folder);
  const journal = JSON.parse(readFileSync(join(dir, 'meta', '_journal.json'), 'utf8')) as {
    entries: Array<{ tag: string }>;
  };
  const statements: string[] = [];
  for (const entry of journal.entries) {
    const text = readFileSync(join(dir, `${entry.tag}.sql`), 'utf8');
    for (const part of text.split('--> statement-breakpoint')) {
      const sql = part.trim();
      if (sql) statements.push(sql);
    }
  }
  statements.push(...EVENT_LOG_GUARDS);
  cache.set(folder, statements);
  return statements;
}
