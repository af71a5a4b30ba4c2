/**
 * Generic artifact-ref put and get (20-blobs-attachments-lifecycle §5.2). A put inserts the blob
 * (insert-if-absent, the store's profile) and points `(namespace, key)` at it in the same
 * transaction; re-putting a key overwrites the pointer. A get that finds a pointer without its blob
 * reports damage (`CorruptData`), because artifact blobs are GC roots and commit with their pointer.
 */
import type { BlobStore } from '../../../blobs/blob-store.js';
import { corruptData, StoreError } from '../../../errors.js';
import type { CommandTx } from '../../../events/database.js';
import { ARTIFACT_REF_SET, type ArtifactRefReads, type ArtifactRefSetData } from '../../../projections/session/artifacts.js';
import type { BlobArtifactDescriptor } from '../../../types/session.js';

/** What artifact commands need. */
export interface ArtifactContext {
  blobs: BlobStore;
  refs: ArtifactRefReads;
}

/** Stores `bytes` and points `(namespace, artifactRef)` at them; no event when the pointer already names them. */
export function putArtifactRefTx(
  ctx: ArtifactContext,
  tx: CommandTx,
  namespace: string,
  artifactRef: string,
  descriptor: BlobArtifactDescriptor,
  bytes: Uint8Array,
): string {
  const { ref } = ctx.blobs.put(descriptor, bytes);
  if (ctx.refs.pointer(namespace, artifactRef) === ref) return ref;
  const data: ArtifactRefSetData = { namespace, artifactRef, blobRef: ref };
  tx.emit({ stream: 'artifacts', type: ARTIFACT_REF_SET, data });
  return ref;
}

/** The bytes `(namespace, artifactRef)` points at, or null without a pointer; `diagnostic` names a dangling one. */
export function readArtifactRef(
  ctx: ArtifactContext,
  namespace: string,
  artifactRef: string,
  diagnostic: string,
): Uint8Array | null {
  const ref = ctx.refs.pointer(namespace, artifactRef);
  if (ref === null) return null;
  const bytes = ctx.blobs.get(ref);
  if (bytes === null) {
    throw corruptData(StoreError, 'artifact_refs', `${namespace}/${artifactRef}`, `${diagnostic} points at a missing blob`);
  }
  return bytes;
}
