/**
 * Test doubles and fixtures of 20-blobs-attachments-lifecycle §10: a process registry double for
 * owner-death proofs, the `RecordingManifest` / `RecordingRootSet` of §10.5, and the module artifact
 * fixture of §10.0.
 */
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import type {
  AttachmentCreateMeta,
  AttachmentIntent,
  AttachmentManifest,
  AttachmentManifestEntry,
  AttachmentRootSet,
  ModuleArtifact,
  ProcessOwnerRegistry,
  SessionStoreCreateRequest,
  VerifyReport,
} from '../../src/index.js';

export function sha256hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** `moduleArtifact(name, keys?)` of §10.0. */
export function moduleArtifact(name: string, keys?: string[]): ModuleArtifact {
  const source = `process ${name}(root: str) -> str { finish root }`;
  return {
    moduleRef: `lashlang:v1:sha256:${sha256hex(source)}`,
    source,
    triggerKeyManifest: keys ? { subscriptionKeys: keys } : null,
  };
}

/** The §10.10 request shape (root relation unless given). */
export function createRequest(
  sessionId: string,
  model = 'model',
  relation: SessionStoreCreateRequest['relation'] = { kind: 'root' },
): SessionStoreCreateRequest {
  return {
    sessionId,
    relation,
    policy: {
      model: { id: model, contextWindowTokens: 200_000 },
      providerId: 'conformance-provider',
      autonomous: false,
      prompt: '',
    },
  };
}

/** The meta every §10.5 put uses. */
export const PIXEL: AttachmentCreateMeta = {
  mediaType: 'image/png',
  typeMetadata: { kind: 'image', width: 1, height: 1 },
  label: 'pixel',
};

/** An ownerless intent at `intentAtEpochMs`. */
export function intent(sessionId: string, attachmentId: string, intentAtEpochMs: number): AttachmentIntent {
  return { attachmentId, sessionId, canonicalUri: `sha256:${attachmentId}`, intentAtEpochMs, ownerKind: null, ownerId: null };
}

/**
 * A process registry double: `tryGetProcess` answers a record for registered ids and null for the
 * rest; once `closed` (or `failing`) every call rejects, as a closed `SqliteProcessRegistry` would.
 */
export class FakeProcessRegistry implements ProcessOwnerRegistry {
  readonly processes = new Set<string>();
  closed = false;
  calls: string[] = [];

  constructor(ids: string[] = []) {
    for (const id of ids) this.processes.add(id);
  }

  async tryGetProcess(processId: string): Promise<object | null> {
    this.calls.push(processId);
    if (this.closed) throw new Error('process registry is closed');
    return this.processes.has(processId) ? { processId } : null;
  }
}

/** `RecordingManifest` of §10.5: insert-if-absent intents, commit time 1, age-only defaults. */
export class RecordingManifest implements AttachmentManifest {
  readonly rows = new Map<string, AttachmentManifestEntry>();
  readonly recorded: AttachmentIntent[] = [];

  #key(sessionId: string, id: string): string {
    return JSON.stringify([sessionId, id]);
  }

  async recordIntent(i: AttachmentIntent): Promise<void> {
    this.recorded.push({ ...i });
    const key = this.#key(i.sessionId, i.attachmentId);
    if (!this.rows.has(key)) this.rows.set(key, { ...i, committedAtEpochMs: null });
  }

  async commitRefs(sessionId: string, ids: string[]): Promise<void> {
    for (const id of ids) {
      const row = this.rows.get(this.#key(sessionId, id));
      if (row && row.committedAtEpochMs === null) row.committedAtEpochMs = 1;
    }
  }

  async listUncommitted(t: number): Promise<AttachmentManifestEntry[]> {
    return [...this.rows.values()].filter((r) => r.committedAtEpochMs === null && r.intentAtEpochMs <= t);
  }

  async forget(sessionId: string, id: string): Promise<void> {
    this.rows.delete(this.#key(sessionId, id));
  }

  async holdsRef(sessionId: string, id: string): Promise<boolean> {
    return this.rows.has(this.#key(sessionId, id));
  }

  async listAllRefs(): Promise<string[]> {
    return [...new Set([...this.rows.values()].map((r) => r.attachmentId))].sort();
  }

  /** A manifest that cannot evaluate owner death forgets nothing (§4.3). */
  async forgetAgedUncommittedIntents(_cutoff: number): Promise<void> {}

  /** …and answers "a row for the id exists". */
  async hasLiveRefForId(id: string, _cutoff: number): Promise<boolean> {
    return [...this.rows.values()].some((r) => r.attachmentId === id);
  }
}

/** `RecordingRootSet(manifests)` of §10.5: forgets aged uncommitted rows (age only), then lists. */
export class RecordingRootSet implements AttachmentRootSet {
  constructor(readonly manifests: AttachmentManifest[]) {}

  async liveAttachmentRefs(cutoff: number): Promise<Set<string>> {
    const live = new Set<string>();
    for (const m of this.manifests) {
      for (const row of await m.listUncommitted(cutoff)) await m.forget(row.sessionId, row.attachmentId);
      for (const id of await m.listAllRefs()) live.add(id);
    }
    return live;
  }

  async hasLiveAttachmentRef(id: string, cutoff: number): Promise<boolean> {
    return (await this.liveAttachmentRefs(cutoff)).has(id);
  }
}

/** Runs per property: at least 1,000; `LASH_PROPERTY_RUNS` may ask for more. */
export const PROPERTY_RUNS = Math.max(1000, Number(process.env.LASH_PROPERTY_RUNS) || 0);

/** Per-test timeout of a 1,000-run model-based property (generous for loaded CI machines). */
export const PROPERTY_TIMEOUT_MS = 240_000;

/** Asserts that replaying the log reproduces every projection of `store`. */
export async function expectReplayClean(store: { verifyProjections(): Promise<VerifyReport> }): Promise<void> {
  const report = await store.verifyProjections();
  expect(report.mismatches, 'projections must equal the replayed log').toStrictEqual([]);
  expect(report.ok).toBe(true);
}
