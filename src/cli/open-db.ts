/**
 * Opening a database file named on the command line: check it exists, read its kind marker
 * (`PRAGMA application_id`) without writing, then open it with the matching store. A file of a kind
 * this CLI cannot open yet, or no lash database at all, is a usage error with a clear line.
 */
import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import {
  applicationIdLabel,
  EFFECT_APPLICATION_ID,
  PROCESS_APPLICATION_ID,
  SESSION_APPLICATION_ID,
  TRIGGER_APPLICATION_ID,
} from '../sqlite/kinds.js';
import type { Store } from '../stores/store.js';
import { UsageError } from './errors.js';

/** The event-log surface every store kind offers; the CLI works through it. */
export type EventLogHandle = Pick<Store, 'readEvents' | 'events$' | 'verifyProjections' | 'compactEventLog' | 'close'>;

/** An opened database with its kind label. */
export interface OpenedDb {
  label: string;
  handle: EventLogHandle;
  session: Store | null;
}

/** Reads `application_id` of an existing file without writing to it. */
export function readApplicationId(path: string): number {
  if (!existsSync(path)) throw new UsageError(`no such database file: ${path}`);
  if (!statSync(path).isFile()) throw new UsageError(`not a file: ${path}`);
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    return db.pragma('application_id', { simple: true }) as number;
  } catch (error) {
    throw new UsageError(`cannot read ${path} as a SQLite database: ${(error as Error).message}`);
  } finally {
    db?.close();
  }
}

/**
 * Opens `path` with the store its kind marker names. Only session databases have a read-only open;
 * the other kinds are opened normally (their open only switches the journal to WAL). Each kind's
 * module is loaded on demand so a command on one kind does not pay for the others, and a file
 * refused by its marker pays for none.
 */
export async function openAny(path: string, options: { readonly: boolean }): Promise<OpenedDb> {
  const id = readApplicationId(path);
  switch (id) {
    case SESSION_APPLICATION_ID: {
      const { Store } = await import('../stores/store.js');
      const store = options.readonly ? await Store.openReadonly(path) : await Store.open(path);
      return { label: 'session', handle: store, session: store };
    }
    case PROCESS_APPLICATION_ID: {
      const { SqliteProcessRegistry } = await import('../stores/process-registry.js');
      return { label: 'process registry', handle: await SqliteProcessRegistry.open(path), session: null };
    }
    case EFFECT_APPLICATION_ID: {
      const { SqliteEffectHost } = await import('../stores/effect-host.js');
      return { label: 'effect replay', handle: await SqliteEffectHost.open(path), session: null };
    }
    case TRIGGER_APPLICATION_ID: {
      const { SqliteTriggerStore } = await import('../stores/trigger-store.js');
      return { label: 'trigger store', handle: await SqliteTriggerStore.open(path), session: null };
    }
    default: {
      const what =
        id === 0
          ? 'not a lash database (no kind marker)'
          : `not a lash database (application_id ${id}, ${applicationIdLabel(id)})`;
      throw new UsageError(`${path} is ${what}`);
    }
  }
}
