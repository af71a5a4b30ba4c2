/** Blob descriptors and the compression predicate (20-blobs-attachments-lifecycle §2.5–§2.6). */
import type {
  BlobProfile,
  BlobStorageHint,
  BlobArtifactDescriptor as Descriptor,
  PersistedArtifactKind,
} from '../types/session.js';

/** Descriptor constructors, one per artifact kind. */
export const BlobArtifactDescriptor = {
  checkpointManifest: (): Descriptor => ({ kind: 'checkpointManifest', hints: ['compressible'] }),
  toolStateSnapshot: (): Descriptor => ({ kind: 'toolState', hints: ['compressible', 'largePayload'] }),
  pluginSessionSnapshot: (): Descriptor => ({ kind: 'pluginSessionSnapshot', hints: ['compressible', 'largePayload'] }),
  executionStateSnapshot: (): Descriptor => ({ kind: 'executionStateSnapshot', hints: ['compressible', 'largePayload'] }),
  lashlangModule: (): Descriptor => ({ kind: 'lashlangModule', hints: ['compressible', 'largePayload'] }),
  processExecutionEnv: (): Descriptor => ({ kind: 'processExecutionEnv', hints: ['compressible'] }),
  genericBlob: (): Descriptor => ({ kind: 'genericBlob', hints: [] }),
};

export const ARTIFACT_KINDS: ReadonlySet<PersistedArtifactKind> = new Set<PersistedArtifactKind>([
  'genericBlob',
  'checkpointManifest',
  'toolState',
  'pluginSessionSnapshot',
  'executionStateSnapshot',
  'lashlangModule',
  'processExecutionEnv',
]);

export const STORAGE_HINTS: ReadonlySet<BlobStorageHint> = new Set<BlobStorageHint>([
  'compressible',
  'inlinePreferred',
  'largePayload',
]);

/** Whether a blob of `len` logical bytes is stored zlib-compressed. */
export function shouldCompress(profile: BlobProfile, descriptor: Descriptor, len: number, maxInflated: number): boolean {
  if (!descriptor.hints.includes('compressible')) return false;
  if (len > maxInflated) return false;
  if (profile === 'balanced') return len >= 4096;
  if (profile === 'compact') return len >= 1024;
  return false;
}
