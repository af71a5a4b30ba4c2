/**
 * Session database file naming and removal (20-blobs-attachments-lifecycle §6.2, §6.3, §6.6), used
 * by the process registry's prune to delete process-owned session stores.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from '../errors.js';
import { sha256Hex } from '../json.js';

/** No lone surrogates (`String.prototype.isWellFormed`, spelled out for the ES2023 typings). */
function isWellFormed(text: string): boolean {
  return !/\p{Surrogate}/u.test(text);
}

/** `{safe}-{hash16}.db` for a session id; rejects ids that are not well-formed Unicode. */
export function safeSessionDbFileName(sessionId: string): string {
  if (typeof sessionId !== 'string' || !isWellFormed(sessionId)) {
    throw new StoreError('InvalidSessionId', 'session id must be well-formed Unicode', { sessionId });
  }
  let safe = '';
  for (const ch of sessionId) safe += /^[A-Za-z0-9_-]$/.test(ch) ? ch : '_';
  safe = safe.replace(/^_+|_+$/g, '');
  if (safe === '') safe = 'session';
  safe = safe.slice(0, 80);
  return `${safe}-${sha256Hex(sessionId).slice(0, 16)}.db`;
}

/** The session ids of the stores a process owns: `process-env:{id}` and `process-session-turn:{id}`. */
export function processRuntimeSessionIds(processId: string): string[] {
  return [`process-env:${processId}`, `process-session-turn:${processId}`];
}

/** Removes `{db}`, `{db}-wal` and `{db}-shm` of a session under `root`; missing files are fine. */
export async function deleteSessionFiles(root: string, sessionId: string): Promise<void> {
  const path = join(root, safeSessionDbFileName(sessionId));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      await rm(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new StoreError('Backend', `store backend error: remove session store ${file}: ${(error as Error).message}`, {
        detail: `remove session store ${file}: ${(error as Error).message}`,
      });
    }
  }
}
