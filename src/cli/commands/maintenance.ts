/** `lash-store gc|vacuum|compact <db>`: the maintenance levers, each printing its report. */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { sequenceNumber, UsageError } from '../errors.js';
import { table } from '../format.js';
import { openAny } from '../open-db.js';

async function openSession(path: string, what: string) {
  const opened = await openAny(path, { readonly: false });
  if (!opened.session) {
    await opened.handle.close();
    const article = /^[aeiou]/.test(opened.label) ? 'an' : 'a';
    throw new UsageError(`${what} applies to session databases; ${path} is ${article} ${opened.label} database`);
  }
  return opened.session;
}

export async function gcCommand(path: string): Promise<number> {
  const store = await openSession(path, 'gc');
  try {
    const r = await store.gcUnreachable();
    process.stdout.write(
      table(
        ['roots', 'retained', 'dangling refs', 'deleted'],
        [[r.rootCount, r.retainedBlobCount, r.danglingRefCount, r.deletedBlobCount]],
      ),
    );
    return 0;
  } finally {
    await store.close();
  }
}

export async function vacuumCommand(path: string): Promise<number> {
  const store = await openSession(path, 'vacuum');
  try {
    const r = await store.vacuum();
    process.stdout.write(
      table(['nodes removed', 'turn-input tombstones removed'], [[r.removedNodeCount, r.removedPendingTurnInputTombstoneCount]]),
    );
    return 0;
  } finally {
    await store.close();
  }
}

/**
 * The archive must be a new file in an existing folder: an existing file would be overwritten — an
 * earlier archive with it, the only copy of the events it holds — and a missing folder would only be
 * found after the snapshot was derived.
 */
function archiveTarget(archive: string): string {
  const path = resolve(archive);
  if (existsSync(path))
    throw new UsageError(`--archive ${archive} already exists: name a new file (an archive is never overwritten)`);
  const folder = dirname(path);
  if (!existsSync(folder) || !statSync(folder).isDirectory())
    throw new UsageError(`--archive ${archive}: no such folder ${folder}`);
  return path;
}

export async function compactCommand(path: string, options: { through?: string; archive?: string }): Promise<number> {
  if (options.through === undefined) {
    throw new UsageError('compact needs --through N (the last event sequence number to fold into the snapshot)');
  }
  const through = sequenceNumber(options.through, '--through');
  const archivePath = options.archive === undefined ? undefined : archiveTarget(options.archive);
  const { handle } = await openAny(path, { readonly: false });
  try {
    const r = await handle.compactEventLog(
      archivePath === undefined ? { throughSeq: through } : { throughSeq: through, archivePath },
    );
    process.stdout.write(table(['snapshot seq', 'events deleted'], [[r.snapshotSeq, r.deletedEventCount]]));
    if (r.deletedEventCount === 0) {
      process.stdout.write(
        `nothing to compact: no events up to ${through} are left in the log${archivePath ? `; ${archivePath} was not written` : ''}\n`,
      );
    } else if (archivePath) {
      process.stdout.write(`archived ${r.deletedEventCount} events to ${archivePath} (fsynced before deleting)\n`);
    }
    return 0;
  } finally {
    await handle.close();
  }
}
