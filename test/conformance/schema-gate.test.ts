/**
 * 20-blobs-attachments-lifecycle §7 and §10.3 entries 11–12: the open sequence, the schema gate, the
 * kind marker, read-only opens and concurrent first opens from worker threads and OS processes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  BlobArtifactDescriptor,
  completionOf,
  EFFECT_APPLICATION_ID,
  fenceOf,
  PROCESS_APPLICATION_ID,
  type QueuedWorkClaim,
  SESSION_APPLICATION_ID,
  SESSION_SCHEMA_VERSION,
  Store,
  StoreError,
  TRIGGER_APPLICATION_ID,
  type TurnInputClaim,
} from '../../src/index.js';
import { tempDir, track } from '../support/backends.js';
import { activeIn, base, bytes, E, lease, nextIn, owner, rejectsWith, wake, X } from '../support/fixtures.js';
import { sha256hex } from '../support/raw.js';
import { newBarrier, runChildren, runWorkers } from '../support/spawn.js';

function versionRefusal(found: number): string {
  return `Unsupported lash session schema: this binary supports schema version ${SESSION_SCHEMA_VERSION}, but the database reports version ${found}. There is no migration chain — delete the session database and start fresh.`;
}

function kindRefusal(found: number, label: string): string {
  return `Not a lash session database: its application_id is ${found} (${label}), expected ${SESSION_APPLICATION_ID}. Open it with the matching store.`;
}

/** A database file made through a raw connection (rollback journal, as another tool would leave it). */
function rawFile(setup: (db: Database.Database) => void): string {
  const path = join(tempDir(), 'raw.db');
  const db = new Database(path);
  setup(db);
  db.close();
  return path;
}

function rawPragmas(path: string): { userVersion: number; applicationId: number } {
  const db = new Database(path, { readonly: true });
  try {
    return {
      userVersion: db.pragma('user_version', { simple: true }) as number,
      applicationId: db.pragma('application_id', { simple: true }) as number,
    };
  } finally {
    db.close();
  }
}

describe('schema gate', () => {
  it('unsupported_schema_error_reports_real_versions', async () => {
    const path = rawFile((db) => {
      db.exec('CREATE TABLE legacy(id INTEGER)');
      db.pragma('user_version = 99');
    });
    const before = readFileSync(path);
    const error = await rejectsWith(Store.open(path), 'SchemaVersionMismatch');
    expect(error).toBeInstanceOf(StoreError);
    expect(error.databaseKind).toBe('session');
    expect(error.expected).toBe(SESSION_SCHEMA_VERSION);
    expect(error.found).toBe(99);
    expect(error.message).toBe(versionRefusal(99));
    expect(error.message).toContain('99');
    expect(error.message).toContain(`schema version ${SESSION_SCHEMA_VERSION}`);
    expect(error.message).not.toContain('version 1 only');
    expect(rawPragmas(path).userVersion).toBe(99);
    expect(readFileSync(path).equals(before), 'a refused open leaves the file unchanged').toBe(true);
  });

  it('an unversioned database with user objects is refused as version 0', async () => {
    const path = rawFile((db) => db.exec('CREATE TABLE legacy(id INTEGER)'));
    const before = readFileSync(path);
    const error = await rejectsWith(Store.open(path), 'SchemaVersionMismatch');
    expect(error.found).toBe(0);
    expect(error.message).toBe(versionRefusal(0));
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  const markers: Array<[string, number, string]> = [
    ['process registry', PROCESS_APPLICATION_ID, 'lash process registry'],
    ['effect replay', EFFECT_APPLICATION_ID, 'lash effect replay'],
    ['trigger store', TRIGGER_APPLICATION_ID, 'lash trigger store'],
    ['unmarked', 0, 'unmarked'],
    ['unknown', 0x12345678, 'unknown'],
  ];
  for (const [name, applicationId, label] of markers) {
    it(`a session-versioned file with the ${name} application_id is refused with DatabaseKindMismatch`, async () => {
      const path = rawFile((db) => {
        db.exec('CREATE TABLE other_kind(id INTEGER)');
        db.pragma(`user_version = ${SESSION_SCHEMA_VERSION}`);
        db.pragma(`application_id = ${applicationId}`);
      });
      const before = readFileSync(path);
      for (const open of [() => Store.open(path), () => Store.openReadonly(path)]) {
        const error = await rejectsWith(open(), 'DatabaseKindMismatch');
        expect(error).toBeInstanceOf(StoreError);
        expect(error.databaseKind).toBe('session');
        expect(error.expectedApplicationId).toBe(SESSION_APPLICATION_ID);
        expect(error.foundApplicationId).toBe(applicationId);
        expect(error.message).toBe(kindRefusal(applicationId, label));
        expect(error.message).not.toContain('delete');
      }
      expect(readFileSync(path).equals(before), 'a refused open leaves the file unchanged').toBe(true);
      expect(rawPragmas(path)).toEqual({ userVersion: SESSION_SCHEMA_VERSION, applicationId });
    });
  }

  it('a new file is stamped with the session version and kind marker', async () => {
    const path = join(tempDir(), 'fresh.db');
    const store = track(await Store.open(path));
    expect(store.durabilityTier()).toBe('durable');
    expect(rawPragmas(path)).toEqual({ userVersion: SESSION_SCHEMA_VERSION, applicationId: SESSION_APPLICATION_ID });
  });

  it('Store.open does not create the parent folder', async () => {
    const path = join(tempDir(), 'missing', 'session.db');
    const error = await rejectsWith(Store.open(path), 'Backend');
    expect(error).toBeInstanceOf(StoreError);
  });
});

describe('read-only opens', () => {
  it('Store.openReadonly refuses an empty file as version 0 and leaves it empty', async () => {
    const path = join(tempDir(), 'empty.db');
    writeFileSync(path, '');
    const error = await rejectsWith(Store.openReadonly(path), 'SchemaVersionMismatch');
    expect(error.expected).toBe(SESSION_SCHEMA_VERSION);
    expect(error.found).toBe(0);
    expect(error.message).toBe(versionRefusal(0));
    expect(readFileSync(path).length).toBe(0);
  });

  it('Store.openReadonly refuses a missing file with Backend', async () => {
    await rejectsWith(Store.openReadonly(join(tempDir(), 'absent.db')), 'Backend');
  });

  it('reads work and every write rejects with Backend, leaving the file unchanged', async () => {
    const path = join(tempDir(), 'session.db');
    const writer = await Store.open(path);
    const l = await lease(writer, 'root', 'ro-owner');
    const c = base('root');
    c.checkpoint.toolState = { generation: 1 };
    await writer.commitRuntimeState({ ...c, sessionExecutionLease: fenceOf(l) });
    const meta = {
      sessionId: 'root',
      sessionName: 'Read Only',
      createdAt: '2026-06-02T00:00:00Z',
      model: 'gpt-5.4-mini',
      cwd: null,
      relation: { kind: 'root' as const },
    };
    await writer.saveSessionMeta(meta);
    const batch = await writer.enqueueQueuedWork(wake('root', 'read-only work', E, X));
    const input = await writer.enqueuePendingTurnInput(activeIn('root', 'turn-ro', 'afterWork', 'read-only input'));
    await writer.recordIntent({
      attachmentId: 'ro-attachment',
      sessionId: 'root',
      canonicalUri: 'sha256:ro-attachment',
      intentAtEpochMs: 1,
      ownerKind: null,
      ownerId: null,
    });
    expect(await writer.listUncommitted(Number.MAX_SAFE_INTEGER)).toHaveLength(1);
    const expectedSession = await writer.loadSession({ kind: 'fullGraph' });
    const expectedEvents = await writer.readEvents();
    await writer.close();
    const before = readFileSync(path);

    const ro = track(await Store.openReadonly(path));
    expect(ro.durabilityTier()).toBe('durable');
    expect(await ro.loadSession({ kind: 'fullGraph' })).toEqual(expectedSession);
    expect(await ro.readEvents()).toEqual(expectedEvents);
    expect((await ro.loadSessionMeta())?.sessionName).toBe('Read Only');
    expect((await ro.verifyProjections()).ok).toBe(true);

    const source = track(await Store.memory());
    const sl = await lease(source, 'root', 'source');
    await source.commitRuntimeState({ ...base('root'), sessionExecutionLease: fenceOf(sl) });
    const head = await source.loadSessionHead();
    if (!head) throw new Error('source head missing');

    const intent = {
      attachmentId: 'ro-attachment',
      sessionId: 'root',
      canonicalUri: 'sha256:ro-attachment',
      intentAtEpochMs: 1,
      ownerKind: null,
      ownerId: null,
    };
    const staleQueuedClaim: QueuedWorkClaim = {
      sessionId: 'root',
      claimId: 'qwc:0:1',
      owner: owner('o'),
      leaseToken: 'stale',
      fencingToken: 1,
      sessionLeaseGeneration: 1,
      batches: [batch],
    };
    const staleInputClaim: TurnInputClaim = {
      sessionId: 'root',
      claimId: 'tic:0:1',
      owner: owner('o'),
      leaseToken: 'stale',
      fencingToken: 1,
      sessionLeaseGeneration: 1,
      mode: { kind: 'nextTurn' },
      inputs: [input],
    };
    const source_ = 'process ro(root: str) -> str { finish root }';
    const artifact = { moduleRef: `lashlang:v1:sha256:${sha256hex(source_)}`, source: source_, triggerKeyManifest: null };

    const writes: Array<[string, () => Promise<unknown>]> = [
      ['commitRuntimeState', () => ro.commitRuntimeState({ ...base('root'), sessionExecutionLease: fenceOf(l) })],
      ['tryClaimSessionExecutionLease', () => ro.tryClaimSessionExecutionLease('root', owner('other'), 60_000)],
      ['reclaimSessionExecutionLease', () => ro.reclaimSessionExecutionLease('root', owner('other'), fenceOf(l), 60_000)],
      ['renewSessionExecutionLease', () => ro.renewSessionExecutionLease(fenceOf(l), 60_000)],
      ['releaseSessionExecutionLease (matching)', () => ro.releaseSessionExecutionLease(completionOf(l))],
      [
        'releaseSessionExecutionLease (stale)',
        () => ro.releaseSessionExecutionLease({ ...completionOf(l), leaseToken: 'stale' }),
      ],
      ['saveSessionMeta', () => ro.saveSessionMeta({ ...meta, sessionName: 'x' })],
      ['enqueueQueuedWork', () => ro.enqueueQueuedWork(wake('root', 'read-only', E, X))],
      ['tombstoneNodes (unknown ids)', () => ro.tombstoneNodes(['no-such-node'])],
      ['vacuum (nothing to remove)', () => ro.vacuum()],
      ['gcUnreachable (nothing to collect)', () => ro.gcUnreachable()],
      ['putBlob', () => ro.putBlob(bytes('read-only'))],
      ['putArtifactBlob', () => ro.putArtifactBlob(BlobArtifactDescriptor.toolStateSnapshot(), bytes('read-only'))],
      ['putTypedBlob', () => ro.putTypedBlob({ a: 1 })],
      ['putTypedArtifactBlob', () => ro.putTypedArtifactBlob(BlobArtifactDescriptor.genericBlob(), { a: 1 })],
      ['putCheckpoint', () => ro.putCheckpoint(base('root').checkpoint)],
      ['saveSessionHead', () => ro.saveSessionHead(head)],
      [
        'saveSessionHeadMeta',
        () =>
          ro.saveSessionHeadMeta({
            schemaVersion: 1,
            sessionId: 'root',
            headRevision: 5,
            config: { providerId: '', model: {} },
            agentFrames: [],
            currentAgentFrameId: '',
            checkpointRef: null,
            leafNodeId: null,
            graphNodeCount: 0,
          }),
      ],
      ['headCopyFromStore', () => ro.headCopyFromStore(source)],
      ['saveSessionMetaIfAbsent', () => ro.saveSessionMetaIfAbsent({ ...meta, sessionId: 'other' })],
      ['enqueuePendingTurnInput', () => ro.enqueuePendingTurnInput(nextIn('root', 'read-only'))],
      ['claimLeadingReadySessionCommand', () => ro.claimLeadingReadySessionCommand('root', fenceOf(l), owner('o'))],
      ['claimReadyQueuedWork', () => ro.claimReadyQueuedWork('root', fenceOf(l), owner('o'), 'idle', 1)],
      [
        'claimReadyQueuedWorkByBatchIds',
        () => ro.claimReadyQueuedWorkByBatchIds('root', fenceOf(l), owner('o'), 'idle', [batch.batchId]),
      ],
      [
        'claimCheckpointWork (work pending)',
        () => ro.claimCheckpointWork('root', fenceOf(l), owner('o'), 'turn-ro', 'afterWork', 1, 1),
      ],
      ['claimActiveTurnInputs', () => ro.claimActiveTurnInputs('root', fenceOf(l), owner('o'), 'turn-ro', 'afterWork', 1)],
      ['claimNextTurnInputs', () => ro.claimNextTurnInputs('root', fenceOf(l), owner('o'), 1)],
      ['abandonQueuedWorkClaim (no match)', () => ro.abandonQueuedWorkClaim(staleQueuedClaim)],
      ['abandonQueuedWorkClaims (no match)', () => ro.abandonQueuedWorkClaims([staleQueuedClaim])],
      ['abandonTurnInputClaim (no match)', () => ro.abandonTurnInputClaim(staleInputClaim)],
      ['abandonTurnInputClaims (no match)', () => ro.abandonTurnInputClaims([staleInputClaim])],
      ['cancelQueuedWorkBatch', () => ro.cancelQueuedWorkBatch('root', batch.batchId)],
      ['cancelQueuedWorkBatch (unknown)', () => ro.cancelQueuedWorkBatch('root', 'no-such-batch')],
      ['cancelPendingTurnInput', () => ro.cancelPendingTurnInput('root', input.inputId)],
      ['cancelPendingTurnInput (unknown)', () => ro.cancelPendingTurnInput('root', 'no-such-input')],
      ['cancelPendingTurnInputs', () => ro.cancelPendingTurnInputs('root', [{ kind: 'inputId', value: input.inputId }])],
      ['cancelPendingTurnInputSuffix', () => ro.cancelPendingTurnInputSuffix('root', { kind: 'inputId', value: input.inputId })],
      ['recordIntent', () => ro.recordIntent({ ...intent, attachmentId: 'another' })],
      ['commitRefs', () => ro.commitRefs('root', ['ro-attachment'])],
      ['forget', () => ro.forget('root', 'ro-attachment')],
      ['forgetAgedUncommittedIntents', () => ro.forgetAgedUncommittedIntents(Number.MAX_SAFE_INTEGER)],
      ['putModuleArtifact', () => ro.putModuleArtifact(artifact)],
      ['putArtifactBytes', () => ro.putArtifactBytes('raw-ref', 'descriptor', bytes('raw'))],
      ['replaceCurrentTriggerManifest', () => ro.replaceCurrentTriggerManifest('session:o', artifact)],
      ['putProcessExecutionEnv', () => ro.putProcessExecutionEnv('env-ref', bytes('env'))],
      ['rebuildProjections', () => ro.rebuildProjections()],
      ['compactEventLog', () => ro.compactEventLog({ throughSeq: 1 })],
    ];
    for (const [name, write] of writes) {
      let error: unknown;
      try {
        await write();
      } catch (e) {
        error = e;
      }
      expect(error, `${name} on a read-only store`).toBeInstanceOf(StoreError);
      expect((error as StoreError).code, `${name} on a read-only store`).toBe('Backend');
    }
    expect(await ro.readEvents()).toEqual(expectedEvents);
    expect(readFileSync(path).equals(before), 'the read-only store wrote nothing').toBe(true);
  });
});

describe('concurrent first open', () => {
  const OPENERS = 16;
  // A few seconds on an idle two-core machine; the generous bound only keeps a loaded CI box green.
  const SLOW = 90_000;

  async function assertInitialisedOnce(path: string): Promise<void> {
    expect(rawPragmas(path)).toEqual({ userVersion: SESSION_SCHEMA_VERSION, applicationId: SESSION_APPLICATION_ID });
    const store = track(await Store.open(path));
    expect(await store.readEvents()).toEqual([]);
    expect(await store.loadSession({ kind: 'fullGraph' })).toBeNull();
  }

  it(
    'concurrent_first_open_never_observes_version_zero_schema (16 worker threads)',
    async () => {
      const path = join(tempDir(), 'first-open.db');
      const barrier = newBarrier();
      const outcomes = await runWorkers(
        'test/support/workers/first-open.ts',
        Array.from({ length: OPENERS }, () => ({ path, barrier, parties: OPENERS })),
      );
      expect(outcomes).toHaveLength(OPENERS);
      for (const outcome of outcomes) expect(outcome).toEqual({ status: 'fulfilled', value: { events: 0, session: null } });
      await assertInitialisedOnce(path);
    },
    SLOW,
  );

  it(
    'concurrent_first_open_never_observes_version_zero_schema (16 OS processes)',
    async () => {
      const path = join(tempDir(), 'first-open.db');
      const outcomes = await runChildren(
        'test/support/workers/first-open.ts',
        Array.from({ length: OPENERS }, () => [path]),
      );
      expect(outcomes).toHaveLength(OPENERS);
      for (const outcome of outcomes) expect(outcome).toEqual({ status: 'fulfilled', value: { events: 0, session: null } });
      await assertInitialisedOnce(path);
    },
    SLOW,
  );
});
