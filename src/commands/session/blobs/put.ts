/**
 * Standalone blob puts (20-blobs-attachments-lifecycle §2.7, §8): insert-if-absent, and a
 * `BlobStored` audit event for each row actually inserted.
 */
import type { BlobWrite } from '../../../blobs/blob-store.js';
import type { CommandTx } from '../../../events/database.js';
import { BLOB_STORED, type BlobStoredData } from '../../../projections/session/events.js';

/** Appends `BlobStored` for each inserted row. */
export function recordBlobWrites(tx: CommandTx, writes: BlobWrite[]): void {
  for (const write of writes) {
    if (!write.inserted) continue;
    const data: BlobStoredData = {
      ref: write.ref,
      kind: write.kind,
      byteLength: write.byteLength,
      compression: write.compressed ? 'zlib' : 'none',
    };
    tx.emit({ stream: 'blobs', type: BLOB_STORED, data });
  }
}
