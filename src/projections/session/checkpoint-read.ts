/**
 * Reading checkpoint manifests and hydrating them (20-blobs-attachments-lifecycle §3.2). A missing
 * blob reads as null; a present one that cannot be decoded is `CorruptData`, never null.
 */
import type { BlobStore } from '../../blobs/blob-store.js';
import { corruptData, StoreError } from '../../errors.js';
import type { JsonValue } from '../../json.js';
import { SESSION_CHECKPOINT_SCHEMA_VERSION } from '../../stores/versions.js';
import type { BlobRef, HydratedSessionCheckpoint, SessionCheckpointManifest } from '../../types/session.js';
import { ensureSupportedRecordSchemaVersion } from './records.js';

const REF_SLOTS = ['toolStateRef', 'pluginSnapshotRef', 'executionStateRef'] as const;

/** The manifest stored at `ref`, or null when its blob is missing. */
export function readManifest(blobs: BlobStore, ref: BlobRef): SessionCheckpointManifest | null {
  const value = blobs.getTyped(ref);
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
    throw corruptData(StoreError, 'blobs', ref, 'failed to decode SessionCheckpoint');
  }
  for (const slot of REF_SLOTS) {
    const member = value[slot];
    if (member !== undefined && member !== null && typeof member !== 'string') {
      throw corruptData(StoreError, 'blobs', ref, 'failed to decode SessionCheckpoint');
    }
  }
  ensureSupportedRecordSchemaVersion('SessionCheckpoint', value, SESSION_CHECKPOINT_SCHEMA_VERSION);
  if (value.turnState === undefined || typeof value.turnState !== 'object') {
    throw corruptData(StoreError, 'blobs', ref, 'failed to decode SessionCheckpoint');
  }
  const opt = (v: JsonValue | undefined) => (v === undefined ? null : v);
  return {
    schemaVersion: value.schemaVersion as number,
    turnState: value.turnState as unknown as SessionCheckpointManifest['turnState'],
    toolStateRef: opt(value.toolStateRef) as string | null,
    pluginSnapshotRef: opt(value.pluginSnapshotRef) as string | null,
    pluginSnapshotRevision: opt(value.pluginSnapshotRevision) as number | null,
    executionStateRef: opt(value.executionStateRef) as string | null,
  };
}

/** Child refs a manifest names (the GC leaves of a rooted checkpoint). */
export function childRefs(manifest: SessionCheckpointManifest): BlobRef[] {
  return REF_SLOTS.map((slot) => manifest[slot]).filter((r): r is string => r !== null);
}

/** The hydrated checkpoint at `ref`, or null when the manifest blob is missing. */
export function hydrateCheckpoint(blobs: BlobStore, ref: BlobRef): HydratedSessionCheckpoint | null {
  const manifest = readManifest(blobs, ref);
  if (!manifest) return null;
  const load = (r: BlobRef | null) => (r === null ? null : blobs.getTyped(r));
  const executionState = load(manifest.executionStateRef);
  if (executionState !== null && !(executionState instanceof Uint8Array)) {
    throw corruptData(StoreError, 'blobs', manifest.executionStateRef as string, 'execution state is not a byte string');
  }
  return {
    turnState: manifest.turnState,
    toolStateRef: manifest.toolStateRef,
    toolState: load(manifest.toolStateRef),
    pluginSnapshotRef: manifest.pluginSnapshotRef,
    pluginSnapshot: load(manifest.pluginSnapshotRef),
    pluginSnapshotRevision: manifest.pluginSnapshotRevision,
    executionStateRef: manifest.executionStateRef,
    executionState,
  };
}
