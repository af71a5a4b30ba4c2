/**
 * 20-blobs-attachments-lifecycle §6 and §10.1–§10.4, §10.7 (#37, #38), §10.10, §10.14 #74, #78:
 * the session store factory — file naming, create/open/delete, metadata seeding, the attachment
 * root-set sweep over every primary session database, and owner-death proofs across databases.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  deleteSessionFiles,
  InMemoryAttachmentStore,
  isPrimarySessionDbName,
  type JsonValue,
  ProcessRegistration,
  processRuntimeSessionIds,
  type RuntimeEffectEnvelope,
  type RuntimeEffectOutcome,
  reclaimUnreferencedAttachments,
  SessionAttachmentStore,
  type SessionStoreFactory,
  SqliteEffectHost,
  SqliteProcessRegistry,
  SqliteSessionStoreFactory,
  type Store,
  safeSessionDbFileName,
  turnCommitHash,
} from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { createRequest, FakeProcessRegistry, PIXEL } from '../support/attachments.js';
import { tempDir, track } from '../support/backends.js';
import { base, bytes, commitWith, E, lease, rejectsWith, wake, X } from '../support/fixtures.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** Silences (and records) process warnings for one test. */
function captureWarnings(): string[] {
  const seen: string[] = [];
  vi.spyOn(process, 'emitWarning').mockImplementation((warning: string | Error) => {
    seen.push(typeof warning === 'string' ? warning : warning.message);
  });
  return seen;
}

/** A factory without a registry (its construction warning captured). */
function unwired(root: string, options = {}): SqliteSessionStoreFactory {
  captureWarnings();
  return new SqliteSessionStoreFactory(root, options);
}

/** Verifies a store's projections, then closes it. */
async function verifyAndClose(store: Store): Promise<void> {
  const report = await store.verifyProjections();
  expect(report.mismatches).toEqual([]);
  await store.close();
}

const ownerless = (sessionId: string, attachmentId: string, at = 1000) => ({
  attachmentId,
  sessionId,
  canonicalUri: `lash-attachment://sha256/${attachmentId}`,
  intentAtEpochMs: at,
  ownerKind: null,
  ownerId: null,
});

describe('§10.1 session database files and discovery', () => {
  it('primary_session_db_names_exclude_sidecars (#1)', () => {
    expect(safeSessionDbFileName('sess-1')).toBe('sess-1-abe633f3a47a2758.db');
    for (const primary of [safeSessionDbFileName('sess-1'), '20260710_011120.db']) {
      expect(isPrimarySessionDbName(primary)).toBe(true);
      for (const sidecar of ['.effects.db', '.processes.db', '.triggers.db', '.artifacts.db', '.process-env.db']) {
        expect(isPrimarySessionDbName(primary + sidecar)).toBe(false);
      }
      expect(isPrimarySessionDbName(`${primary}-wal`)).toBe(false);
    }
    expect(isPrimarySessionDbName('.db')).toBe(false);
    expect(isPrimarySessionDbName('x.sqlite')).toBe(false);
  });

  it('live_attachment_refs_skips_sidecars (#2)', async () => {
    const sessions = join(tempDir(), 'sessions');
    mkdirSync(sessions);
    const factory = unwired(sessions);
    const warnings = captureWarnings();
    const store = track(await (await import('../../src/index.js')).Store.open(factory.pathForSession('sess-1')));
    const id = 'a'.repeat(64);
    await store.recordIntent({ ...ownerless('sess-1', id), canonicalUri: `lash-attachment://sha256/${id}` });
    await store.commitRefs('sess-1', [id]);
    await verifyAndClose(store);
    const primary = basename(factory.pathForSession('sess-1'));
    for (const suffix of ['.effects.db', '.processes.db', '.triggers.db', '.artifacts.db', '.process-env.db']) {
      writeFileSync(join(sessions, primary + suffix), 'not a sqlite database');
    }
    const live = await factory.liveAttachmentRefs(0);
    expect(live).toEqual(new Set([id]));
    expect(warnings.filter((w) => w.includes('skipped sidecar database'))).toHaveLength(5);
    // The silent variant skips them too.
    expect(await factory.hasLiveAttachmentRef(id, 0)).toBe(true);
    expect(await factory.hasLiveAttachmentRef('b'.repeat(64), 0)).toBe(false);
  });

  it('live_attachment_refs_aborts_on_unreadable_primary_session_db (#3)', async () => {
    const sessions = join(tempDir(), 'sessions');
    mkdirSync(sessions);
    writeFileSync(join(sessions, '20260710_010101.db'), 'corrupt not-a-db');
    const factory = unwired(sessions);
    const error = await rejectsWith(factory.liveAttachmentRefs(0), 'Backend');
    expect(String(error.message)).toContain('attachment GC aborted: session database');
    expect(String(error.message)).toContain(join(sessions, '20260710_010101.db'));
    const recheck = await rejectsWith(factory.hasLiveAttachmentRef('x', 0), 'Backend');
    expect(String(recheck.message)).toContain('attachment GC root re-check aborted: session database');
  });

  it('discovery over a missing root is empty; over a root that is a file it is Backend', async () => {
    const dir = tempDir();
    const factory = unwired(join(dir, 'never-created'));
    expect(await factory.liveAttachmentRefs(0)).toEqual(new Set());
    expect(await factory.hasLiveAttachmentRef('x', 0)).toBe(false);
    writeFileSync(join(dir, 'file-root'), 'x');
    const onFile = unwired(join(dir, 'file-root'));
    const error = await rejectsWith(onFile.liveAttachmentRefs(0), 'Backend');
    expect(String(error.message)).toContain(`read session store directory ${join(dir, 'file-root')}:`);
    await rejectsWith(onFile.liveAttachmentRefs(Number.NaN), 'InvalidArgument');
  });
});

describe('§6.2 file naming', () => {
  it('the name table of §6.2', () => {
    const table: Array<[string, string]> = [
      ['sess-1', 'sess-1-abe633f3a47a2758.db'],
      ['../weird/session', 'weird_session-7a2d2bada3f30bfe.db'],
      ['chat/alpha', 'chat_alpha-d8d20168f855065d.db'],
      ['delete/me', 'delete_me-cc812727fc741128.db'],
      ['root', 'root-4813494d137e1631.db'],
      ['', 'session-e3b0c44298fc1c14.db'],
      ['___', 'session-bda251550bf0478f.db'],
      ['héllo wörld', 'h_llo_w_rld-a1003f7d04a41157.db'],
      ['-x-', '-x--c6cf95e52d1790f0.db'],
      ['a'.repeat(100), `${'a'.repeat(80)}-2816597888e4a0d3.db`],
      ['process-env:attachment-owner-process', 'process-env_attachment-owner-process-190b22fa80ed157e.db'],
      ['😀', 'session-f0443a342c5ef547.db'],
      ['a😀b', 'a_b-6fba5b2ea783ded0.db'],
    ];
    for (const [id, name] of table) expect(safeSessionDbFileName(id), id).toBe(name);
    // Truncation happens after trimming, so the name may end in `_`.
    expect(safeSessionDbFileName(`${'b'.repeat(79)}/x`).startsWith(`${'b'.repeat(79)}_-`)).toBe(true);
  });

  it('sqlite_factory_uses_deterministic_safe_session_paths (#7)', () => {
    const tmp = tempDir();
    const factory = unwired(tmp);
    const first = factory.pathForSession('../weird/session');
    const second = factory.pathForSession('../weird/session');
    expect(first).toBe(second);
    expect(dirname(first)).toBe(tmp);
    const name = basename(first);
    expect(name.endsWith('.db')).toBe(true);
    expect(name.includes('/')).toBe(false);
    expect(name).toBe('weird_session-7a2d2bada3f30bfe.db');
  });

  it('factory_rejects_ill_formed_session_ids (#78)', async () => {
    const tmp = tempDir();
    const factory = unwired(tmp);
    let thrown: unknown;
    try {
      factory.pathForSession('\uD800');
    } catch (error) {
      thrown = error;
    }
    expect((thrown as { code?: string }).code).toBe('InvalidSessionId');
    expect((thrown as Error).message).toBe('session id is not well-formed Unicode');
    const error = await rejectsWith(factory.createStore(createRequest('a\uDC00')), 'InvalidSessionId');
    expect(error.sessionId).toBe('a\uDC00');
    expect(readdirSync(tmp)).toEqual([]);
    await rejectsWith(factory.openExistingStore(createRequest('\uDBFF')), 'InvalidSessionId');
    await rejectsWith(factory.deleteSession('\uDC00x'), 'InvalidSessionId');
    await rejectsWith(deleteSessionFiles(tmp, '\uD800'), 'InvalidSessionId');
    expect(basename(factory.pathForSession('😀'))).toBe('session-f0443a342c5ef547.db');
    expect(basename(factory.pathForSession('a😀b'))).toBe('a_b-6fba5b2ea783ded0.db');
  });

  it('processRuntimeSessionIds names the two stores a process owns', () => {
    expect(processRuntimeSessionIds('p-1')).toEqual(['process-env:p-1', 'process-session-turn:p-1']);
  });
});

describe('§6.1, §6.3 create, open-existing, delete', () => {
  it('construction warns once without a registry, not with one, and touches no file', () => {
    const root = join(tempDir(), 'not-yet');
    const warnings = captureWarnings();
    const factory = new SqliteSessionStoreFactory(root);
    expect(warnings).toEqual([
      'SQLite attachment GC process-owner liveness is not wired; process-owned intents will be retained indefinitely. Pass options.processRegistry to SqliteSessionStoreFactory.',
    ]);
    new SqliteSessionStoreFactory(root, { processRegistry: new FakeProcessRegistry() });
    expect(warnings).toHaveLength(1);
    expect(existsSync(root)).toBe(false);
    expect(factory.durabilityTier()).toBe('durable');
  });

  it('sqlite_factory_creates_metadata_once_and_preserves_on_reopen (#8)', async () => {
    const factory = unwired(join(tempDir(), 'nested', 'root'));
    const first = await factory.createStore(
      createRequest('chat/alpha', 'first-model', { kind: 'child', parentSessionId: 'parent', causedBy: null }),
    );
    const meta = await first.loadSessionMeta();
    expect(meta?.sessionId).toBe('chat/alpha');
    expect(meta?.model).toBe('first-model');
    await first.saveSessionMeta({
      sessionId: 'chat/alpha',
      sessionName: 'Renamed',
      createdAt: 'original',
      model: 'preserved-model',
      cwd: '/tmp/original',
      relation: { kind: 'child', parentSessionId: 'parent', causedBy: null },
    });
    await verifyAndClose(first);
    const again = track(await factory.createStore(createRequest('chat/alpha', 'second-model')));
    const reopened = await again.loadSessionMeta();
    expect(reopened?.sessionName).toBe('Renamed');
    expect(reopened?.model).toBe('preserved-model');
    expect(reopened?.createdAt).toBe('original');
  });

  it('sqlite_factory_is_explicitly_usable_as_session_store_factory (#9)', async () => {
    const factory: SessionStoreFactory = unwired(tempDir());
    const store = track(
      await factory.createStore({ sessionId: 'explicit', relation: { kind: 'root' }, policy: { model: { id: 'model' } } }),
    );
    expect(await store.loadSessionMeta()).not.toBeNull();
  });

  it('seeded meta takes the factory clock, the request and the working directory', async () => {
    const clock = new ManualClock(Date.UTC(2026, 6, 10, 1, 11, 20));
    const factory = unwired(tempDir(), { clock });
    const store = track(await factory.createStore(createRequest('seeded', 'model-x')));
    expect(await store.loadSessionMeta()).toEqual({
      sessionId: 'seeded',
      sessionName: 'seeded',
      createdAt: '2026-07-10T01:11:20.000Z',
      model: 'model-x',
      cwd: process.cwd(),
      relation: { kind: 'root' },
    });
    const events = await store.readEvents();
    expect(events.map((e) => [e.type, e.stream])).toEqual([['SessionMetaSaved', 'session:seeded']]);
    expect(events[0]?.recordedAtMs).toBe(clock.timestampMs());
    await rejectsWith(
      factory.createStore({ sessionId: 'x', relation: { kind: 'root' }, policy: {} } as never),
      'InvalidArgument',
    );
    await rejectsWith(factory.createStore(createRequest('x', 'm', { kind: 'sibling' } as never)), 'InvalidArgument');
  });

  it('deleteSession removes the database, -wal and -shm and starts the session from scratch', async () => {
    const root = tempDir();
    const factory = unwired(root);
    const request = createRequest('delete/me', 'old-model');
    expect(await factory.openExistingStore(request)).toBeNull();
    const store = await factory.createStore(request);
    await store.enqueueQueuedWork(wake('delete/me', 'before delete', E, X));
    const first = await lease(store, 'delete/me', 'holder');
    expect(first.fencingToken).toBe(1);
    const path = factory.pathForSession('delete/me');
    expect(existsSync(`${path}-wal`)).toBe(true);
    writeFileSync(`${path}.effects.db`, 'sidecar stays');
    await factory.deleteSession('delete/me');
    for (const file of [path, `${path}-wal`, `${path}-shm`]) expect(existsSync(file), file).toBe(false);
    expect(existsSync(`${path}.effects.db`)).toBe(true);
    await factory.deleteSession('delete/me');
    // The still-open handle writes into the unlinked inode; nothing of it is visible later.
    await store.enqueueQueuedWork(wake('delete/me', 'into the void', E, X));
    await store.close();
    expect(await factory.openExistingStore(request)).toBeNull();
    const fresh = track(await factory.createStore(createRequest('delete/me', 'new-model')));
    expect(await fresh.listQueuedWork('delete/me')).toEqual([]);
    expect((await lease(fresh, 'delete/me', 'holder')).fencingToken).toBe(1);
    expect((await fresh.loadSessionMeta())?.model).toBe('new-model');
  });

  it('deleteSessionFiles works without a factory and is idempotent', async () => {
    const root = tempDir();
    const path = join(root, safeSessionDbFileName('s'));
    for (const f of [path, `${path}-wal`, `${path}-shm`]) writeFileSync(f, 'x');
    await deleteSessionFiles(root, 's');
    await deleteSessionFiles(root, 's');
    expect(readdirSync(root)).toEqual([]);
    mkdirSync(path);
    writeFileSync(join(path, 'inside'), 'x');
    const error = await rejectsWith(deleteSessionFiles(root, 's'), 'Backend');
    expect(String(error.message)).toContain(`remove session store ${path}:`);
  });
});

describe('§10.3, §10.14 process owners, reclamation with the injected clock', () => {
  it('unwired_sqlite_factory_keeps_process_owned_intents_immortal (#13)', async () => {
    const factory = unwired(join(tempDir(), 'sessions'));
    const store = track(await factory.createStore(createRequest('unwired-process-owner')));
    await store.recordIntent({
      attachmentId: 'unwired-process-attachment',
      sessionId: 'unwired-process-owner',
      canonicalUri: 'lash-attachment://unwired-process-attachment',
      intentAtEpochMs: 1,
      ownerKind: 'process',
      ownerId: 'missing-process',
    });
    const live = await factory.liveAttachmentRefs(Number.MAX_SAFE_INTEGER);
    expect(live.has('unwired-process-attachment')).toBe(true);
  });

  it('reclaim_uses_the_injected_clock (#74)', async () => {
    const clock = new ManualClock(1_000_000);
    const factory = unwired(tempDir(), { clock });
    const store = track(await factory.createStore(createRequest('clocked')));
    const backend = new InMemoryAttachmentStore({ clock });
    const ref = await new SessionAttachmentStore(backend, store, 'clocked', clock).put(Uint8Array.from([4, 2]), PIXEL);
    clock.advance(10);
    const first = await reclaimUnreferencedAttachments(factory, backend, 3_600_000, { clock });
    expect(first.reclaimedCount).toBe(0);
    expect((await backend.get(ref.id)).bytes).toEqual(Uint8Array.from([4, 2]));
    clock.advance(3_600_000);
    const second = await reclaimUnreferencedAttachments(factory, backend, 3_600_000, { clock });
    expect(second.reclaimedCount).toBe(1);
    await rejectsWith(backend.get(ref.id), 'NotFound');
    expect(await store.listAllRefs()).toEqual([]);
  });

  it('a wired factory proves process owners dead through its registry, across session databases', async () => {
    const registry = new FakeProcessRegistry(['alive']);
    const factory = new SqliteSessionStoreFactory(tempDir(), { processRegistry: registry });
    const a = track(await factory.createStore(createRequest('a')));
    const b = track(await factory.createStore(createRequest('b')));
    const owned = (s: string, id: string, p: string) => ({ ...ownerless(s, id, 1), ownerKind: 'process' as const, ownerId: p });
    await a.recordIntent(owned('a', 'shared', 'pruned'));
    await b.recordIntent(owned('b', 'shared', 'alive'));
    await a.recordIntent(owned('a', 'only-a', 'pruned'));
    expect(await factory.hasLiveAttachmentRef('shared', 10)).toBe(true);
    expect(await factory.hasLiveAttachmentRef('only-a', 10)).toBe(false);
    // hasLiveAttachmentRef changed nothing.
    expect(await a.listAllRefs()).toEqual(['only-a', 'shared']);
    expect(await factory.liveAttachmentRefs(10)).toEqual(new Set(['shared']));
    expect(await a.listAllRefs()).toEqual([]);
    expect(await b.listAllRefs()).toEqual(['shared']);
  });

  it('an unusable registry fails discovery before any database is opened', async () => {
    const root = tempDir();
    const registry = new FakeProcessRegistry();
    const factory = new SqliteSessionStoreFactory(root, { processRegistry: registry });
    const store = track(await factory.createStore(createRequest('s')));
    await store.recordIntent(ownerless('s', 'x', 1));
    writeFileSync(join(root, '20260710_010101.db'), 'corrupt not-a-db');
    registry.closed = true;
    const error = await rejectsWith(factory.liveAttachmentRefs(10), 'Backend');
    expect(String(error.message)).toBe(
      'store backend error: configured Lash process registry is not available: process registry is closed',
    );
    await rejectsWith(factory.hasLiveAttachmentRef('x', 10), 'Backend');
    expect(await store.listAllRefs()).toEqual(['x']);
    // Opening a session never consults the registry.
    track(await factory.createStore(createRequest('opens-anyway')));
  });
});

/** §10.10: the session store factory suite; `make()` is a factory on a fresh directory. */
describe('sqlite_session_store_factory_satisfies_conformance (§10.4 #15)', () => {
  const make = () => unwired(tempDir());

  it('session_store_factory_reports_declared_tier (#49)', () => {
    expect(make().durabilityTier()).toBe('durable');
  });

  it('session_store_factory_open_missing_returns_none (#50)', async () => {
    expect(await make().openExistingStore(createRequest('missing-session'))).toBeNull();
  });

  it('session_store_factory_create_seeds_and_reopens_meta (#51)', async () => {
    const factory = make();
    const relation = { kind: 'child' as const, parentSessionId: 'parent-session', causedBy: null };
    const created = track(await factory.createStore(createRequest('session-a', 'model-a', relation)));
    const reopened = await factory.openExistingStore(createRequest('session-a', 'model-a', relation));
    expect(reopened).not.toBeNull();
    track(reopened as Store);
    expect(created.durabilityTier()).toBe('durable');
    for (const store of [created, reopened as Store]) {
      const meta = await store.loadSessionMeta();
      expect(meta?.sessionId).toBe('session-a');
      expect(meta?.sessionName).toBe('session-a');
      expect(meta?.model).toBe('model-a');
      expect(meta?.relation).toEqual(relation);
      expect(meta?.createdAt).not.toBe('');
    }
  });

  it('session_store_factory_create_is_idempotent (#52)', async () => {
    const factory = make();
    const store = await factory.createStore(createRequest('stable-session', 'initial-model'));
    await store.saveSessionMeta({
      sessionId: 'stable-session',
      sessionName: 'custom-name',
      createdAt: 'custom-created-at',
      model: 'custom-model',
      cwd: '/tmp/conformance',
      relation: { kind: 'child', parentSessionId: 'custom-parent', causedBy: null },
    });
    await verifyAndClose(store);
    const again = track(await factory.createStore(createRequest('stable-session', 'changed-model')));
    const meta = await again.loadSessionMeta();
    expect(meta?.sessionName).toBe('custom-name');
    expect(meta?.model).toBe('custom-model');
    expect(meta?.relation).toMatchObject({ parentSessionId: 'custom-parent' });
  });

  it('attachment_ownership_isolation (#53)', async () => {
    const factory = make();
    const backend = new InMemoryAttachmentStore();
    const storeA = track(await factory.createStore(createRequest('attachment-owner-a')));
    const storeB = track(await factory.createStore(createRequest('attachment-owner-b')));
    const a = new SessionAttachmentStore(backend, storeA, 'attachment-owner-a');
    const b = new SessionAttachmentStore(backend, storeB, 'attachment-owner-b');
    const data = Uint8Array.from([6, 2, 6, 4]);
    const refA = await a.put(data, {
      mediaType: 'image/png',
      typeMetadata: { kind: 'image', width: 10, height: 20 },
      label: 'a.png',
    });
    await storeA.commitRefs('attachment-owner-a', [refA.id]);
    await rejectsWith(b.get(refA.id), 'NotFound');
    await backend.get(refA.id);
    const refB = await b.put(data, {
      mediaType: 'image/jpeg',
      typeMetadata: { kind: 'image', width: 30, height: 40 },
      label: 'b.jpg',
    });
    expect(refB.id).toBe(refA.id);
    expect(refA.mediaType).toBe('image/png');
    expect(refB.mediaType).toBe('image/jpeg');
    expect(refA.label).not.toBe(refB.label);
    await b.get(refB.id);
    await storeB.commitRefs('attachment-owner-b', [refB.id]);
    expect((await reclaimUnreferencedAttachments(factory, backend, 0)).reclaimedCount).toBe(0);
    await a.delete(refA.id);
    expect((await reclaimUnreferencedAttachments(factory, backend, 0)).reclaimedCount).toBe(0);
    await b.delete(refB.id);
    expect((await reclaimUnreferencedAttachments(factory, backend, 0)).reclaimedCount).toBe(1);
    await rejectsWith(backend.get(refA.id), 'NotFound');
  });
});

/**
 * §10.4 #16 `sqlite_attachment_owner_cold_replay_conformance`: runs §10.7 — the main cold-replay
 * vector (#36, with a real effect host whose journal replays the tool attempts after a "crash"),
 * then the superseded-turn leg (#37) and the process-owner leg (#38) — each on the fixture of #16:
 * a manual clock 100 s behind real time, a `SqliteProcessRegistry` that owns the sessions root, a
 * factory wired to it, and an in-memory attachment backend on the same clock.
 */
describe('sqlite_attachment_owner_cold_replay_conformance (§10.4 #16)', () => {
  async function fixture() {
    const tmp = tempDir();
    const clock = new ManualClock(Date.now() - 100_000);
    const registry = await SqliteProcessRegistry.open(join(tmp, 'processes.db'), {
      clock,
      sessionStoreRoot: join(tmp, 'sessions'),
    });
    const factory = new SqliteSessionStoreFactory(join(tmp, 'sessions'), { processRegistry: registry, clock });
    const backend = new InMemoryAttachmentStore({ clock });
    return { tmp, clock, registry, factory, backend };
  }

  it('attachment_owner_cold_replay (#36)', async () => {
    const { tmp, clock, registry, factory, backend } = await fixture();
    const S = 'attachment-owner-cold-replay';
    const T = 'attachment-owner-turn';
    const scope = { kind: 'turn' as const, sessionId: S, turnId: T };
    const effectsPath = join(tmp, 'effects.db');
    const controllerOn = async () => {
      const host = await SqliteEffectHost.open(effectsPath);
      return { host, controller: host.scoped(scope).controller };
    };
    const toolEnvelope = (effectId: string, callId: string): RuntimeEffectEnvelope => ({
      invocation: {
        scope: { sessionId: S, turnId: T, turnIndex: 1, protocolIteration: 0 },
        subject: { kind: 'effect', effectId, effectKind: 'toolAttempt' },
        replay: { key: `attachment-owner:${T}:${effectId}` },
      },
      command: { kind: 'toolAttempt', call: { callId, toolName: effectId, args: {} }, attempt: 1, maxAttempts: 1 },
    });
    const plainEnv = toolEnvelope('plain-json-effect', 'plain-json-call');
    const typedEnv = toolEnvelope('typed-effect', 'typed-call');
    const request = {
      sessionId: S,
      relation: { kind: 'root' as const },
      policy: { model: { id: 'attachment-owner-conformance-model', contextWindowTokens: 8192 } },
    };
    /** Tool outcomes as the runtime journals them: the projected JSON output plus the typed attachment ids. */
    const outcomeOf = (callId: string, value: JsonValue, attachments: string[]): RuntimeEffectOutcome => ({
      kind: 'toolAttempt',
      launch: { kind: 'done' },
      record: { callId, output: { kind: 'success', value }, attachments },
    });
    const expectOutcomes = (plain: RuntimeEffectOutcome, typed: RuntimeEffectOutcome, plainId: string, typedId: string) => {
      const p = plain.record as { output: { value: { attachment_id: string } }; attachments: string[] };
      const t = typed.record as { attachments: string[] };
      expect(p.attachments).toEqual([]);
      expect(p.output.value.attachment_id).toBe(plainId);
      expect(t.attachments).toEqual([typedId]);
    };
    try {
      const storeA = await factory.createStore(request);
      const facadeA = new SessionAttachmentStore(backend, storeA, S, clock);
      const binding = facadeA.bindTurnScoped(T);
      const first = await controllerOn();
      const calls = { plain: 0, typed: 0 };
      let plainId = '';
      let typedId = '';
      const plain = await first.controller.executeEffect(plainEnv, {
        kind: 'function',
        run: async () => {
          calls.plain++;
          plainId = (await facadeA.put(bytes('plain-json-owner-bytes'), PIXEL)).id;
          return outcomeOf('plain-json-call', { attachment_id: plainId }, []);
        },
      });
      const typed = await first.controller.executeEffect(typedEnv, {
        kind: 'function',
        run: async () => {
          calls.typed++;
          const ref = await facadeA.put(bytes('typed-output-owner-bytes'), PIXEL);
          typedId = ref.id;
          return outcomeOf('typed-call', { kind: 'attachment', id: ref.id, mediaType: ref.mediaType, byteLen: ref.byteLen }, [
            ref.id,
          ]);
        },
      });
      binding.release();
      await verifyAndClose(storeA);
      expect((await first.host.verifyProjections()).mismatches).toEqual([]);
      await first.host.close();
      clock.advance(10_000);
      const before = await reclaimUnreferencedAttachments(factory, backend, 0, { clock });

      expect(calls).toEqual({ plain: 1, typed: 1 });
      expectOutcomes(plain, typed, plainId, typedId);
      expect(before.reclaimedCount).toBe(0);
      expect((await backend.get(plainId)).bytes).toEqual(bytes('plain-json-owner-bytes'));
      expect((await backend.get(typedId)).bytes).toEqual(bytes('typed-output-owner-bytes'));

      const storeB = await factory.openExistingStore(request);
      expect(storeB).not.toBeNull();
      track(storeB as Store);
      const second = await controllerOn();
      const log: string[] = [];
      const failing = {
        kind: 'function' as const,
        run: async (env: RuntimeEffectEnvelope): Promise<RuntimeEffectOutcome> => {
          log.push((env.invocation.subject as { effectId: string }).effectId);
          throw new Error('executor must not run on replay');
        },
      };
      const plainAgain = await second.controller.executeEffect(plainEnv, failing);
      const typedAgain = await second.controller.executeEffect(typedEnv, failing);
      const finalCommit = { ...base(S), committedAttachmentIds: [typedId] };
      const stamped = { ...finalCommit, turnCommit: { sessionId: S, turnId: T, turnCommitHash: turnCommitHash(finalCommit) } };
      const committed = await commitWith(storeB as Store, stamped, 'first-commit');
      const duplicate = await (storeB as Store).commitRuntimeState(stamped);

      expect(log).toEqual([]);
      expectOutcomes(plainAgain, typedAgain, plainId, typedId);
      expect(duplicate.headRevision).toBe(committed.headRevision);
      const uncommitted = (await (storeB as Store).listUncommitted(Number.MAX_SAFE_INTEGER)).map((e) => e.attachmentId);
      expect(uncommitted).not.toContain(plainId);
      expect(uncommitted).not.toContain(typedId);
      expect((await reclaimUnreferencedAttachments(factory, backend, 0, { clock })).reclaimedCount).toBe(0);
      const reader = new SessionAttachmentStore(backend, storeB as Store, S, clock);
      expect((await reader.get(plainId)).bytes).toEqual(bytes('plain-json-owner-bytes'));
      expect((await reader.get(typedId)).bytes).toEqual(bytes('typed-output-owner-bytes'));
      expect((await second.host.verifyProjections()).mismatches).toEqual([]);
      await second.host.close();
    } finally {
      await registry.close();
    }
  });

  it('superseded_turn_leg (#37)', async () => {
    const { clock, registry, factory, backend } = await fixture();
    try {
      const S = 'attachment-owner-superseded';
      const store = track(await factory.createStore(createRequest(S)));
      const facade = new SessionAttachmentStore(backend, store, S, clock);
      const binding = facade.bindTurnScoped('crashed-turn');
      const old = await facade.put(bytes('superseded-owner-bytes'), PIXEL);
      binding.release();
      // Before any later turn commits, the crashed turn's intent is a root.
      expect((await reclaimUnreferencedAttachments(factory, backend, 0, { clock })).reclaimedCount).toBe(0);
      clock.advance(1000);
      const c = base(S);
      await commitWith(
        store,
        { ...c, turnCommit: { sessionId: S, turnId: 'later-turn', turnCommitHash: turnCommitHash(c) } },
        'later-turn-owner',
      );
      const report = await reclaimUnreferencedAttachments(factory, backend, 0, { clock });
      expect(report.reclaimedCount).toBeGreaterThanOrEqual(1);
      await rejectsWith(backend.get(old.id), 'NotFound');
    } finally {
      await registry.close();
    }
  });

  it('process_owner_leg (#38)', async () => {
    const { clock, registry, factory, backend } = await fixture();
    try {
      const P = 'attachment-owner-process';
      await registry.registerProcess(
        ProcessRegistration.create(P, { kind: 'external', metadata: null }, 'externallyOwned', {
          originator: { kind: 'host', scope: null },
          causedBy: null,
        }),
      );
      const S = processRuntimeSessionIds(P)[0] as string;
      expect(S).toBe('process-env:attachment-owner-process');
      const store = await factory.createStore(createRequest(S));
      const facade = new SessionAttachmentStore(backend, store, S, clock);
      facade.bindProcessScoped(P);
      const ref = await facade.put(bytes('process-owner-bytes'), PIXEL);
      clock.advance(1000);
      expect((await reclaimUnreferencedAttachments(factory, backend, 0, { clock })).reclaimedCount).toBe(0);
      await backend.get(ref.id);
      await verifyAndClose(store);
      const done = await registry.completeProcess(
        P,
        { kind: 'success', value: null, control: null },
        { kind: 'externalOwner', grantedTo: 'test' },
      );
      const pruned = await registry.pruneTerminalProcesses(done.updatedAtMs + 1);
      expect(pruned.prunedProcesses).toBe(1);
      expect(await factory.openExistingStore(createRequest(S))).toBeNull();
      const report = await reclaimUnreferencedAttachments(factory, backend, 0, { clock });
      expect(report.reclaimedCount).toBeGreaterThanOrEqual(1);
      await rejectsWith(backend.get(ref.id), 'NotFound');
    } finally {
      await registry.close();
    }
  });

  it('a process-owned intent in another session dies once the registry prunes the process', async () => {
    const { clock, registry, factory, backend } = await fixture();
    try {
      const P = 'elsewhere-owner';
      await registry.registerProcess(
        ProcessRegistration.create(P, { kind: 'external', metadata: null }, 'externallyOwned', {
          originator: { kind: 'host', scope: null },
          causedBy: null,
        }),
      );
      const store = track(await factory.createStore(createRequest('host-session')));
      const facade = new SessionAttachmentStore(backend, store, 'host-session', clock);
      facade.bindProcessScoped(P);
      const ref = await facade.put(bytes('owned-elsewhere'), PIXEL);
      clock.advance(1000);
      const done = await registry.completeProcess(
        P,
        { kind: 'success', value: null, control: null },
        { kind: 'externalOwner', grantedTo: 'test' },
      );
      // Terminal is not dead: the row is still there.
      expect((await reclaimUnreferencedAttachments(factory, backend, 0, { clock })).reclaimedCount).toBe(0);
      await registry.pruneTerminalProcesses(done.updatedAtMs + 1);
      expect((await reclaimUnreferencedAttachments(factory, backend, 0, { clock })).reclaimedCount).toBe(1);
      await rejectsWith(backend.get(ref.id), 'NotFound');
      expect(await store.listAllRefs()).toEqual([]);
      // With the registry closed, GC paths fail but sessions still open.
      await registry.close();
      await rejectsWith(factory.liveAttachmentRefs(0), 'Backend');
      track(await factory.createStore(createRequest('still-opens')));
    } finally {
      await registry.close();
    }
  });
});
