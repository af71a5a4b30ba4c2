/** 20-blobs-attachments-lifecycle §10.14 entries 64–69: content addresses, envelopes, compression, corruption. */
import { unzlibSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { BlobArtifactDescriptor, type BlobProfile } from '../../src/index.js';
import { fileBackend, type StoreHandle } from '../support/backends.js';
import { bytes, rejectsWith } from '../support/fixtures.js';
import { decodeEnvelope, encodeEnvelope, rawBlob, rawBlobCount, setRawBlob, sha256hex } from '../support/raw.js';

const plain = (b: Uint8Array) => Uint8Array.from(b);

function pattern(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => i % 7);
}

async function openFile(blobProfile?: BlobProfile): Promise<StoreHandle & { path: string }> {
  const handle = await fileBackend.open(blobProfile === undefined ? {} : { blobProfile });
  if (handle.path === null) throw new Error('file backend without a path');
  return { ...handle, path: handle.path };
}

function rawEnvelope(path: string, ref: string) {
  const content = rawBlob(path, ref);
  if (content === undefined) throw new Error(`no raw row ${ref}`);
  return decodeEnvelope(content);
}

describe('blobs (file Store, raw connection)', () => {
  it('blob_ref_is_sha256_of_logical_bytes_across_profiles', async () => {
    const descriptors = {
      toolStateSnapshot: BlobArtifactDescriptor.toolStateSnapshot(),
      genericBlob: BlobArtifactDescriptor.genericBlob(),
    };
    for (const profile of ['lowLatency', 'balanced', 'compact'] as const) {
      for (const [name, descriptor] of Object.entries(descriptors)) {
        // A fresh store per profile AND descriptor: both descriptors write the same bytes, and the
        // first writer's envelope wins (§2.10), which would hide the second descriptor's compression.
        const { store, path } = await openFile(profile);
        for (const length of [0, 1023, 1024, 4095, 4096, 20_000]) {
          const data = pattern(length);
          const ref = await store.putArtifactBlob(descriptor, data);
          const where = `${profile}/${name}/${length}`;
          expect(ref, where).toBe(sha256hex(data));
          expect(await store.getBlob(ref), where).toEqual(data);
          const compressible = name === 'toolStateSnapshot';
          const compressed =
            compressible && ((profile === 'compact' && length >= 1024) || (profile === 'balanced' && length >= 4096));
          expect(rawEnvelope(path, ref).compression, where).toBe(compressed ? 'zlib' : 'none');
        }
      }
    }
  });

  it('compressed_envelope_uses_zlib_framing', async () => {
    const { store, path } = await openFile('balanced');
    const data = bytes('lash '.repeat(Math.ceil(8192 / 5)).slice(0, 8192));
    expect(data.length).toBe(8192);
    const ref = await store.putArtifactBlob(BlobArtifactDescriptor.toolStateSnapshot(), data);
    const envelope = rawEnvelope(path, ref);
    expect(envelope.descriptor).toEqual({ kind: 'toolState', hints: ['compressible', 'largePayload'] });
    expect(envelope.compression).toBe('zlib');
    const content = envelope.content;
    expect(content[0]).toBe(0x78);
    expect(((content[0] as number) * 256 + (content[1] as number)) % 31).toBe(0);
    expect(plain(unzlibSync(content))).toEqual(data);
    expect(content.length).toBeLessThan(8192);
  });

  it('put_blob_writes_a_generic_envelope_and_first_writer_wins', async () => {
    const { store, path } = await openFile('balanced');
    const data = new Uint8Array(5000).fill(0x2a);
    const ref = await store.putBlob(data);
    const envelope = rawEnvelope(path, ref);
    expect(envelope.descriptor).toEqual({ kind: 'genericBlob', hints: [] });
    expect(envelope.compression).toBe('none');
    expect(await store.getBlob(ref)).toEqual(data);
    const rowBefore = rawBlob(path, ref);
    const countBefore = rawBlobCount(path);
    const eventsBefore = await store.readEvents();
    expect(await store.putArtifactBlob(BlobArtifactDescriptor.toolStateSnapshot(), data)).toBe(ref);
    expect(rawBlob(path, ref)?.equals(rowBefore as Buffer)).toBe(true);
    expect(rawBlobCount(path)).toBe(countBefore);
    expect(await store.readEvents(), 'a put that inserts nothing appends no event').toEqual(eventsBefore);
  });

  it('undecodable_envelope_raises_corrupt_data', async () => {
    const handle = await openFile();
    const ref = await handle.store.putArtifactBlob(BlobArtifactDescriptor.genericBlob(), Uint8Array.from([1, 2, 3]));
    await handle.store.close();
    setRawBlob(handle.path, ref, Uint8Array.from([0xc1]));
    const store = await handle.reopen();
    const error = await rejectsWith(store.getBlob(ref), 'CorruptData');
    expect(error.table).toBe('blobs');
    expect(error.key).toBe(ref);
    expect(error.message).toContain(`corrupt data in table blobs at key ${ref}`);
    await rejectsWith(store.getTypedBlob(ref), 'CorruptData');
  });

  it('failed_inflate_raises_corrupt_data', async () => {
    const handle = await openFile('compact');
    const ref = await handle.store.putArtifactBlob(BlobArtifactDescriptor.toolStateSnapshot(), pattern(4096));
    await handle.store.close();
    const envelope = rawEnvelope(handle.path, ref);
    expect(envelope.compression).toBe('zlib');
    setRawBlob(
      handle.path,
      ref,
      encodeEnvelope({ ...envelope, content: envelope.content.subarray(0, envelope.content.length >> 1) }),
    );
    const store = await handle.reopen();
    const error = await rejectsWith(store.getBlob(ref), 'CorruptData');
    expect(error.table).toBe('blobs');
    expect(error.key).toBe(ref);
  });

  it('content_hash_mismatch_raises_corrupt_data', async () => {
    const handle = await openFile('lowLatency');
    const ref = await handle.store.putArtifactBlob(BlobArtifactDescriptor.genericBlob(), bytes('hello'));
    await handle.store.close();
    const envelope = rawEnvelope(handle.path, ref);
    setRawBlob(handle.path, ref, encodeEnvelope({ ...envelope, content: bytes('hellp') }));
    const store = await handle.reopen();
    const error = await rejectsWith(store.getBlob(ref), 'CorruptData');
    expect(error.table).toBe('blobs');
    expect(error.key).toBe(ref);
    expect(error.detail).toContain('content hash mismatch');
  });
});
