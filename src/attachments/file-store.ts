/**
 * `FileAttachmentStore` (20-blobs-attachments-lifecycle §4.8): durable, flat, content-addressed files
 * at `root/sha256/<first two hex chars>/<id>`. Writes go to a staging file in the same directory,
 * are fsynced and renamed into place, so a blob path holds either nothing or the complete bytes.
 * Only ids of exactly 64 lowercase hex characters ever become paths, so no id can escape the root.
 */
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { type Clock, systemClock } from '../clock.js';
import { invalidArgument, StoreError } from '../errors.js';
import type {
  AttachmentCreateMeta,
  AttachmentRef,
  AttachmentStore,
  AttachmentStorePersistence,
  StoredAttachment,
  StoredBlobRef,
} from '../types/attachments.js';
import { attachmentBytesInput, attachmentMetaInput, attachmentRefOf, contentId } from './content.js';
import { attachmentIo, attachmentNotFound } from './errors.js';

const ID_PATTERN = /^[0-9a-f]{64}$/;
const STAGING_MARKER = '.staging.';
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
let stagingCounter = 0;

function codeOf(error: unknown): string | undefined {
  return (error as { code?: unknown }).code as string | undefined;
}

/** Whether `id` is a content id this store can hold (and therefore turn into a path). */
export function isContentId(id: unknown): id is string {
  return typeof id === 'string' && ID_PATTERN.test(id);
}

async function fsyncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort: some platforms cannot fsync a directory; the rename itself is already atomic.
  }
}

export class FileAttachmentStore implements AttachmentStore {
  readonly #root: string;
  readonly #clock: Clock;

  constructor(root: string, options?: { clock?: Clock }) {
    if (typeof root !== 'string' || root === '') throw invalidArgument(StoreError, 'root', 'a directory path');
    this.#root = root;
    this.#clock = options?.clock ?? systemClock;
  }

  /** `'durable'`: files outlive the process. */
  persistence(): AttachmentStorePersistence {
    return 'durable';
  }

  /** `root/sha256/<prefix>/<id>` for a valid content id. */
  pathFor(id: string): string {
    if (!isContentId(id)) throw invalidArgument(StoreError, 'id', 'a content id of 64 lowercase hex characters');
    return join(this.#root, 'sha256', id.slice(0, 2), id);
  }

  /**
   * Stores the bytes under their SHA-256. A dedup hit of the same size only refreshes the mtime
   * (falling back to a rewrite when that is refused or the file vanished); absent or differently
   * sized content is rewritten atomically.
   */
  async put(bytes: Uint8Array, meta: AttachmentCreateMeta): Promise<AttachmentRef> {
    const data = attachmentBytesInput(bytes);
    attachmentMetaInput(meta);
    const id = contentId(data);
    const path = this.pathFor(id);
    const dir = join(this.#root, 'sha256', id.slice(0, 2));
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      throw attachmentIo(dir, error);
    }
    const now = this.#clock.timestampMs();
    let rewrite = true;
    try {
      const info = await stat(path);
      if (info.isFile() && info.size === data.length) {
        try {
          await utimes(path, now / 1000, now / 1000);
          rewrite = false;
        } catch (error) {
          const code = codeOf(error);
          if (code !== 'EPERM' && code !== 'EACCES' && code !== 'ENOENT') throw attachmentIo(path, error);
        }
      }
    } catch (error) {
      if (error instanceof StoreError) throw error;
      if (codeOf(error) !== 'ENOENT') throw attachmentIo(path, error);
    }
    if (rewrite) await this.#atomicWrite(dir, id, path, data, now);
    return attachmentRefOf(id, data, meta);
  }

  async #atomicWrite(dir: string, id: string, path: string, data: Uint8Array, now: number): Promise<void> {
    const staging = join(dir, `${id}${STAGING_MARKER}${process.pid}.${stagingCounter++}.tmp`);
    try {
      const handle = await open(staging, 'w');
      try {
        await handle.writeFile(data);
        await handle.utimes(now / 1000, now / 1000);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(staging, path);
    } catch (error) {
      await unlink(staging).catch(() => undefined);
      throw attachmentIo(path, error);
    }
    await fsyncDirectory(dir);
  }

  /** The bytes; a missing file or an id that is not a content id rejects with `NotFound`. */
  async get(id: string): Promise<StoredAttachment> {
    if (!isContentId(id)) throw attachmentNotFound(String(id));
    const path = this.pathFor(id);
    try {
      const buffer = await readFile(path);
      return { bytes: new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) };
    } catch (error) {
      if (codeOf(error) === 'ENOENT') throw attachmentNotFound(id);
      throw attachmentIo(path, error);
    }
  }

  /** Removes the file; missing files and non-content ids are a no-op. */
  async delete(id: string): Promise<void> {
    if (!isContentId(id)) return;
    const path = this.pathFor(id);
    try {
      await unlink(path);
    } catch (error) {
      if (codeOf(error) !== 'ENOENT') throw attachmentIo(path, error);
    }
  }

  /** The file's mtime in whole milliseconds, or null when it does not exist. */
  async head(id: string): Promise<StoredBlobRef | null> {
    if (!isContentId(id)) return null;
    const path = this.pathFor(id);
    try {
      const info = await stat(path);
      return { id, lastModifiedEpochMs: Math.floor(info.mtimeMs) };
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return null;
      throw attachmentIo(path, error);
    }
  }

  /**
   * Every stored blob, sorted by id: the entries of each prefix directory, skipping names that are
   * not valid UTF-8 and staging files. An unreadable mtime is reported as null.
   */
  async list(): Promise<StoredBlobRef[]> {
    const base = join(this.#root, 'sha256');
    let prefixes: Buffer[];
    try {
      prefixes = await readdir(base, { encoding: 'buffer' });
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return [];
      throw attachmentIo(base, error);
    }
    const out: StoredBlobRef[] = [];
    for (const raw of prefixes) {
      const prefix = decodeName(raw);
      if (prefix === null) continue;
      const dir = join(base, prefix);
      let names: Buffer[];
      try {
        if (!(await stat(dir)).isDirectory()) continue;
        names = await readdir(dir, { encoding: 'buffer' });
      } catch (error) {
        if (codeOf(error) === 'ENOENT') continue;
        throw attachmentIo(dir, error);
      }
      for (const rawName of names) {
        const name = decodeName(rawName);
        if (name === null || name.includes(STAGING_MARKER)) continue;
        let lastModifiedEpochMs: number | null = null;
        try {
          lastModifiedEpochMs = Math.floor((await stat(join(dir, name))).mtimeMs);
        } catch {
          lastModifiedEpochMs = null;
        }
        out.push({ id: name, lastModifiedEpochMs });
      }
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}

function decodeName(raw: Buffer): string | null {
  try {
    return strictUtf8.decode(raw);
  } catch {
    return null;
  }
}
