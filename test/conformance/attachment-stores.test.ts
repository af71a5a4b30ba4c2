/**
 * 20-blobs-attachments-lifecycle §10.5, §10.6 and §10.8: the content-addressed attachment stores
 * (in memory and on files), the session facade with its read guard and owner bindings, and the
 * reclamation lever with its grace window and root re-checks.
 */
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type AttachmentRootSet,
  type AttachmentStore,
  attachmentDurabilityTier,
  contentId,
  FileAttachmentStore,
  InMemoryAttachmentStore,
  NoopAttachmentManifest,
  reclaimUnreferencedAttachments,
  SessionAttachmentStore,
  type StoredBlobRef,
} from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { PIXEL, RecordingManifest, RecordingRootSet, sha256hex } from '../support/attachments.js';
import { tempDir } from '../support/backends.js';
import { rejectsWith } from '../support/fixtures.js';

const b = (...xs: number[]) => Uint8Array.from(xs);
const GRACE = 3_600_000;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('§10.5 attachment stores, facade and reclamation', () => {
  it('memory_store_dedupes_by_bytes (#17)', async () => {
    const backend = new InMemoryAttachmentStore();
    const first = await backend.put(b(1, 2, 3), PIXEL);
    const second = await backend.put(b(1, 2, 3), PIXEL);
    expect(first.id).toBe(second.id);
    expect(first.byteLen).toBe(3);
    expect((await backend.get(first.id)).bytes).toEqual(b(1, 2, 3));
  });

  it('memory_store_assigns_identity_and_byte_len_from_bytes (#18)', async () => {
    const ref = await new InMemoryAttachmentStore().put(b(4, 5, 6, 7), PIXEL);
    expect(ref.id).toBe(sha256hex(b(4, 5, 6, 7)));
    expect(ref.byteLen).toBe(4);
  });

  it('memory_store_lists_stored_blobs (#19)', async () => {
    const backend = new InMemoryAttachmentStore();
    const one = await backend.put(b(1), PIXEL);
    const two = await backend.put(b(2), PIXEL);
    const ids = new Set((await backend.list()).map((e) => e.id));
    expect(ids).toEqual(new Set([one.id, two.id]));
  });

  it('facade_get_is_gated_by_manifest_ownership (#20)', async () => {
    const backend = new InMemoryAttachmentStore();
    const manifest = new RecordingManifest();
    const a = new SessionAttachmentStore(backend, manifest, 'session-a');
    const bFacade = new SessionAttachmentStore(backend, manifest, 'session-b');
    const ref = await a.put(b(7, 7, 7), PIXEL);
    expect((await a.get(ref.id)).bytes).toEqual(b(7, 7, 7));
    const getSpy = vi.spyOn(backend, 'get');
    const error = await rejectsWith(bFacade.get(ref.id), 'NotFound');
    expect(error.id).toBe(ref.id);
    expect(String(error.message)).toBe(`attachment \`${ref.id}\` was not found`);
    expect(getSpy).not.toHaveBeenCalled();
  });

  it('facade_delete_drops_ref_but_keeps_backend_bytes (#21)', async () => {
    const backend = new InMemoryAttachmentStore();
    const facade = new SessionAttachmentStore(backend, new RecordingManifest(), 'session-1');
    const ref = await facade.put(b(9, 9), PIXEL);
    await facade.delete(ref.id);
    await rejectsWith(facade.get(ref.id), 'NotFound');
    expect((await backend.get(ref.id)).bytes).toEqual(b(9, 9));
  });

  it('gc_spares_fresh_in_flight_intents_as_refs (#22)', async () => {
    const backend = new InMemoryAttachmentStore();
    const manifest = new RecordingManifest();
    const ref = await new SessionAttachmentStore(backend, manifest, 's').put(b(3, 1, 4), PIXEL);
    const report = await reclaimUnreferencedAttachments(new RecordingRootSet([manifest]), backend, GRACE);
    expect(report.reclaimedCount).toBe(0);
    expect(report.scannedBlobCount).toBe(1);
    expect((await backend.get(ref.id)).bytes).toEqual(b(3, 1, 4));
  });

  it('gc_collects_aged_uncommitted_intent_orphan (#23)', async () => {
    const backend = new InMemoryAttachmentStore();
    const manifest = new RecordingManifest();
    const ref = await new SessionAttachmentStore(backend, manifest, 's').put(b(9, 9, 9), PIXEL);
    const report = await reclaimUnreferencedAttachments(new RecordingRootSet([manifest]), backend, 0);
    expect(report.reclaimedCount).toBe(1);
    await rejectsWith(backend.get(ref.id), 'NotFound');
    expect(await manifest.listAllRefs()).toEqual([]);
  });

  /** A backend double whose listing and head report fixed times; records deletes. */
  function staleBackend(id: string, listedAt: () => number, headAt: () => number) {
    const deleted: string[] = [];
    const backend: AttachmentStore = {
      persistence: () => 'durable',
      put: async () => {
        throw new Error('not used');
      },
      get: async () => ({ bytes: b() }),
      delete: async (x) => {
        deleted.push(x);
      },
      list: async (): Promise<StoredBlobRef[]> => [{ id, lastModifiedEpochMs: listedAt() }],
      head: async (): Promise<StoredBlobRef | null> => ({ id, lastModifiedEpochMs: headAt() }),
    };
    return { backend, deleted };
  }

  function rootSet(live: string[], answers: boolean[]): AttachmentRootSet {
    let call = 0;
    return {
      liveAttachmentRefs: async () => new Set(live),
      hasLiveAttachmentRef: async () => answers[Math.min(call++, answers.length - 1)] ?? false,
    };
  }

  it('gc_delete_recheck_spares_blob_refreshed_after_snapshot (#24)', async () => {
    const clock = new ManualClock(100_000_000);
    const now = () => clock.timestampMs();
    const { backend, deleted } = staleBackend('recheck', () => now() - 7_200_000, now);
    const report = await reclaimUnreferencedAttachments(rootSet([], [false]), backend, GRACE, { clock });
    expect(report.reclaimedCount).toBe(0);
    expect(deleted).toEqual([]);
  });

  it('gc_pre_delete_root_recheck_spares_reappeared_ref (#25)', async () => {
    const clock = new ManualClock(100_000_000);
    const stale = () => clock.timestampMs() - 2 * GRACE;
    const { backend, deleted } = staleBackend('reappeared', stale, stale);
    const report = await reclaimUnreferencedAttachments(rootSet([], [true]), backend, GRACE, { clock });
    expect(report.reclaimedCount).toBe(0);
    expect(report.deletedWhileReferenced).toEqual([]);
    expect(deleted).toEqual([]);
  });

  it('gc_post_delete_root_recheck_alarms_on_window_ref (#26)', async () => {
    const clock = new ManualClock(100_000_000);
    const stale = () => clock.timestampMs() - 2 * GRACE;
    const { backend, deleted } = staleBackend('window-ref', stale, stale);
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const report = await reclaimUnreferencedAttachments(rootSet([], [false, true]), backend, GRACE, { clock });
    expect(report.reclaimedCount).toBe(1);
    expect(deleted).toEqual(['window-ref']);
    expect(report.deletedWhileReferenced).toEqual(['window-ref']);
    expect(warn.mock.calls.some((c) => String(c[0]).includes('window-ref'))).toBe(true);
  });

  it('reclamation never aborts on a per-blob failure and reports it', async () => {
    const clock = new ManualClock(100_000_000);
    const stale = clock.timestampMs() - 2 * GRACE;
    const deleted: string[] = [];
    const backend: AttachmentStore = {
      put: async () => {
        throw new Error('not used');
      },
      get: async () => ({ bytes: b() }),
      delete: async (id) => {
        if (id === 'delete-fails') throw new Error('disk on fire');
        deleted.push(id);
      },
      list: async () =>
        ['head-fails', 'recheck-fails', 'delete-fails', 'vanished', 'ok', 'live'].map((id) => ({
          id,
          lastModifiedEpochMs: id === 'ok' ? null : stale,
        })),
      head: async (id) => {
        if (id === 'head-fails') throw new Error('stat failed');
        if (id === 'vanished') return null;
        return { id, lastModifiedEpochMs: id === 'ok' ? null : stale };
      },
    };
    const roots: AttachmentRootSet = {
      liveAttachmentRefs: async () => new Set(['live']),
      hasLiveAttachmentRef: async (id) => {
        if (id === 'recheck-fails') throw new Error('database locked');
        return false;
      },
    };
    const report = await reclaimUnreferencedAttachments(roots, backend, GRACE, { clock });
    expect(report).toEqual({
      scannedBlobCount: 6,
      reclaimedCount: 1,
      failedIds: ['head-fails', 'recheck-fails', 'delete-fails'],
      deletedWhileReferenced: [],
    });
    expect(deleted).toEqual(['ok']);
  });

  it('reclamation rejects with Backend and deletes nothing when the root set fails', async () => {
    const backend = new InMemoryAttachmentStore();
    await backend.put(b(1), PIXEL);
    const roots: AttachmentRootSet = {
      liveAttachmentRefs: async () => {
        throw new Error('registry closed');
      },
      hasLiveAttachmentRef: async () => false,
    };
    const error = await rejectsWith(reclaimUnreferencedAttachments(roots, backend, 0), 'Backend');
    expect(String(error.message)).toBe(
      'attachment store backend failed: failed to enumerate live attachment refs: registry closed',
    );
    expect(await backend.list()).toHaveLength(1);
    await rejectsWith(reclaimUnreferencedAttachments(roots, backend, Number.NaN), 'InvalidArgument');
  });

  it('a backend without head() is re-checked by scanning list()', async () => {
    const clock = new ManualClock(100_000_000);
    const inner = new InMemoryAttachmentStore({ clock });
    const ref = await inner.put(b(5), PIXEL);
    const backend: AttachmentStore = {
      put: (x, m) => inner.put(x, m),
      get: (id) => inner.get(id),
      delete: (id) => inner.delete(id),
      list: () => inner.list(),
    };
    clock.advance(2 * GRACE);
    const report = await reclaimUnreferencedAttachments(rootSet([], [false]), backend, GRACE, { clock });
    expect(report.reclaimedCount).toBe(1);
    await rejectsWith(inner.get(ref.id), 'NotFound');
    expect(SessionAttachmentStore.ephemeral(backend).persistence()).toBe('ephemeral');
  });

  it('nested_owner_binding_restores_the_previous_owner (#27)', async () => {
    const manifest = new RecordingManifest();
    const facade = new SessionAttachmentStore(new InMemoryAttachmentStore(), manifest, 's');
    const processBinding = facade.bindProcessScoped('process-1');
    const turnBinding = facade.bindTurnScoped('turn-1');
    await facade.put(b(1), PIXEL);
    turnBinding.release();
    await facade.put(b(2), PIXEL);
    processBinding.release();
    await facade.put(b(3), PIXEL);
    turnBinding.release();
    await facade.put(b(4), PIXEL);
    expect(manifest.recorded.map((i) => [i.ownerKind, i.ownerId])).toEqual([
      ['turn', 'turn-1'],
      ['process', 'process-1'],
      [null, null],
      [null, null],
    ]);
  });

  it('an out-of-order release leaves the inner owner bound', async () => {
    const manifest = new RecordingManifest();
    const facade = new SessionAttachmentStore(new InMemoryAttachmentStore(), manifest, 's');
    const outer = facade.bindProcessScoped('p');
    facade.bindTurnScoped('t');
    outer.release();
    await facade.put(b(1), PIXEL);
    expect(manifest.recorded[0]).toMatchObject({ ownerKind: 'turn', ownerId: 't' });
  });

  it('ephemeral_facade_passes_reads_through_without_a_guard (#28)', async () => {
    const facade = SessionAttachmentStore.inMemory();
    const ref = await facade.put(b(1, 2, 3), PIXEL);
    expect((await facade.get(ref.id)).bytes).toEqual(b(1, 2, 3));
    expect(facade.persistence()).toBe('ephemeral');
  });

  it('the facade records the intent before the bytes, with the canonical URI and the clock time', async () => {
    const clock = new ManualClock(42_000);
    const order: string[] = [];
    const manifest = new RecordingManifest();
    const recordIntent = manifest.recordIntent.bind(manifest);
    manifest.recordIntent = async (i) => {
      order.push('intent');
      await recordIntent(i);
    };
    const inner = new InMemoryAttachmentStore();
    const backend: AttachmentStore = {
      persistence: () => inner.persistence(),
      put: async (x, m) => {
        order.push('bytes');
        return inner.put(x, m);
      },
      get: (id) => inner.get(id),
      delete: (id) => inner.delete(id),
      list: () => inner.list(),
    };
    const ref = await new SessionAttachmentStore(backend, manifest, 'sess', clock).put(b(8), PIXEL);
    expect(order).toEqual(['intent', 'bytes']);
    expect(manifest.recorded[0]).toEqual({
      attachmentId: ref.id,
      sessionId: 'sess',
      canonicalUri: `lash-attachment://sha256/${ref.id}`,
      intentAtEpochMs: 42_000,
      ownerKind: null,
      ownerId: null,
    });
  });

  it('facade failures: a refused intent writes no bytes; a wrong backend id is Backend; a failing guard is Backend', async () => {
    const backend = new InMemoryAttachmentStore();
    const failing = new RecordingManifest();
    failing.recordIntent = async () => {
      throw new Error('disk full');
    };
    failing.holdsRef = async () => {
      throw new Error('locked');
    };
    failing.forget = async () => {
      throw new Error('readonly');
    };
    const facade = new SessionAttachmentStore(backend, failing, 's');
    const id = contentId(b(6));
    const put = await rejectsWith(facade.put(b(6), PIXEL), 'ManifestRecordFailed');
    expect(String(put.message)).toBe(
      `attachment manifest write failed: failed to record attachment intent for \`${id}\`: disk full`,
    );
    expect(await backend.list()).toEqual([]);
    const get = await rejectsWith(facade.get(id), 'Backend');
    expect(String(get.message)).toBe(
      `attachment store backend failed: failed to check attachment manifest for \`${id}\`: locked`,
    );
    const del = await rejectsWith(facade.delete(id), 'ManifestRecordFailed');
    expect(String(del.message)).toContain(`failed to forget attachment ref for \`${id}\`: readonly`);
    const lying: AttachmentStore = {
      put: async (x, m) => ({ ...(await backend.put(x, m)), id: 'other-id' }),
      get: (x) => backend.get(x),
      delete: (x) => backend.delete(x),
      list: () => backend.list(),
    };
    const wrong = await rejectsWith(new SessionAttachmentStore(lying, new RecordingManifest(), 's').put(b(6), PIXEL), 'Backend');
    expect(String(wrong.message)).toBe(
      `attachment store backend failed: attachment store returned id \`other-id\` after manifest intent for \`${id}\``,
    );
  });

  it('NoopAttachmentManifest tracks nothing and guards nothing', async () => {
    const noop = new NoopAttachmentManifest();
    await noop.recordIntent({
      attachmentId: 'a',
      sessionId: 's',
      canonicalUri: 'u',
      intentAtEpochMs: 1,
      ownerKind: null,
      ownerId: null,
    });
    await noop.commitRefs('s', ['a']);
    await noop.forget('s', 'a');
    await noop.forgetAgedUncommittedIntents(10);
    expect(await noop.listUncommitted(Number.MAX_SAFE_INTEGER)).toEqual([]);
    expect(await noop.listAllRefs()).toEqual([]);
    expect(await noop.holdsRef('s', 'anything')).toBe(true);
    expect(await noop.hasLiveRefForId('a', 10)).toBe(false);
  });

  it('attachmentDurabilityTier maps ephemeral to inline and durable to durable', () => {
    expect(attachmentDurabilityTier('ephemeral')).toBe('inline');
    expect(attachmentDurabilityTier('durable')).toBe('durable');
    expect(() => attachmentDurabilityTier('cloud' as 'durable')).toThrow(/persistence/);
    expect(contentId(b(1, 2, 3))).toBe(sha256hex(b(1, 2, 3)));
  });
});

describe('§10.6 file attachment store', () => {
  const META = { mediaType: 'image/png', typeMetadata: { kind: 'image' as const, width: 7, height: 11 }, label: 'pixel' };

  it('file_store_round_trips_bytes_and_metadata (#30)', async () => {
    const store = new FileAttachmentStore(tempDir());
    const ref = await store.put(b(1, 2, 3), META);
    expect((await store.get(ref.id)).bytes).toEqual(b(1, 2, 3));
    expect(ref).toEqual({ id: sha256hex(b(1, 2, 3)), byteLen: 3, ...META });
    expect(store.persistence()).toBe('durable');
  });

  it('file_store_writes_atomically_without_temp_litter (#31)', async () => {
    const root = tempDir();
    const store = new FileAttachmentStore(root);
    const ref = await store.put(b(9, 8, 7, 6), META);
    const path = join(root, 'sha256', ref.id.slice(0, 2), ref.id);
    expect(existsSync(path)).toBe(true);
    expect(readdirSync(join(root, 'sha256', ref.id.slice(0, 2))).filter((n) => n.includes('.staging.'))).toEqual([]);
    expect((await store.get(ref.id)).bytes).toEqual(b(9, 8, 7, 6));
  });

  it('file_store_ignores_stale_staging_file (#32)', async () => {
    const root = tempDir();
    const id = sha256hex(b(1, 1, 1));
    const dir = join(root, 'sha256', id.slice(0, 2));
    await mkdir(dir, { recursive: true });
    writeFileSync(join(dir, `${id}.staging.999.0.tmp`), 'stale partial write');
    const store = new FileAttachmentStore(root);
    await store.put(b(1, 1, 1), META);
    expect((await store.get(id)).bytes).toEqual(b(1, 1, 1));
    const listed = await store.list();
    expect(listed.map((e) => e.id)).toEqual([id]);
  });

  it('file_store_put_refreshes_mtime_on_dedup_hit (#33)', async () => {
    const root = tempDir();
    const store = new FileAttachmentStore(root);
    const ref = await store.put(b(2, 4, 6), META);
    utimesSync(join(root, 'sha256', ref.id.slice(0, 2), ref.id), 1000, 1000);
    const aged = await store.head(ref.id);
    await store.put(b(2, 4, 6), META);
    const refreshed = await store.head(ref.id);
    expect(aged?.lastModifiedEpochMs).toBe(1_000_000);
    expect(refreshed?.lastModifiedEpochMs as number).toBeGreaterThan(aged?.lastModifiedEpochMs as number);
  });

  it('file_store_is_flat_content_addressed_across_writers (#34)', async () => {
    const root = tempDir();
    const one = new FileAttachmentStore(root);
    const two = new FileAttachmentStore(root);
    const first = await one.put(b(7, 7, 7), META);
    const second = await two.put(b(7, 7, 7), META);
    expect(first.id).toBe(second.id);
    expect(one.pathFor(first.id)).toBe(two.pathFor(second.id));
    expect(await one.list()).toHaveLength(1);
  });

  it('the file store takes mtimes from its clock and rewrites damaged (wrong-size) content', async () => {
    const root = tempDir();
    const clock = new ManualClock(1_700_000_000_000);
    const store = new FileAttachmentStore(root, { clock });
    const ref = await store.put(b(1, 2, 3, 4), META);
    expect((await store.head(ref.id))?.lastModifiedEpochMs).toBe(1_700_000_000_000);
    const path = store.pathFor(ref.id);
    writeFileSync(path, Uint8Array.from([9]));
    clock.advance(5000);
    await store.put(b(1, 2, 3, 4), META);
    expect((await store.get(ref.id)).bytes).toEqual(b(1, 2, 3, 4));
    expect(Math.floor(statSync(path).mtimeMs)).toBe(1_700_000_005_000);
  });

  it('ids that are not content ids never become paths: NotFound, null, no-op', async () => {
    const root = tempDir();
    const store = new FileAttachmentStore(root);
    for (const id of ['../../etc/passwd', `${'a'.repeat(63)}/`, 'A'.repeat(64), 'sha256:does-not-exist', '', '..']) {
      await rejectsWith(store.get(id), 'NotFound');
      expect(await store.head(id)).toBeNull();
      await store.delete(id);
    }
    expect(() => store.pathFor('../x')).toThrow(/content id/);
    expect(await store.list()).toEqual([]);
    await rejectsWith(store.put('nope' as unknown as Uint8Array, META), 'InvalidArgument');
    await rejectsWith(store.put(b(1), { mediaType: 5 } as unknown as typeof META), 'InvalidArgument');
  });

  it('an unreadable blob path is Io, not NotFound', async () => {
    const root = tempDir();
    const store = new FileAttachmentStore(root);
    const id = sha256hex(b(3));
    await mkdir(join(root, 'sha256', id.slice(0, 2), id), { recursive: true });
    const error = await rejectsWith(store.get(id), 'Io');
    expect(error.path).toBe(store.pathFor(id));
    expect(String(error.message)).toContain(`attachment store I/O failed at ${store.pathFor(id)}:`);
  });
});

/** §10.8: the suite every attachment store passes; `make()` gives `open` and, if durable, `reopen`. */
function attachmentStoreSuite(
  title: string,
  persistence: 'durable' | 'ephemeral',
  make: () => { open: AttachmentStore; reopen: AttachmentStore | null },
) {
  const META = { mediaType: 'image/png', typeMetadata: { kind: 'image' as const, width: 7, height: 11 }, label: 'pixel' };
  describe(title, () => {
    it('reports its persistence', () => {
      const { open } = make();
      expect(open.persistence?.()).toBe(persistence);
    });

    it('attachment_put_get_round_trips_bytes_and_meta (#39)', async () => {
      const { open } = make();
      const ref = await open.put(b(1, 2, 3, 4, 5), META);
      expect((await open.get(ref.id)).bytes).toEqual(b(1, 2, 3, 4, 5));
      expect(ref.byteLen).toBe(5);
      expect(ref.mediaType).toBe('image/png');
      expect(ref.typeMetadata).toEqual({ kind: 'image', width: 7, height: 11 });
      expect(ref.label).toBe('pixel');
    });

    it('attachment_is_content_addressed (#40)', async () => {
      const { open } = make();
      const a = await open.put(b(9, 9, 9), META);
      const a2 = await open.put(b(9, 9, 9), META);
      const c = await open.put(b(9, 9, 8), META);
      expect(a.id).toBe(a2.id);
      expect(c.id).not.toBe(a.id);
    });

    it('attachment_get_unknown_is_not_found (#41)', async () => {
      const { open } = make();
      await rejectsWith(open.get('sha256:does-not-exist'), 'NotFound');
    });

    it('attachment_delete_removes_content_and_is_idempotent (#42)', async () => {
      const { open } = make();
      const ref = await open.put(b(5, 6, 7, 8), META);
      await open.get(ref.id);
      await open.delete(ref.id);
      await rejectsWith(open.get(ref.id), 'NotFound');
      await open.delete(ref.id);
      await open.delete('sha256:never-existed');
    });

    it('attachment_list_enumerates_stored_blobs (#43)', async () => {
      const { open } = make();
      expect(await open.list()).toEqual([]);
      const one = await open.put(b(1, 1, 1), META);
      const two = await open.put(b(2, 2, 2, 2), META);
      await open.put(b(1, 1, 1), META);
      const ids = new Set((await open.list()).map((e) => e.id));
      expect(ids).toEqual(new Set([one.id, two.id]));
      await open.delete(one.id);
      const after = (await open.list()).map((e) => e.id);
      expect(after).not.toContain(one.id);
      expect(after).toContain(two.id);
    });

    if (persistence === 'durable') {
      it('attachment_store_survives_reopen (#44)', async () => {
        const { open, reopen } = make();
        const ref = await open.put(b(4, 3, 2, 1), META);
        expect(ref.byteLen).toBe(4);
        expect((await (reopen as AttachmentStore).get(ref.id)).bytes).toEqual(b(4, 3, 2, 1));
      });
    }
  });
}

attachmentStoreSuite('§10.8 suite: InMemoryAttachmentStore', 'ephemeral', () => ({
  open: new InMemoryAttachmentStore(),
  reopen: null,
}));

// §10.6 #35 file_attachment_store_satisfies_conformance: two stores on one fresh root.
attachmentStoreSuite('§10.8 suite: FileAttachmentStore (file_attachment_store_satisfies_conformance, #35)', 'durable', () => {
  const root = tempDir();
  return { open: new FileAttachmentStore(root), reopen: new FileAttachmentStore(root) };
});
