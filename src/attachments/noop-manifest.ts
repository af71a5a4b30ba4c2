/**
 * `NoopAttachmentManifest` (20-blobs-attachments-lifecycle §4.3): tracks nothing and guards nothing.
 * `holdsRef` is always true so an ephemeral facade never refuses a read; nothing is ever live.
 */
import type { AttachmentIntent, AttachmentManifest, AttachmentManifestEntry } from '../types/attachments.js';

export class NoopAttachmentManifest implements AttachmentManifest {
  /** Records nothing. */
  async recordIntent(_intent: AttachmentIntent): Promise<void> {}

  /** Commits nothing. */
  async commitRefs(_sessionId: string, _attachmentIds: string[]): Promise<void> {}

  /** Always empty. */
  async listUncommitted(_olderThanEpochMs: number): Promise<AttachmentManifestEntry[]> {
    return [];
  }

  /** Forgets nothing. */
  async forget(_sessionId: string, _attachmentId: string): Promise<void> {}

  /** Always true: imposes no session guard. */
  async holdsRef(_sessionId: string, _attachmentId: string): Promise<boolean> {
    return true;
  }

  /** Always empty. */
  async listAllRefs(): Promise<string[]> {
    return [];
  }

  /** Does nothing. */
  async forgetAgedUncommittedIntents(_cutoffEpochMs: number): Promise<void> {}

  /** Always false: nothing is tracked, so nothing is live. */
  async hasLiveRefForId(_attachmentId: string, _cutoffEpochMs: number): Promise<boolean> {
    return false;
  }
}
