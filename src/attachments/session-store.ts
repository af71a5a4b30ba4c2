/**
 * `SessionAttachmentStore` (20-blobs-attachments-lifecycle §4.6): the session-scoped facade over a
 * flat attachment store and a manifest. A put records the write-ahead intent (with the current
 * owner) before any byte is written; a get is refused unless this session holds a ref, without
 * touching the backend; a delete only forgets the ref — reclamation removes bytes.
 */
import { type Clock, systemClock } from '../clock.js';
import { invalidArgument, StoreError } from '../errors.js';
import type {
  AttachmentCreateMeta,
  AttachmentManifest,
  AttachmentOwnerKind,
  AttachmentRef,
  AttachmentStore,
  AttachmentStorePersistence,
  OwnerBinding,
  StoredAttachment,
} from '../types/attachments.js';
import { attachmentBytesInput, attachmentMetaInput, canonicalAttachmentUri, contentId, persistenceOf } from './content.js';
import { attachmentBackend, attachmentNotFound, manifestRecordFailed, messageOf } from './errors.js';
import { InMemoryAttachmentStore } from './memory-store.js';
import { NoopAttachmentManifest } from './noop-manifest.js';

interface Owner {
  kind: AttachmentOwnerKind;
  id: string;
}

export class SessionAttachmentStore {
  readonly #backend: AttachmentStore;
  readonly #manifest: AttachmentManifest;
  readonly #sessionId: string;
  readonly #clock: Clock;
  #owner: Owner | null = null;

  constructor(backend: AttachmentStore, manifest: AttachmentManifest, sessionId: string, clock: Clock = systemClock) {
    if (backend === null || typeof backend !== 'object') throw invalidArgument(StoreError, 'backend', 'an AttachmentStore');
    if (manifest === null || typeof manifest !== 'object') throw invalidArgument(StoreError, 'manifest', 'an AttachmentManifest');
    if (typeof sessionId !== 'string') throw invalidArgument(StoreError, 'sessionId', 'a string');
    this.#backend = backend;
    this.#manifest = manifest;
    this.#sessionId = sessionId;
    this.#clock = clock;
  }

  /** A facade with no manifest (nothing tracked, no read guard) over `backend`. */
  static ephemeral(backend: AttachmentStore): SessionAttachmentStore {
    return new SessionAttachmentStore(backend, new NoopAttachmentManifest(), '');
  }

  /** `ephemeral(new InMemoryAttachmentStore())`. */
  static inMemory(): SessionAttachmentStore {
    return SessionAttachmentStore.ephemeral(new InMemoryAttachmentStore());
  }

  /**
   * Records the intent (content id, canonical URI, now, current owner), then writes the bytes. A
   * manifest failure is `ManifestRecordFailed` and no byte is written; a backend that returns another
   * id than the content id is `Backend`.
   */
  async put(bytes: Uint8Array, meta: AttachmentCreateMeta): Promise<AttachmentRef> {
    const data = attachmentBytesInput(bytes);
    attachmentMetaInput(meta);
    const id = contentId(data);
    const owner = this.#owner;
    try {
      await this.#manifest.recordIntent({
        attachmentId: id,
        sessionId: this.#sessionId,
        canonicalUri: canonicalAttachmentUri(id),
        intentAtEpochMs: this.#clock.timestampMs(),
        ownerKind: owner?.kind ?? null,
        ownerId: owner?.id ?? null,
      });
    } catch (error) {
      throw manifestRecordFailed(`failed to record attachment intent for \`${id}\`: ${messageOf(error)}`, error);
    }
    const ref = await this.#backend.put(data, meta);
    if (ref.id !== id) {
      throw attachmentBackend(`attachment store returned id \`${ref.id}\` after manifest intent for \`${id}\``);
    }
    return ref;
  }

  /** The bytes, only when this session holds a ref; otherwise `NotFound` without asking the backend. */
  async get(id: string): Promise<StoredAttachment> {
    if (typeof id !== 'string') throw invalidArgument(StoreError, 'id', 'a string');
    let held: boolean;
    try {
      held = await this.#manifest.holdsRef(this.#sessionId, id);
    } catch (error) {
      throw attachmentBackend(`failed to check attachment manifest for \`${id}\`: ${messageOf(error)}`, error);
    }
    if (!held) throw attachmentNotFound(id);
    return this.#backend.get(id);
  }

  /** Forgets this session's ref; the bytes stay until reclamation. */
  async delete(id: string): Promise<void> {
    if (typeof id !== 'string') throw invalidArgument(StoreError, 'id', 'a string');
    try {
      await this.#manifest.forget(this.#sessionId, id);
    } catch (error) {
      throw manifestRecordFailed(`failed to forget attachment ref for \`${id}\`: ${messageOf(error)}`, error);
    }
  }

  /** The backend's persistence. */
  persistence(): AttachmentStorePersistence {
    return persistenceOf(this.#backend);
  }

  /** Makes turn `turnId` the owner of later puts until the binding is released. */
  bindTurnScoped(turnId: string): OwnerBinding {
    if (typeof turnId !== 'string') throw invalidArgument(StoreError, 'turnId', 'a string');
    return this.#bind({ kind: 'turn', id: turnId });
  }

  /** Makes process `processId` the owner of later puts until the binding is released. */
  bindProcessScoped(processId: string): OwnerBinding {
    if (typeof processId !== 'string') throw invalidArgument(StoreError, 'processId', 'a string');
    return this.#bind({ kind: 'process', id: processId });
  }

  /** Stack-like: release restores the previous owner only while this binding's owner is current. */
  #bind(owner: Owner): OwnerBinding {
    const previous = this.#owner;
    this.#owner = owner;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const current = this.#owner;
        if (current !== null && current.kind === owner.kind && current.id === owner.id) this.#owner = previous;
      },
    };
  }
}
