/**
 * Where a write's cost goes: runs one queued-work job (enqueue → claim → completing commit) and one
 * registry `appendEvent` on fresh databases, and prints, for each operation, the WAL frames its
 * commit wrote and which table or index each frame's page belongs to (`dbstat`).
 *
 * Why: at `synchronous=NORMAL` a commit costs roughly one pair of write syscalls per dirty page
 * (frame header + page), so the number of B-trees an operation touches is the first-order term of
 * its throughput next to a one-row raw transaction (bench/README.md, "Why the write cases trail raw").
 *
 *   npm --prefix bench run frames
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { fenceOf, ProcessRegistration, SqliteProcessRegistry, Store } from 'lash-event-store';
import { jobDraft, settleCommit } from './lib/jobs.js';
import { LONG_TTL_MS, OWNER, SESSION_ID, turnCommit } from './lib/session.js';

const PAGE_SIZE = 4096;
const FRAME_HEADER = 24;
const WAL_HEADER = 32;

/** Page numbers of the frames currently in `path`'s WAL, in write order. */
function walPages(path: string): number[] {
  const wal = readFileSync(`${path}-wal`);
  const pages: number[] = [];
  for (let at = WAL_HEADER; at + FRAME_HEADER + PAGE_SIZE <= wal.length; at += FRAME_HEADER + PAGE_SIZE) {
    pages.push(wal.readUInt32BE(at));
  }
  return pages;
}

/** Runs `operation` on an emptied WAL and prints the frames its commit appended. */
async function frames(path: string, label: string, operation: () => Promise<unknown>): Promise<number> {
  const spy = new Database(path);
  try {
    spy.pragma('wal_checkpoint(TRUNCATE)');
    const before = walPages(path).length;
    await operation();
    const written = walPages(path).slice(before);
    const owner = new Map(
      (spy.prepare('SELECT pageno, name FROM dbstat').all() as Array<{ pageno: number; name: string }>).map((r) => [
        r.pageno,
        r.name,
      ]),
    );
    const names = written.map((page) => (page === 1 ? 'header (page 1)' : (owner.get(page) ?? `free page ${page}`)));
    console.log(`${label.padEnd(40)} ${String(written.length).padStart(3)} frames  ${names.join(', ')}`);
    return written.length;
  } finally {
    spy.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'lash-frames-'));
try {
  const sessionPath = join(dir, 'session.db');
  const store = await Store.open(sessionPath);
  const lease = await store.tryClaimSessionExecutionLease(SESSION_ID, OWNER, LONG_TTL_MS);
  if (lease.kind !== 'acquired') throw new Error('could not claim the session lease');
  const fence = fenceOf(lease.lease);
  // Warm up so the B-trees have their steady shape (no first-page allocations in the sample).
  let revision = 0;
  for (let i = 0; i < 200; i++) await store.enqueueQueuedWork(jobDraft(i));
  for (let i = 0; i < 100; i++) {
    const claim = await store.claimReadyQueuedWork(SESSION_ID, fence, OWNER, 'idle', 1);
    if (claim === null) throw new Error('queue ran dry during warm-up');
    revision = (await store.commitRuntimeState(settleCommit(revision, fence, claim, null))).headRevision;
  }
  await frames(sessionPath, 'enqueueQueuedWork', () => store.enqueueQueuedWork(jobDraft(1_000)));
  let claimed: Awaited<ReturnType<typeof store.claimReadyQueuedWork>> = null;
  await frames(sessionPath, 'claimReadyQueuedWork', async () => {
    claimed = await store.claimReadyQueuedWork(SESSION_ID, fence, OWNER, 'idle', 1);
  });
  const claim = claimed;
  if (claim === null) throw new Error('nothing to claim');
  await frames(sessionPath, 'commitRuntimeState (completion)', () =>
    store.commitRuntimeState(settleCommit(revision, fence, claim, null)),
  );
  await store.close();

  // The `ours-commit` workload: turns that append one node and one usage delta.
  const turnsPath = join(dir, 'turns.db');
  const turns = await Store.open(turnsPath);
  const turnLease = await turns.tryClaimSessionExecutionLease(SESSION_ID, OWNER, LONG_TTL_MS);
  if (turnLease.kind !== 'acquired') throw new Error('could not claim the session lease');
  const turnFence = fenceOf(turnLease.lease);
  let turn = 1;
  for (; turn <= 200; turn++) await turns.commitRuntimeState(turnCommit(turn, turnFence, null));
  await frames(turnsPath, 'commitRuntimeState (turn: node + usage)', () =>
    turns.commitRuntimeState(turnCommit(turn, turnFence, null)),
  );
  await turns.close();

  const registryPath = join(dir, 'registry.db');
  const registry = await SqliteProcessRegistry.open(registryPath);
  await registry.registerProcess(
    ProcessRegistration.withExtraEventTypes(
      ProcessRegistration.create('p', { kind: 'external', metadata: null }, 'externallyOwned', {
        originator: { kind: 'host', scope: 'bench' },
        causedBy: null,
      }),
      [{ name: 'progress', payloadSchema: {}, semantics: { terminal: null, wake: null } }],
    ),
  );
  const append = (step: number) =>
    registry.appendEvent('p', { eventType: 'progress', payload: { step }, replay: null, wakeTargetScope: null });
  for (let i = 0; i < 200; i++) await append(i);
  await frames(registryPath, 'appendEvent', () => append(1_000));
  await registry.close();

  const rawPath = join(dir, 'raw.db');
  const raw = new Database(rawPath);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.exec('CREATE TABLE rows (id INTEGER PRIMARY KEY, body BLOB NOT NULL, created_at_ms INTEGER NOT NULL)');
  const insert = raw.prepare('INSERT INTO rows (body, created_at_ms) VALUES (?, ?)');
  for (let i = 0; i < 200; i++) insert.run(Buffer.alloc(1024, i), Date.now());
  await frames(rawPath, 'raw one-row transaction', async () => {
    insert.run(Buffer.alloc(1024, 7), Date.now());
  });
  raw.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
