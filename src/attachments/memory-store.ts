/**
 * `InMemoryAttachmentStore` (20-blobs-attachments-lifecycle §4.9): an ephemeral, content-addressed
 * map. A dedup put keeps the original bytes and restamps the freshness time; reads return copies,
 * so callers can never mutate stored content.
 */
import { type Clock, systemClock } from '../clock.js';
import type {
  AttachmentCreateMeta,
  AttachmentRef,
  AttachmentStore,
  AttachmentStorePersistence,
  StoredAttachment,
  StoredBlobRef,
} from '../types/attachments.js';
import { attachmentBytesInput, attachmentMetaInput, attachmentRefOf, contentId } from './content.js';
import { attachmentNotFound } from './errors.js';

export class InMemoryAttachmentStore implements AttachmentStore {
  readonly #clock: Clock;
  readonly #blobs = new Map<string, { bytes: Uint8Array; storedAtMs: number }>();

  constructor(options?: { clock?: Clock }) {
    this.#clock = options?.clock ?? systemClock;
  }

  /** `'ephemeral'`: the bytes end with the process. */
  persistence(): AttachmentStorePersistence {
    return 'ephemeral';
  }

  /** Stores a copy under the bytes' SHA-256 (or restamps an existing one) and echoes the meta. */
  async put(bytes: Uint8Array, meta: AttachmentCreateMeta): Promise<AttachmentRef> {
    const data = attachmentBytesInput(bytes);
    attachmentMetaInput(meta);
    const id = contentId(data);
    const now = this.#clock.timestampMs();
    const existing = this.#blobs.get(id);
    if (existing) existing.storedAtMs = now;
    else this.#blobs.set(id, { bytes: Uint8Array.from(data), storedAtMs: now });
    return attachmentRefOf(id, data, meta);
  }

  /** A copy of the bytes; any unknown id rejects with `NotFound`. */
  async get(id: string): Promise<StoredAttachment> {
    const entry = typeof id === 'string' ? this.#blobs.get(id) : undefined;
    if (!entry) throw attachmentNotFound(String(id));
    return { bytes: Uint8Array.from(entry.bytes) };
  }

  /** Removes the blob; idempotent. */
  async delete(id: string): Promise<void> {
    this.#blobs.delete(id);
  }

  /** Every blob with its stored-at time, sorted by id. */
  async list(): Promise<StoredBlobRef[]> {
    return [...this.#blobs.entries()]
      .map(([id, e]) => ({ id, lastModifiedEpochMs: e.storedAtMs }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** The blob's stored-at time, or null. */
  async head(id: string): Promise<StoredBlobRef | null> {
    const entry = this.#blobs.get(id);
    return entry ? { id, lastModifiedEpochMs: entry.storedAtMs } : null;
  }
}
