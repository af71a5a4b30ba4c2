/**
 * 20-blobs-attachments-lifecycle §5 and §10.1 #4, §10.4 #14, §10.9, §10.11, §10.12, §10.14 #76:
 * artifact refs, the lashlang module artifact store, raw artifacts, process execution envs and the
 * current trigger manifest — round trips, overwrites, namespace isolation, reopen, GC roots and the
 * handling of damaged pointers.
 */
import Database from 'better-sqlite3';
import { unpack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import {
  CURRENT_TRIGGER_MANIFEST_NAMESPACE,
  MODULE_ARTIFACT_NAMESPACE,
  type ModuleArtifact,
  PROCESS_ENV_NAMESPACE,
  RAW_ARTIFACT_NAMESPACE,
  Store,
} from '../../src/index.js';
import { moduleArtifact, sha256hex } from '../support/attachments.js';
import { describeBackends, fileBackend, tempDir, track } from '../support/backends.js';
import { bytes, rejectsWith } from '../support/fixtures.js';

const decode = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));

function rawPointer(path: string, namespace: string, key: string): string | undefined {
  const raw = new Database(path, { readonly: true });
  try {
    return raw
      .prepare('SELECT blob_ref FROM artifact_refs WHERE namespace = ? AND artifact_ref = ?')
      .pluck()
      .get(namespace, key) as string | undefined;
  } finally {
    raw.close();
  }
}

function rawBlobCount(path: string): number {
  const raw = new Database(path, { readonly: true });
  try {
    return raw.prepare('SELECT count(*) FROM blobs').pluck().get() as number;
  } finally {
    raw.close();
  }
}

function rawSetBlob(path: string, ref: string, content: Uint8Array | null): void {
  const raw = new Database(path);
  try {
    if (content === null) raw.prepare('DELETE FROM blobs WHERE hash = ?').run(ref);
    else raw.prepare('UPDATE blobs SET content = ? WHERE hash = ?').run(content, ref);
  } finally {
    raw.close();
  }
}

/** §10.4 #14: each `make()` is a fresh `artifacts.db` with two handles, `open` and `reopen`. */
async function makeArtifactStores(): Promise<{ open: Store; reopen: Store; path: string }> {
  const path = `${tempDir()}/artifacts.db`;
  const open = track(await Store.open(path));
  const reopen = track(await Store.open(path));
  return { open, reopen, path };
}

describe('sqlite_artifact_store_satisfies_conformance (§10.4 #14)', () => {
  // §10.11 lashlang artifact store suite.
  it('tier check (#54)', async () => {
    const { open } = await makeArtifactStores();
    expect(open.durabilityTier()).toBe('durable');
  });

  it('module_artifact_round_trips (#55)', async () => {
    const { open } = await makeArtifactStores();
    const artifact = moduleArtifact('alpha');
    expect(await open.getModuleArtifact(artifact.moduleRef)).toBeNull();
    await open.putModuleArtifact(artifact);
    expect(await open.getModuleArtifact(artifact.moduleRef)).toEqual(artifact);
    await open.putModuleArtifact(artifact);
    expect(await open.getModuleArtifact(artifact.moduleRef)).toEqual(artifact);
  });

  it('raw_artifact_round_trips (#56)', async () => {
    const { open } = await makeArtifactStores();
    expect(await open.getArtifactBytes('raw:missing')).toBeNull();
    await open.putArtifactBytes('raw:sample', 'generic', bytes('raw-artifact-payload'));
    expect(await open.getArtifactBytes('raw:sample')).toEqual(bytes('raw-artifact-payload'));
  });

  it('raw_artifact_overwrite (#57)', async () => {
    const { open } = await makeArtifactStores();
    await open.putArtifactBytes('raw:overwrite', 'generic', bytes('first'));
    await open.putArtifactBytes('raw:overwrite', 'generic', bytes('second'));
    expect(decode(await open.getArtifactBytes('raw:overwrite'))).toBe('second');
  });

  it('module_and_raw_namespaces_isolate (#58)', async () => {
    const { open } = await makeArtifactStores();
    const artifact = moduleArtifact('gamma');
    const K = artifact.moduleRef;
    await open.putModuleArtifact(artifact);
    await open.putArtifactBytes(K, 'generic', bytes('not-a-module-artifact'));
    expect(await open.getModuleArtifact(K)).toEqual(artifact);
    expect(decode(await open.getArtifactBytes(K))).toBe('not-a-module-artifact');
  });

  it('survives_reopen (#59)', async () => {
    const { open, reopen } = await makeArtifactStores();
    const artifact = moduleArtifact('epsilon', ['reopen-key']);
    await open.putModuleArtifact(artifact);
    await open.putArtifactBytes('raw:reopen', 'generic', bytes('raw-reopen'));
    await open.replaceCurrentTriggerManifest('session:reopen', artifact);
    expect(await reopen.getModuleArtifact(artifact.moduleRef)).toEqual(artifact);
    expect(decode(await reopen.getArtifactBytes('raw:reopen'))).toBe('raw-reopen');
    const current = await reopen.getCurrentTriggerManifest('session:reopen');
    expect(current?.moduleRef).toBe(artifact.moduleRef);
    expect(current?.manifest.subscriptionKeys).toContain('reopen-key');
  });

  // §10.9 process execution env store suite.
  it('tier check (#45)', async () => {
    const { reopen } = await makeArtifactStores();
    expect(reopen.durabilityTier()).toBe('durable');
  });

  it('process_env_round_trips (#46)', async () => {
    const { open } = await makeArtifactStores();
    expect(await open.getProcessExecutionEnv('process-env:round-trip')).toBeNull();
    await open.putProcessExecutionEnv('process-env:round-trip', bytes('env-bytes'));
    expect(decode(await open.getProcessExecutionEnv('process-env:round-trip'))).toBe('env-bytes');
  });

  it('process_env_overwrite (#47)', async () => {
    const { open } = await makeArtifactStores();
    await open.putProcessExecutionEnv('process-env:overwrite', bytes('first'));
    await open.putProcessExecutionEnv('process-env:overwrite', bytes('second'));
    expect(decode(await open.getProcessExecutionEnv('process-env:overwrite'))).toBe('second');
  });

  it('process_env_survives_reopen (#48)', async () => {
    const { open, reopen } = await makeArtifactStores();
    await open.putProcessExecutionEnv('process-env:reopen', bytes('env-reopen'));
    expect(decode(await reopen.getProcessExecutionEnv('process-env:reopen'))).toBe('env-reopen');
  });

  // §10.12.
  it('cross_namespace_isolation (#60)', async () => {
    const { open, reopen } = await makeArtifactStores();
    const artifact = moduleArtifact('delta');
    const K = artifact.moduleRef;
    await open.putModuleArtifact(artifact);
    await open.putArtifactBytes(K, 'generic', bytes('raw-bytes'));
    await open.putProcessExecutionEnv(K, bytes('env-bytes'));
    for (const store of [open, reopen]) {
      expect(await store.getModuleArtifact(K)).toEqual(artifact);
      expect(decode(await store.getArtifactBytes(K))).toBe('raw-bytes');
      expect(decode(await store.getProcessExecutionEnv(K))).toBe('env-bytes');
    }
  });
});

describeBackends('artifact refs and module artifacts', (backend) => {
  it('sqlite_lashlang_artifact_store_round_trips_verified_module_artifacts (§10.1 #4)', async () => {
    const { store } = await backend.open();
    const artifact = moduleArtifact('scan');
    await store.putModuleArtifact(artifact);
    const loaded = await store.getModuleArtifact(artifact.moduleRef);
    expect(loaded).not.toBeNull();
    expect(loaded).toEqual(artifact);
    expect(loaded?.moduleRef).toBe(artifact.moduleRef);
    expect(store.durabilityTier()).toBe(backend.tier);
  });

  it('puts append ArtifactRefSet on the artifacts stream only when the pointer moves', async () => {
    const { store } = await backend.open();
    const artifact = moduleArtifact('events');
    await store.putModuleArtifact(artifact);
    await store.putModuleArtifact(artifact);
    await store.putArtifactBytes('raw:k', 'generic', bytes('one'));
    await store.putArtifactBytes('raw:k', 'generic', bytes('one'));
    await store.putArtifactBytes('raw:k', 'generic', bytes('two'));
    await store.putProcessExecutionEnv('env:k', bytes('env'));
    const events = await store.readEvents();
    expect(events.map((e) => [e.type, e.stream])).toEqual([
      ['ArtifactRefSet', 'artifacts'],
      ['ArtifactRefSet', 'artifacts'],
      ['ArtifactRefSet', 'artifacts'],
      ['ArtifactRefSet', 'artifacts'],
    ]);
    expect(events.map((e) => (e.data as { namespace: string }).namespace)).toEqual([
      MODULE_ARTIFACT_NAMESPACE,
      RAW_ARTIFACT_NAMESPACE,
      RAW_ARTIFACT_NAMESPACE,
      PROCESS_ENV_NAMESPACE,
    ]);
    expect(events[1]?.data).toEqual({ namespace: 'lashlang_artifact', artifactRef: 'raw:k', blobRef: sha256hex(bytes('one')) });
  });

  it('invalid module artifacts are ArtifactEncode and write nothing', async () => {
    const { store } = await backend.open();
    const cases: unknown[] = [
      { source: 'x' },
      { moduleRef: '' },
      { moduleRef: 7 },
      { moduleRef: 'm', triggerKeyManifest: { subscriptionKeys: [1] } },
      { moduleRef: 'm', triggerKeyManifest: 'keys' },
      { moduleRef: 'm', blob: new Uint8Array([1]) },
      { moduleRef: 'm', n: Number.NaN },
      [1, 2],
      null,
    ];
    for (const artifact of cases) {
      const error = await rejectsWith(store.putModuleArtifact(artifact as ModuleArtifact), 'ArtifactEncode');
      expect(String(error.message)).toMatch(/^failed to encode lashlang artifact: /);
    }
    expect(await store.readEvents()).toEqual([]);
  });

  it('verifyModuleArtifact rejects on put (ArtifactEncode) and on read (CorruptData)', async () => {
    const handle = await backend.open();
    const bad = moduleArtifact('tampered');
    const verify = (a: ModuleArtifact) => {
      if (a.moduleRef !== `lashlang:v1:sha256:${sha256hex(String(a.source))}`) throw new Error('moduleRef does not match source');
    };
    const strict = track(
      backend.reopenable
        ? await handle.reopen({ verifyModuleArtifact: verify })
        : await Store.memory({ verifyModuleArtifact: verify }),
    );
    await strict.putModuleArtifact(bad);
    const error = await rejectsWith(strict.putModuleArtifact({ ...bad, source: 'changed' }), 'ArtifactEncode');
    expect(String(error.message)).toContain('verifyModuleArtifact rejected the artifact: moduleRef does not match source');
    if (backend.reopenable) {
      // A value stored by a lenient handle that the verifier refuses reads as damage.
      const lenient = handle.store;
      const forged = { moduleRef: 'lashlang:v1:sha256:forged', source: 'anything' };
      await lenient.putModuleArtifact(forged);
      const fresh = track(await handle.reopen({ verifyModuleArtifact: verify }));
      const corrupt = await rejectsWith(fresh.getModuleArtifact(forged.moduleRef), 'CorruptData');
      expect(corrupt.table).toBe('artifact_refs');
      expect(corrupt.key).toBe('lashlang_module/lashlang:v1:sha256:forged');
    }
  });

  it('the module cache returns deep copies', async () => {
    const { store } = await backend.open();
    const artifact = moduleArtifact('cache', ['k1']);
    await store.putModuleArtifact(artifact);
    const first = (await store.getModuleArtifact(artifact.moduleRef)) as ModuleArtifact;
    first.source = 'mutated';
    first.triggerKeyManifest?.subscriptionKeys.push('k2');
    expect(await store.getModuleArtifact(artifact.moduleRef)).toEqual(artifact);
    artifact.source = 'caller mutated the input';
    expect((await store.getModuleArtifact(artifact.moduleRef))?.source).toBe(moduleArtifact('cache').source);
  });

  it('replaceCurrentTriggerManifest reports sorted key diffs against the previous manifest', async () => {
    const { store } = await backend.open();
    const first = await store.replaceCurrentTriggerManifest('session:o', moduleArtifact('first', ['b', 'a', 'b', 'c']));
    expect(first).toEqual({
      previousModuleRef: null,
      currentModuleRef: moduleArtifact('first').moduleRef,
      diff: { added: [], removed: [] },
    });
    expect(await store.getCurrentTriggerManifest('session:o')).toEqual({
      moduleRef: moduleArtifact('first').moduleRef,
      manifest: { subscriptionKeys: ['a', 'b', 'c'] },
    });
    const second = await store.replaceCurrentTriggerManifest('session:o', moduleArtifact('second', ['d', 'c', 'a']));
    expect(second).toEqual({
      previousModuleRef: moduleArtifact('first').moduleRef,
      currentModuleRef: moduleArtifact('second').moduleRef,
      diff: { added: ['d'], removed: ['b'] },
    });
    const third = await store.replaceCurrentTriggerManifest('session:o', moduleArtifact('third'));
    expect(third.diff).toEqual({ added: [], removed: ['a', 'c', 'd'] });
    // Another owner namespace is independent.
    expect(await store.getCurrentTriggerManifest('session:other')).toBeNull();
    const seq = (await store.readEvents()).at(-1)?.seq ?? 0;
    await store.replaceCurrentTriggerManifest('session:o', moduleArtifact('third'));
    expect((await store.readEvents({ afterSeq: seq })).length).toBe(0);
    const types = (await store.readEvents()).map((e) => e.type);
    expect(types).toEqual(['TriggerManifestReplaced', 'TriggerManifestReplaced', 'TriggerManifestReplaced']);
    await rejectsWith(store.replaceCurrentTriggerManifest('session:o', { moduleRef: '' }), 'ArtifactEncode');
    await rejectsWith(
      store.replaceCurrentTriggerManifest('session:o', {
        moduleRef: 'm',
        triggerKeyManifest: { subscriptionKeys: [3 as unknown as string] },
      }),
      'ArtifactEncode',
    );
    expect((await store.getCurrentTriggerManifest('session:o'))?.moduleRef).toBe(moduleArtifact('third').moduleRef);
  });

  it('every artifact ref is a GC root; a blob orphaned by an overwrite is collectable', async () => {
    const { store } = await backend.open();
    await store.putModuleArtifact(moduleArtifact('rooted'));
    await store.putArtifactBytes('raw:a', 'processExecutionEnv', bytes('old'));
    await store.putArtifactBytes('raw:a', 'generic', bytes('new'));
    await store.putProcessExecutionEnv('env', bytes('env'));
    await store.replaceCurrentTriggerManifest('o', moduleArtifact('rooted', ['k']));
    const orphan = await store.putBlob(bytes('orphan'));
    const report = await store.gcUnreachable();
    expect(report).toEqual({ rootCount: 4, retainedBlobCount: 4, danglingRefCount: 0, deletedBlobCount: 2 });
    expect(await store.getBlob(orphan)).toBeNull();
    expect(await store.getBlob(sha256hex(bytes('old')))).toBeNull();
    expect(decode(await store.getArtifactBytes('raw:a'))).toBe('new');
    expect(await store.getModuleArtifact(moduleArtifact('rooted').moduleRef)).toEqual(moduleArtifact('rooted'));
    expect(await store.getCurrentTriggerManifest('o')).not.toBeNull();
  });

  it('bad arguments are InvalidArgument', async () => {
    const { store } = await backend.open();
    await rejectsWith(store.putArtifactBytes('k', 'generic', 'text' as unknown as Uint8Array), 'InvalidArgument');
    await rejectsWith(store.putArtifactBytes(1 as unknown as string, 'generic', bytes('x')), 'InvalidArgument');
    await rejectsWith(store.putProcessExecutionEnv('k', [1] as unknown as Uint8Array), 'InvalidArgument');
    await rejectsWith(store.getModuleArtifact(null as unknown as string), 'InvalidArgument');
    await rejectsWith(store.getCurrentTriggerManifest(5 as unknown as string), 'InvalidArgument');
  });
});

describe('artifact refs on a damaged file (raw connection)', () => {
  it('trigger_manifest_replacement_with_corrupt_previous_changes_nothing (§10.14 #76)', async () => {
    const handle = await fileBackend.open();
    const path = handle.path as string;
    await handle.store.replaceCurrentTriggerManifest('session:o', moduleArtifact('first', ['a']));
    const B = rawPointer(path, CURRENT_TRIGGER_MANIFEST_NAMESPACE, 'session:o') as string;
    expect(B).toMatch(/^[0-9a-f]{64}$/);
    const n = rawBlobCount(path);
    await handle.store.close();
    rawSetBlob(path, B, Uint8Array.from([0xc1]));
    const store = await handle.reopen();
    const error = await rejectsWith(
      store.replaceCurrentTriggerManifest('session:o', moduleArtifact('second', ['b'])),
      'CorruptData',
    );
    expect(error.table).toBe('artifact_refs');
    expect(error.key).toBe('lashlang_trigger_manifest/session:o');
    expect(rawPointer(path, CURRENT_TRIGGER_MANIFEST_NAMESPACE, 'session:o')).toBe(B);
    expect(rawBlobCount(path)).toBe(n);
    await rejectsWith(store.getCurrentTriggerManifest('session:o'), 'CorruptData');
  });

  it('a pointer whose blob is gone is CorruptData naming the artifact', async () => {
    const handle = await fileBackend.open();
    const path = handle.path as string;
    const artifact = moduleArtifact('dangling');
    await handle.store.putModuleArtifact(artifact);
    await handle.store.putArtifactBytes('raw:d', 'generic', bytes('raw'));
    await handle.store.putProcessExecutionEnv('env:d', bytes('env'));
    await handle.store.replaceCurrentTriggerManifest('owner', artifact);
    await handle.store.close();
    for (const [ns, key] of [
      [MODULE_ARTIFACT_NAMESPACE, artifact.moduleRef],
      [RAW_ARTIFACT_NAMESPACE, 'raw:d'],
      [PROCESS_ENV_NAMESPACE, 'env:d'],
      [CURRENT_TRIGGER_MANIFEST_NAMESPACE, 'owner'],
    ] as const) {
      rawSetBlob(path, rawPointer(path, ns, key) as string, null);
    }
    const store = await handle.reopen();
    const cases: Array<[Promise<unknown>, string, string]> = [
      [
        store.getModuleArtifact(artifact.moduleRef),
        `lashlang_module/${artifact.moduleRef}`,
        `lashlang module artifact \`${artifact.moduleRef}\` points at a missing blob`,
      ],
      [store.getArtifactBytes('raw:d'), 'lashlang_artifact/raw:d', 'artifact `raw:d` points at a missing blob'],
      [
        store.getProcessExecutionEnv('env:d'),
        'process_execution_env/env:d',
        'process execution env `env:d` points at a missing blob',
      ],
      [
        store.getCurrentTriggerManifest('owner'),
        'lashlang_trigger_manifest/owner',
        'current trigger manifest `owner` points at a missing blob',
      ],
    ];
    for (const [promise, key, detail] of cases) {
      const error = await rejectsWith(promise, 'CorruptData');
      expect(error.table).toBe('artifact_refs');
      expect(error.key).toBe(key);
      expect(error.detail).toBe(detail);
    }
    // A re-put repairs the pointer's blob.
    await store.putArtifactBytes('raw:d', 'generic', bytes('raw'));
    expect(decode(await store.getArtifactBytes('raw:d'))).toBe('raw');
  });

  it('stored module bytes that are not a valid artifact for their key are CorruptData', async () => {
    const handle = await fileBackend.open();
    const path = handle.path as string;
    const artifact = moduleArtifact('swapped');
    const other = moduleArtifact('other');
    await handle.store.putModuleArtifact(artifact);
    await handle.store.putArtifactBytes('raw:x', 'generic', bytes('{"moduleRef":"x"}'));
    await handle.store.close();
    // Point the module key at another valid artifact's bytes, and at non-JSON bytes.
    const raw = new Database(path);
    const envelope = raw
      .prepare('SELECT content FROM blobs WHERE hash = ?')
      .pluck()
      .get(rawPointer(path, MODULE_ARTIFACT_NAMESPACE, artifact.moduleRef)) as Uint8Array;
    expect((unpack(envelope) as { descriptor: { kind: string } }).descriptor.kind).toBe('lashlangModule');
    raw
      .prepare('UPDATE artifact_refs SET blob_ref = ? WHERE namespace = ? AND artifact_ref = ?')
      .run(rawPointer(path, RAW_ARTIFACT_NAMESPACE, 'raw:x'), MODULE_ARTIFACT_NAMESPACE, artifact.moduleRef);
    raw.close();
    const store = await handle.reopen();
    const error = await rejectsWith(store.getModuleArtifact(artifact.moduleRef), 'CorruptData');
    expect(error.key).toBe(`lashlang_module/${artifact.moduleRef}`);
    expect(await store.getModuleArtifact(other.moduleRef)).toBeNull();
    // Restore the pointer so the harness's replay comparison sees the projected value.
    await store.close();
    const fix = new Database(path);
    fix
      .prepare('UPDATE artifact_refs SET blob_ref = ? WHERE namespace = ? AND artifact_ref = ?')
      .run(
        sha256hex(
          new TextEncoder().encode(
            JSON.stringify({ moduleRef: artifact.moduleRef, source: artifact.source, triggerKeyManifest: null }),
          ),
        ),
        MODULE_ARTIFACT_NAMESPACE,
        artifact.moduleRef,
      );
    fix.close();
  });
});
