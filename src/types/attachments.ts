/**
 * Shapes of the attachment layers and the session store factory (20-blobs-attachments-lifecycle §1,
 * §4, §6): the write-ahead manifest, the content-addressed attachment stores, the root set that
 * reclamation consults, and the requests the factory takes.
 */
import type { Store } from '../stores/store.js';
import type { DurabilityTier } from './common.js';
import type { AttachmentId, SessionRelation } from './session.js';

/** Who owns an attachment intent until it is committed: a turn or a process. */
export type AttachmentOwnerKind = 'turn' | 'process';

/** A write-ahead intent: recorded before the bytes are written (`ownerKind`/`ownerId` both null or both set). */
export interface AttachmentIntent {
  attachmentId: AttachmentId;
  sessionId: string;
  canonicalUri: string;
  intentAtEpochMs: number;
  ownerKind: AttachmentOwnerKind | null;
  ownerId: string | null;
}

/** A manifest row: the intent plus its first commit stamp (null while uncommitted). */
export interface AttachmentManifestEntry extends AttachmentIntent {
  committedAtEpochMs: number | null;
}

/** Presentation metadata of an image attachment. */
export type AttachmentTypeMetadata = { kind: 'image'; width: number | null; height: number | null };

/** What the caller says about bytes it puts; echoed back, never persisted. */
export interface AttachmentCreateMeta {
  mediaType: string;
  typeMetadata?: AttachmentTypeMetadata | null;
  label?: string | null;
}

/** What a put returns: the content id and the echoed presentation. */
export interface AttachmentRef {
  id: AttachmentId;
  mediaType: string;
  byteLen: number;
  typeMetadata: AttachmentTypeMetadata | null;
  label: string | null;
}

/** The bytes of a stored attachment. */
export interface StoredAttachment {
  bytes: Uint8Array;
}

/** A listed blob and its freshness signal (mtime or stored-at), null when unknown. */
export interface StoredBlobRef {
  id: AttachmentId;
  lastModifiedEpochMs: number | null;
}

/** Whether an attachment store outlives the process. */
export type AttachmentStorePersistence = 'ephemeral' | 'durable';

/**
 * The blob layer: flat, content-addressed, with no notion of sessions. `persistence` and `head` are
 * optional for host implementations: absent, they default to `'ephemeral'` and to a scan of `list()`.
 */
export interface AttachmentStore {
  persistence?(): AttachmentStorePersistence;
  put(bytes: Uint8Array, meta: AttachmentCreateMeta): Promise<AttachmentRef>;
  /** Missing → rejects with `NotFound`. */
  get(id: AttachmentId): Promise<StoredAttachment>;
  /** Idempotent. */
  delete(id: AttachmentId): Promise<void>;
  /** Used only by reclamation. */
  list(): Promise<StoredBlobRef[]>;
  head?(id: AttachmentId): Promise<StoredBlobRef | null>;
}

/** The reference layer: `(sessionId, attachmentId)` rows with intent time, owner and commit stamp. */
export interface AttachmentManifest {
  recordIntent(intent: AttachmentIntent): Promise<void>;
  commitRefs(sessionId: string, attachmentIds: AttachmentId[]): Promise<void>;
  listUncommitted(olderThanEpochMs: number): Promise<AttachmentManifestEntry[]>;
  forget(sessionId: string, attachmentId: AttachmentId): Promise<void>;
  holdsRef(sessionId: string, attachmentId: AttachmentId): Promise<boolean>;
  listAllRefs(): Promise<AttachmentId[]>;
  forgetAgedUncommittedIntents(cutoffEpochMs: number): Promise<void>;
  hasLiveRefForId(attachmentId: AttachmentId, cutoffEpochMs: number): Promise<boolean>;
}

/** Every manifest a reclamation must respect; `liveAttachmentRefs` also reconciles dead intents. */
export interface AttachmentRootSet {
  liveAttachmentRefs(cutoffEpochMs: number): Promise<Set<AttachmentId>>;
  hasLiveAttachmentRef(id: AttachmentId, cutoffEpochMs: number): Promise<boolean>;
}

/** What `reclaimUnreferencedAttachments` did. */
export interface AttachmentReclamationReport {
  scannedBlobCount: number;
  reclaimedCount: number;
  failedIds: AttachmentId[];
  deletedWhileReferenced: AttachmentId[];
}

/** A scoped owner binding of a `SessionAttachmentStore`; `release` restores the previous owner. */
export interface OwnerBinding {
  release(): void;
}

/**
 * What attachment reconciliation needs from a process registry to prove a process owner dead: the
 * process row, or `null` once it has been pruned. `SqliteProcessRegistry` satisfies it.
 */
export interface ProcessOwnerRegistry {
  tryGetProcess(processId: string): Promise<object | null>;
}

/** A request to create or open a session's store; the policy is opaque except `policy.model.id`. */
export interface SessionStoreCreateRequest {
  sessionId: string;
  relation: SessionRelation;
  policy: { model: { id: string; [field: string]: unknown }; [field: string]: unknown };
}

/** Creates, opens and deletes one store per session; also the attachment root set. */
export interface SessionStoreFactory extends AttachmentRootSet {
  durabilityTier(): DurabilityTier;
  createStore(request: SessionStoreCreateRequest): Promise<Store>;
  openExistingStore(request: SessionStoreCreateRequest): Promise<Store | null>;
  deleteSession(sessionId: string): Promise<void>;
}
