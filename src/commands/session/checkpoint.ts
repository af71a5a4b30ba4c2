/**
 * Writing a checkpoint (20-blobs-attachments-lifecycle §3.1): each present snapshot becomes a typed
 * blob whose ref replaces the supplied one; absent snapshots keep the supplied ref unverified; the
 * manifest itself is a content-addressed blob, so an unchanged checkpoint dedupes to one row.
 */

import type { BlobStore, BlobWrite } from '../../blobs/blob-store.js';
import { BlobArtifactDescriptor } from '../../blobs/descriptors.js';
import type { JsonValue } from '../../json.js';
import { SESSION_CHECKPOINT_SCHEMA_VERSION } from '../../stores/versions.js';
import type { HydratedSessionCheckpoint, SessionCheckpointManifest, StoredSessionCheckpoint } from '../../types/session.js';

/** Stores the snapshots and the manifest; returns the checkpoint and every blob write made. */
export function writeCheckpoint(
  blobs: BlobStore,
  cp: HydratedSessionCheckpoint,
): StoredSessionCheckpoint & { writes: BlobWrite[] } {
  const writes: BlobWrite[] = [];
  const slot = (
    value: JsonValue | null,
    ref: string | null,
    descriptor: ReturnType<typeof BlobArtifactDescriptor.genericBlob>,
  ) => {
    if (value === null) return ref;
    const write = blobs.putTyped(descriptor, value);
    writes.push(write);
    return write.ref;
  };
  const toolStateRef = slot(cp.toolState, cp.toolStateRef, BlobArtifactDescriptor.toolStateSnapshot());
  const pluginSnapshotRef = slot(cp.pluginSnapshot, cp.pluginSnapshotRef, BlobArtifactDescriptor.pluginSessionSnapshot());
  const executionStateRef = slot(cp.executionState, cp.executionStateRef, BlobArtifactDescriptor.executionStateSnapshot());
  const manifest: SessionCheckpointManifest = {
    schemaVersion: SESSION_CHECKPOINT_SCHEMA_VERSION,
    turnState: cp.turnState,
    toolStateRef,
    pluginSnapshotRef,
    pluginSnapshotRevision: cp.pluginSnapshotRevision,
    executionStateRef,
  };
  // Null members are omitted from the encoded manifest; absent and null read back alike.
  const encoded: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(manifest)) if (value !== null) encoded[key] = value as JsonValue;
  const write = blobs.putTyped(BlobArtifactDescriptor.checkpointManifest(), encoded);
  writes.push(write);
  return { checkpointRef: write.ref, manifest, writes };
}
