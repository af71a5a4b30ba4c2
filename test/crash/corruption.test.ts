/**
 * Damaged files: a garbage page, a flipped byte in a blob, a record or an event, a damaged header,
 * a truncated WAL. Every case ends in a clear `CorruptData` or `Backend` error from open, read or
 * verify, or — for a truncated WAL, which SQLite treats like a power loss — in a state that was
 * really committed; `lash-store verify` says in one line which file is damaged and what to do.
 */
import { copyFileSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { completionOf, fenceOf, isLashStoreError, type RuntimeCommit, Store, turnCommitHash } from '../../src/index.js';
import { emptyRuntimeCommit } from '../../src/testing.js';
import { campaignDir } from './support.js';

const PAGE = 4096;
const MARKER = 'meta-name-0123456789abcdef';
const RAW = new Uint8Array(3000).map((_, i) => (i * 7 + 3) & 0xff);
const TEXT = new TextEncoder().encode('compressible tool state line\n'.repeat(800));

function commit(turn: number): RuntimeCommit {
  const empty = emptyRuntimeCommit('s');
  const body: RuntimeCommit = {
    ...empty,
    expectedHeadRevision: turn,
    config: { providerId: 'p', model: { id: 'm' } },
    agentFrames: [{ frameId: 'main' }],
    currentAgentFrameId: 'main',
    graph: {
      kind: 'append',
      nodes: [
        {
          nodeId: `n${turn}`,
          parentNodeId: turn === 0 ? null : `n${turn - 1}`,
          causedBy: null,
          agentFrameId: 'main',
          timestamp: '2026-01-01T00:00:00Z',
          payload: { kind: 'plugin', pluginType: 'note', body: { text: `turn ${turn}` } },
        },
      ],
      leafNodeId: `n${turn}`,
    },
    checkpoint: {
      ...empty.checkpoint,
      turnState: { ...empty.checkpoint.turnState, turnIndex: turn, protocolTurnOptions: null },
      toolState: { turn },
    },
  };
  return { ...body, turnCommit: { sessionId: 's', turnId: `t${turn}`, turnCommitHash: turnCommitHash(body) } };
}

interface Fixture {
  dir: string;
  path: string;
  rawRef: string;
  textRef: string;
}

/** A checkpointed session database: turns, metadata, a raw and a zlib-compressed blob. */
async function fixture(): Promise<Fixture> {
  const dir = campaignDir('lash-corruption-');
  const path = join(dir, 'good.db');
  const store = await Store.open(path);
  const owner = { ownerId: 'w', incarnationId: 'w', liveness: { kind: 'opaque' as const } };
  for (let turn = 0; turn < 8; turn++) {
    const claim = await store.tryClaimSessionExecutionLease('s', owner, 60_000);
    if (claim.kind !== 'acquired') throw new Error('lease busy');
    await store.commitRuntimeState({
      ...commit(turn),
      sessionExecutionLease: fenceOf(claim.lease),
      releaseSessionExecutionLease: completionOf(claim.lease),
    });
  }
  await store.saveSessionMeta({
    sessionId: 's',
    sessionName: MARKER,
    createdAt: 'x',
    model: 'm',
    cwd: null,
    relation: { kind: 'root' },
  });
  const rawRef = await store.putBlob(RAW);
  const textRef = await store.putArtifactBlob({ kind: 'toolState', hints: ['compressible'] }, TEXT);
  await store.close();
  return { dir, path, rawRef, textRef };
}

/** A copy of the fixture with `damage` applied to its bytes. */
function damaged(f: Fixture, name: string, damage: (bytes: Buffer) => void): string {
  const bytes = readFileSync(f.path);
  damage(bytes);
  const path = join(f.dir, `${name}.db`);
  writeFileSync(path, bytes);
  return path;
}

function rootPage(path: string, table: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT rootpage FROM sqlite_master WHERE name = ?').get(table) as { rootpage: number }).rootpage;
  } finally {
    db.close();
  }
}

function garbagePage(page: number): (bytes: Buffer) => void {
  return (bytes) => {
    for (let i = 0; i < PAGE; i++) bytes[(page - 1) * PAGE + i] = (i * 31 + 7) & 0xff;
  };
}

/** The stored envelope of a blob, as it sits in the file. */
function envelopeOf(path: string, ref: string): Buffer {
  const db = new Database(path, { readonly: true });
  try {
    return Buffer.from((db.prepare('SELECT content FROM blobs WHERE hash = ?').get(ref) as { content: Uint8Array }).content);
  } finally {
    db.close();
  }
}

/** Flips one byte in the middle of the first occurrence of `needle` inside `page` (any page when null). */
function flipInside(needle: Buffer, page: number | null = null): (bytes: Buffer) => void {
  return (bytes) => {
    const from = page === null ? 0 : (page - 1) * PAGE;
    const at = bytes.indexOf(needle, from);
    if (at < 0 || (page !== null && at >= page * PAGE)) throw new Error('needle not found where expected');
    const i = at + Math.floor(needle.length / 2);
    bytes[i] = (bytes[i] as number) ^ 0x01;
  };
}

async function cli(args: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
  try {
    const status = await main(args);
    return { status, out, err };
  } finally {
    vi.restoreAllMocks();
  }
}

/** `lash-store verify` printed exactly one line naming the file and what to do, exit 1. */
async function expectDamagedLine(path: string, detail: RegExp): Promise<void> {
  const { status, out, err } = await cli(['verify', path]);
  expect(out).toBe('');
  expect(err.split('\n')).toHaveLength(2);
  expect(err).toMatch(new RegExp(`^lash-store: ${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is damaged \\(`));
  expect(err).toMatch(detail);
  expect(err).toContain('restore it from a backup, or delete it and start afresh — do not write to it');
  expect(status).toBe(1);
}

async function rejection(work: () => Promise<unknown>): Promise<{ code: string; table?: unknown; key?: unknown }> {
  try {
    await work();
  } catch (error) {
    if (isLashStoreError(error)) return error as unknown as { code: string; table?: unknown; key?: unknown };
    throw error;
  }
  throw new Error('expected a rejection');
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('corruption', () => {
  test('the undamaged fixture verifies clean', async () => {
    const f = await fixture();
    const { status, out } = await cli(['verify', f.path]);
    expect(out).toMatch(/^ok: session projections equal the replay of \d+ events\n$/);
    expect(status).toBe(0);
  });

  test('a flipped byte in a raw blob: getBlob rejects with CorruptData, verify names the file', async () => {
    const f = await fixture();
    const path = damaged(f, 'raw-blob', flipInside(Buffer.from(RAW.slice(1000, 1064))));
    const store = await Store.openReadonly(path);
    const error = await rejection(() => store.getBlob(f.rawRef));
    await store.close();
    expect(error).toMatchObject({ code: 'CorruptData', table: 'blobs', key: f.rawRef });
    await expectDamagedLine(path, /corrupt data in table blobs at key [0-9a-f]{64}: content hash mismatch/);
  });

  test('a flipped byte in a zlib-compressed blob: CorruptData, never other bytes', async () => {
    const f = await fixture();
    const envelope = envelopeOf(f.path, f.textRef);
    expect(envelope.length).toBeLessThan(TEXT.length); // really stored compressed
    const path = damaged(f, 'zlib-blob', flipInside(envelope.subarray(envelope.length - 24, envelope.length - 4)));
    const store = await Store.openReadonly(path);
    const error = await rejection(() => store.getBlob(f.textRef));
    await store.close();
    expect(error).toMatchObject({ code: 'CorruptData', table: 'blobs', key: f.textRef });
    await expectDamagedLine(path, /corrupt data in table blobs at key [0-9a-f]{64}/);
  });

  test('a garbage page in the event log: reads and verify reject with Backend', async () => {
    const f = await fixture();
    const path = damaged(f, 'events-page', garbagePage(rootPage(f.path, 'events')));
    const store = await Store.openReadonly(path);
    expect(await rejection(() => store.readEvents())).toMatchObject({ code: 'Backend' });
    expect(await rejection(() => store.verifyProjections())).toMatchObject({ code: 'Backend' });
    await store.close();
    await expectDamagedLine(path, /SQLite integrity check: Tree \d+ page \d+/);
  });

  test('a garbage page under a projection: the read rejects with Backend', async () => {
    const f = await fixture();
    const path = damaged(f, 'meta-page', garbagePage(rootPage(f.path, 'session_meta')));
    const store = await Store.openReadonly(path);
    expect(await rejection(() => store.loadSessionMeta())).toMatchObject({ code: 'Backend' });
    await store.close();
    await expectDamagedLine(path, /SQLite integrity check/);
  });

  test('a garbage page under the blobs: getBlob rejects, verify names the file although replay never reads blobs', async () => {
    const f = await fixture();
    const path = damaged(f, 'blobs-page', garbagePage(rootPage(f.path, 'blobs')));
    const store = await Store.openReadonly(path);
    expect((await store.verifyProjections()).ok).toBe(true); // replay does not look at blobs …
    expect(await rejection(() => store.getBlob(f.rawRef))).toMatchObject({ code: 'Backend' }); // … reads do
    await store.close();
    await expectDamagedLine(path, /SQLite integrity check/);
  });

  test('a garbage schema page: open rejects with Backend, verify names the file', async () => {
    const f = await fixture();
    // Page 1 holds the 100-byte file header and then the schema table; keep the header.
    const path = damaged(f, 'schema-page', (bytes) => {
      for (let i = 100; i < PAGE; i++) bytes[i] = (i * 13) & 0xff;
    });
    expect(await rejection(() => Store.open(path))).toMatchObject({ code: 'Backend' });
    await expectDamagedLine(path, /malformed|integrity/);
  });

  test('a damaged file header is not a database: open rejects, verify exits 2', async () => {
    const f = await fixture();
    const path = damaged(f, 'header', (bytes) => {
      bytes.write('definitely not SQLite', 0);
    });
    expect(await rejection(() => Store.open(path))).toMatchObject({ code: 'Backend' });
    const { status, err } = await cli(['verify', path]);
    expect(err).toBe(`lash-store: cannot read ${path} as a SQLite database: file is not a database\n`);
    expect(status).toBe(2);
  });

  test('a flipped byte inside a projection row is a verify mismatch (SQLite keeps no page checksums)', async () => {
    const f = await fixture();
    const path = damaged(f, 'meta-row', flipInside(Buffer.from(MARKER), rootPage(f.path, 'session_meta')));
    const store = await Store.openReadonly(path);
    // A plain read cannot tell: the row still decodes. Verify replays the log and sees the difference.
    expect((await store.loadSessionMeta())?.sessionName).not.toBe(MARKER);
    const report = await store.verifyProjections();
    await store.close();
    expect(report.ok).toBe(false);
    expect(report.mismatches.map((m) => m.table)).toEqual(['session_meta']);
    const { status, out } = await cli(['verify', path]);
    expect(out).toContain('MISMATCH: 1 projection rows differ from the replayed log\n  session_meta ');
    expect(status).toBe(1);
  });

  test('a flipped byte inside an event payload is a verify mismatch', async () => {
    const f = await fixture();
    const metaPage = rootPage(f.path, 'session_meta');
    const path = damaged(f, 'event-payload', (bytes) => {
      // The marker sits in the session_meta row and in the SessionMetaSaved event: damage the event.
      let at = bytes.indexOf(Buffer.from(MARKER));
      while (at >= 0 && Math.floor(at / PAGE) + 1 === metaPage) at = bytes.indexOf(Buffer.from(MARKER), at + 1);
      if (at < 0) throw new Error('event payload not found');
      bytes[at + 3] = (bytes[at + 3] as number) ^ 0x01;
    });
    const store = await Store.openReadonly(path);
    expect((await store.loadSessionMeta())?.sessionName).toBe(MARKER);
    const report = await store.verifyProjections();
    await store.close();
    expect(report.ok).toBe(false);
    const { status } = await cli(['verify', path]);
    expect(status).toBe(1);
  });
});

describe('a truncated WAL', () => {
  test('opens at a state that was committed, never a partial one, and verifies clean', async () => {
    const dir = campaignDir('lash-wal-');
    const path = join(dir, 'live.db');
    const store = await Store.open(path);
    const stateOf = async (s: Store) => {
      const events = await s.readEvents();
      return `${events.at(-1)?.seq ?? 0}:${(await s.loadSessionMeta())?.sessionName ?? '-'}`;
    };
    const committed = [await stateOf(store)];
    for (let i = 0; i < 16; i++) {
      // Growing names spread the commits over many WAL frames.
      await store.saveSessionMeta({
        sessionId: 's',
        sessionName: `n${i}:${'x'.repeat(i * 400)}`,
        createdAt: 'x',
        model: 'm',
        cwd: null,
        relation: { kind: 'root' },
      });
      committed.push(await stateOf(store));
    }
    // Copy the database and its WAL while the writer still holds them (no checkpoint has run).
    const walSize = statSync(`${path}-wal`).size;
    const cuts = [0, 16, 32, 100, 5000, Math.floor(walSize / 3), Math.floor(walSize / 2), walSize - 4097, walSize - 1, walSize];
    const reached: number[] = [];
    for (const cut of cuts) {
      const copyDir = join(dir, `cut-${cut}`);
      mkdirSync(copyDir);
      copyFileSync(path, join(copyDir, 'live.db'));
      copyFileSync(`${path}-wal`, join(copyDir, 'live.db-wal'));
      truncateSync(join(copyDir, 'live.db-wal'), cut);
      const copy = await Store.open(join(copyDir, 'live.db'));
      const state = await stateOf(copy);
      const report = await copy.verifyProjections();
      await copy.close();
      expect(committed, `WAL cut at ${cut} bytes`).toContain(state);
      expect(report.mismatches).toEqual([]);
      reached.push(committed.indexOf(state));
    }
    await store.close();
    // Cutting more never yields a later state; the whole WAL yields the last one.
    expect([...reached].sort((a, b) => a - b)).toEqual(reached);
    expect(reached.at(-1)).toBe(committed.length - 1);
    expect(reached.at(-2)).toBe(committed.length - 2);
  });
});
