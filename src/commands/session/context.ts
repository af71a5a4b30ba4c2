/** What session commands need besides the transaction: typed reads and blob access. */
import type { BlobStore } from '../../blobs/blob-store.js';
import type { AttachmentAdoptionReads } from '../../projections/session/attachments.js';
import type { QueuedWorkReads } from '../../projections/session/queued-work.js';
import type { SessionReads } from '../../projections/session/reads.js';
import type { TurnInputReads } from '../../projections/session/turn-input.js';

export interface SessionContext {
  reads: SessionReads;
  queue: QueuedWorkReads;
  inputs: TurnInputReads;
  attachments: AttachmentAdoptionReads;
  blobs: BlobStore;
}

/** Random values a command needs, drawn before its transaction opens. */
export interface Nonces {
  /** For generated batch and input ids (outbox drafts). */
  ids: number[];
}
