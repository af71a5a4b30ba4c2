/**
 * Helpers shared by the model-based property tests in `test/property/`: run counts, outcome capture,
 * the event-log cursor that checks what each step appended, an independent ledger oracle (§5.1) and
 * a catalogue of the checkpoints a test may commit, with the blob refs each one writes.
 */
import { isDeepStrictEqual } from 'node:util';
import { expect } from 'vitest';
import {
  type HydratedSessionCheckpoint,
  type SessionCheckpointManifest,
  Store,
  type StoredEvent,
  type TokenLedgerEntry,
  type TokenUsage,
} from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';

/** Runs per property: at least 1,000 (CI); `LASH_PROPERTY_RUNS` may ask for more. */
export const NUM_RUNS = Math.max(1000, Number(process.env.LASH_PROPERTY_RUNS) || 0);

/** Per-test timeout of a 1,000-run property. */
export const PROPERTY_TIMEOUT_MS = 240_000;

/**
 * `expect(actual, label).toStrictEqual(expected)`, with a cheap structural comparison first: the
 * matcher (and its diff) only runs on a mismatch, which keeps thousands of runs fast.
 */
export function same(actual: unknown, expected: unknown, label: string): void {
  if (!isDeepStrictEqual(actual, expected)) expect(actual, label).toStrictEqual(expected);
}

/** The settled result of a store call: its value, or the error it rejected with. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: Record<string, unknown> & { code?: string } };

export async function outcome<T>(promise: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error: error as Record<string, unknown> & { code?: string } };
  }
}

/** Asserts that `o` rejected with `code` (and the given fields) and returns the error. */
export function expectRejected(o: Outcome<unknown>, code: string, fields: Record<string, unknown> = {}): Error {
  if (o.ok) throw new Error(`expected a rejection with code ${code}, got ${JSON.stringify(o.value)}`);
  same(o.error.code, code, String(o.error));
  for (const [key, value] of Object.entries(fields)) same(o.error[key], value, `${code}.${key}`);
  return o.error as unknown as Error;
}

/** Asserts that `o` resolved and returns its value. */
export function expectResolved<T>(o: Outcome<T>): T {
  if (!o.ok) throw new Error(`expected success, got ${String(o.error)} (${String(o.error.code)})`);
  return o.value;
}

/** Reads the events appended since the previous `take()`: the per-step view of the event log. */
export class EventCursor {
  #afterSeq = 0;
  constructor(readonly store: Store) {}

  async take(): Promise<StoredEvent[]> {
    const events = await this.store.readEvents({ afterSeq: this.#afterSeq });
    const last = events.at(-1);
    if (last) this.#afterSeq = last.seq;
    return events;
  }

  /** Asserts the step appended exactly events of these types (in order) and returns them. */
  async expectTypes(types: string[]): Promise<StoredEvent[]> {
    const events = await this.take();
    same(
      events.map((e) => e.type),
      types,
      'events appended by this step',
    );
    return events;
  }
}

/** Asserts that replaying the log reproduces every projection (I18). */
export async function expectVerified(store: Store): Promise<void> {
  const report = await store.verifyProjections();
  expect(report.mismatches, 'projections must equal the replayed log').toStrictEqual([]);
  expect(report.ok).toBe(true);
}

function total(u: TokenUsage): number {
  return u.inputTokens + u.outputTokens + u.cacheReadInputTokens + u.cacheWriteInputTokens;
}

/** §5.1 step 5, written independently of the store: skip zero-total rows, merge by (source, model). */
export function mergeLedgerModel(rows: readonly TokenLedgerEntry[]): TokenLedgerEntry[] {
  const out: TokenLedgerEntry[] = [];
  for (const row of rows) {
    if (total(row.usage) === 0) continue;
    const entry = out.find((e) => e.source === row.source && e.model === row.model);
    if (!entry) {
      out.push({ source: row.source, model: row.model, usage: { ...row.usage } });
      continue;
    }
    for (const k of Object.keys(entry.usage) as (keyof TokenUsage)[]) entry.usage[k] += row.usage[k];
  }
  return out;
}

/** What committing one checkpoint writes and how it reads back. */
export interface CatalogEntry {
  checkpoint: HydratedSessionCheckpoint;
  checkpointRef: string;
  manifest: SessionCheckpointManifest;
  /** Every blob row a commit of this checkpoint writes (manifest + present snapshots). */
  writes: string[];
  /** Refs the manifest names without writing them (supplied refs of null snapshots). */
  named: string[];
  hydrated: HydratedSessionCheckpoint | null;
}

/**
 * The checkpoints a property may commit, with the blob rows each writes, computed once on a scratch
 * store. Blob refs are content addresses, so they are the same in every store; a test can therefore
 * check the exact set of blob rows of its store by probing every ref of the catalogue.
 */
export class CheckpointCatalog {
  readonly entries: CatalogEntry[] = [];

  static async build(checkpoints: HydratedSessionCheckpoint[]): Promise<CheckpointCatalog> {
    const catalog = new CheckpointCatalog();
    const scratch = await Store.memory({ clock: new ManualClock(0) });
    try {
      for (const checkpoint of checkpoints) {
        const { checkpointRef, manifest } = await scratch.putCheckpoint(checkpoint);
        const writes = [checkpointRef];
        const named: string[] = [];
        const slots: Array<[unknown, string | null]> = [
          [checkpoint.toolState, manifest.toolStateRef],
          [checkpoint.pluginSnapshot, manifest.pluginSnapshotRef],
          [checkpoint.executionState, manifest.executionStateRef],
        ];
        for (const [snapshot, ref] of slots) {
          if (ref === null) continue;
          (snapshot === null ? named : writes).push(ref);
        }
        const hydrated = await scratch.getCheckpoint(checkpointRef);
        catalog.entries.push({ checkpoint, checkpointRef, manifest, writes, named, hydrated });
      }
    } finally {
      await scratch.close();
    }
    return catalog;
  }

  /** Every ref any entry writes or names. */
  allRefs(): string[] {
    return [...new Set(this.entries.flatMap((e) => [...e.writes, ...e.named]))];
  }
}

/** Asserts that exactly the refs in `present` (among `refs`) have blob rows. */
export async function expectBlobRows(store: Store, refs: Iterable<string>, present: ReadonlySet<string>): Promise<void> {
  for (const ref of refs) {
    const bytes = await store.getBlob(ref);
    same(bytes !== null, present.has(ref), `blob row ${ref} present`);
  }
}
