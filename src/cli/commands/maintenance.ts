/** `lash-store gc|vacuum|compact <db>`: the maintenance levers, each printing its report. */
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { table } from '../format.js';
import { openAny } from '../open-db.js';

async function openSession(path: string, what: string) {
  const opened = await openAny(path, { readonly: false });
  if (!opened.session) {
    await opened.handle.close();
    throw new UsageError(`${what} applies to session databases; ${path} is a ${opened.label} database`);
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

export async function compactCommand(path: string, options: { through?: string; archive?: string }): Promise<number> {
  const through = Number(options.through);
  if (options.through === undefined || !Number.isInteger(through) || through < 0) {
    throw new UsageError('compact needs --through N (the last event sequence number to fold into the snapshot)');
  }
  const { handle } = await openAny(path, { readonly: false });
  try {
    const archivePath = options.archive === undefined ? undefined : resolve(options.archive);
    const r = await handle.compactEventLog(
      archivePath === undefined ? { throughSeq: through } : { throughSeq: through, archivePath },
    );
    process.stdout.write(table(['snapshot seq', 'events deleted'], [[r.snapshotSeq, r.deletedEventCount]]));
    if (archivePath) process.stdout.write(`archived to ${archivePath} (fsynced before deleting)\n`);
    return 0;
  } finally {
    await handle.close();
  }
}
