/** The attachment layers: content-addressed stores, the session facade, the no-op manifest, reclamation. */
export { attachmentDurabilityTier, canonicalAttachmentUri, contentId } from './content.js';
export { FileAttachmentStore } from './file-store.js';
export { InMemoryAttachmentStore } from './memory-store.js';
export { NoopAttachmentManifest } from './noop-manifest.js';
export { reclaimUnreferencedAttachments } from './reclaim.js';
export { SessionAttachmentStore } from './session-store.js';
