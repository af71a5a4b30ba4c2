/**
 * Model-based property of the two garbage collectors (20-blobs-attachments-lifecycle §3.4–§3.5,
 * §4.3–§4.4, §4.10, §9.1 invariants 4, 6, 8): over random graphs of checkpoints (head or not,
 * children present or dangling), artifact refs in every namespace (with overwrites), orphan blobs,
 * attachment intents with turn, process and no owners, commit stamps, forgets, turn commits and
 * clock moves,
 *   - `gcUnreachable` keeps exactly the blobs reachable from the head checkpoint (one level) and
 *     the artifact refs, deletes every other one, reports the counts the model predicts, and a
 *     second GC deletes nothing;
 *   - `reclaimUnreferencedAttachments` keeps exactly the attachment bytes that a surviving manifest
 *     row references or that are within grace, deletes the rest, and reconciles exactly the rows
 *     whose owner the model proves dead.
 * The model (and its canonical JSON) is written independently of the store.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import {
  type AttachmentRootSet,
  type HydratedSessionCheckpoint,
  InMemoryAttachmentStore,
  reclaimUnreferencedAttachments,
  SessionAttachmentStore,
  Store,
  turnCommitHash,
} from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import {
  expectReplayClean,
  FakeProcessRegistry,
  moduleArtifact,
  PIXEL,
  PROPERTY_RUNS,
  PROPERTY_TIMEOUT_MS,
} from '../support/attachments.js';
import { base, commitWith, zeros } from '../support/fixtures.js';

const S = 's';
const FAKE_REF = 'd'.repeat(64);
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const utf8 = (s: string) => new TextEncoder().encode(s);

/** Canonical JSON, written independently: sorted keys, compact. */
function canon(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canon(o[k])}`)
    .join(',')}}`;
}

function checkpointOf(tool: number, plugin: number, exec: number, dangling: boolean): HydratedSessionCheckpoint {
  return {
    turnState: { turnIndex: tool + plugin, tokenUsage: { ...zeros }, lastPromptUsage: null, protocolTurnOptions: {} },
    toolStateRef: dangling ? FAKE_REF : null,
    toolState: tool === 0 ? null : { generation: tool },
    pluginSnapshotRef: null,
    pluginSnapshot: plugin === 0 ? null : { plugins: plugin },
    pluginSnapshotRevision: plugin === 0 ? null : plugin,
    executionStateRef: null,
    executionState: exec === 0 ? null : Uint8Array.from([exec]),
  };
}

type Owner = { kind: 'turn' | 'process'; id: string } | null;
type Op =
  | { kind: 'checkpoint'; tool: number; plugin: number; exec: number; dangling: boolean; headed: boolean }
  | { kind: 'clearHead' }
  | { kind: 'module'; name: number; keys: number }
  | { kind: 'raw'; key: number; content: number; env: boolean }
  | { kind: 'trigger'; owner: number; name: number; keys: number }
  | { kind: 'orphan'; content: number }
  | { kind: 'gc' }
  | { kind: 'attach'; content: number; session: number; owner: Owner }
  | { kind: 'commitRefs'; content: number; session: number }
  | { kind: 'forget'; content: number; session: number }
  | { kind: 'turnCommit'; turn: number; attach: number | null }
  | { kind: 'process'; id: number; registered: boolean }
  | { kind: 'advance'; ms: number }
  | { kind: 'reclaim'; grace: number };

const TURNS = ['t0', 't1', 't2'];
const PROCESSES = ['p0', 'p1'];
const SESSIONS = [S, 'other'];
const KEYSETS = [[], ['a'], ['b', 'a'], ['c', 'a', 'c']];

const ownerArb: fc.Arbitrary<Owner> = fc.oneof(
  fc.constant(null),
  fc.integer({ min: 0, max: 2 }).map((i) => ({ kind: 'turn' as const, id: TURNS[i] as string })),
  fc.integer({ min: 0, max: 1 }).map((i) => ({ kind: 'process' as const, id: PROCESSES[i] as string })),
);

const checkpointArb = fc.record({
  kind: fc.constant('checkpoint' as const),
  tool: fc.integer({ min: 0, max: 3 }),
  plugin: fc.integer({ min: 0, max: 2 }),
  exec: fc.integer({ min: 0, max: 2 }),
  dangling: fc.boolean(),
  headed: fc.boolean(),
});
const turnCommitArb = fc.record({
  kind: fc.constant('turnCommit' as const),
  turn: fc.integer({ min: 0, max: 2 }),
  attach: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
});

/** Blob-graph operations: checkpoints (head or not), artifact refs of every namespace, orphans, GC. */
const blobOpArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: checkpointArb, weight: 4 },
  { arbitrary: fc.constant({ kind: 'clearHead' as const }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('module' as const),
      name: fc.integer({ min: 0, max: 2 }),
      keys: fc.integer({ min: 0, max: 3 }),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('raw' as const),
      key: fc.integer({ min: 0, max: 2 }),
      content: fc.integer({ min: 0, max: 3 }),
      env: fc.boolean(),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('trigger' as const),
      owner: fc.integer({ min: 0, max: 1 }),
      name: fc.integer({ min: 0, max: 2 }),
      keys: fc.integer({ min: 0, max: 3 }),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('orphan' as const), content: fc.integer({ min: 0, max: 3 }) }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'gc' as const }), weight: 2 },
  { arbitrary: turnCommitArb, weight: 1 },
);

/** Attachment operations: owned puts, stamps, forgets, turn commits, registry changes, clock moves, reclaims. */
const attachmentOpArb: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('attach' as const),
      content: fc.integer({ min: 0, max: 3 }),
      session: fc.integer({ min: 0, max: 1 }),
      owner: ownerArb,
    }),
    weight: 5,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('commitRefs' as const),
      content: fc.integer({ min: 0, max: 3 }),
      session: fc.integer({ min: 0, max: 1 }),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('forget' as const),
      content: fc.integer({ min: 0, max: 3 }),
      session: fc.integer({ min: 0, max: 1 }),
    }),
    weight: 1,
  },
  { arbitrary: turnCommitArb, weight: 3 },
  {
    arbitrary: fc.record({ kind: fc.constant('process' as const), id: fc.integer({ min: 0, max: 1 }), registered: fc.boolean() }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.integer({ min: 0, max: 3 }).map((k) => [0, 1, 50, 1000][k] as number),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('reclaim' as const),
      grace: fc.integer({ min: 0, max: 3 }).map((k) => [0, 1, 60, 5000][k] as number),
    }),
    weight: 3,
  },
);

interface Row {
  intent: number;
  owner: Owner;
  committed: number | null;
}

class Model {
  readonly present = new Set<string>();
  readonly universe = new Set<string>();
  head: { ref: string; children: string[] } | null = null;
  headExists = false;
  readonly pointers = new Map<string, string>();
  readonly rows = new Map<string, Row>(); // `${session}\u0000${id}`
  readonly blobs = new Map<string, number>(); // attachment id → storedAt
  readonly turnCommits: Array<{ turn: string; at: number }> = [];
  readonly registered = new Set<string>();

  write(ref: string): void {
    this.present.add(ref);
    this.universe.add(ref);
  }

  gc(): { rootCount: number; retainedBlobCount: number; danglingRefCount: number; deletedBlobCount: number } {
    const reachable = new Set<string>();
    if (this.head) {
      reachable.add(this.head.ref);
      if (this.present.has(this.head.ref)) for (const c of this.head.children) reachable.add(c);
    }
    for (const ref of this.pointers.values()) reachable.add(ref);
    const deleted = [...this.present].filter((r) => !reachable.has(r));
    for (const r of deleted) this.present.delete(r);
    return {
      rootCount: (this.head ? 1 : 0) + this.pointers.size,
      retainedBlobCount: [...reachable].filter((r) => this.present.has(r)).length,
      danglingRefCount: [...reachable].filter((r) => !this.present.has(r)).length,
      deletedBlobCount: deleted.length,
    };
  }

  ownerDead(session: string, row: Row): boolean {
    if (row.owner === null) return true;
    const owner = row.owner;
    if (owner.kind === 'process') return !this.registered.has(owner.id);
    return session === S && this.turnCommits.some((c) => c.turn !== owner.id && c.at > row.intent);
  }

  /** Reconciliation at `cutoff`: deletes dead rows, returns the live ids. */
  reconcile(cutoff: number): Set<string> {
    for (const [key, row] of [...this.rows]) {
      const session = key.split('\u0000')[0] as string;
      if (row.committed === null && row.intent <= cutoff && this.ownerDead(session, row)) this.rows.delete(key);
    }
    return new Set([...this.rows.keys()].map((k) => k.split('\u0000')[1] as string));
  }
}

/** The root set of one session database, as the factory builds it per store. */
function rootSetOf(store: Store): AttachmentRootSet {
  return {
    liveAttachmentRefs: async (cutoff) => {
      await store.forgetAgedUncommittedIntents(cutoff);
      return new Set(await store.listAllRefs());
    },
    hasLiveAttachmentRef: (id, cutoff) => store.hasLiveRefForId(id, cutoff),
  };
}

async function expectBlobs(store: Store, model: Model): Promise<void> {
  for (const ref of model.universe) {
    expect((await store.getBlob(ref)) !== null, `blob ${ref}`).toBe(model.present.has(ref));
  }
}

/** Runs `ops` on a fresh store and checks every step against the model. */
async function run(ops: Op[]): Promise<void> {
  const clock = new ManualClock(10_000);
  const registry = new FakeProcessRegistry();
  const store = await Store.memory({ clock, processRegistry: registry });
  const backend = new InMemoryAttachmentStore({ clock });
  const roots = rootSetOf(store);
  const model = new Model();
  const contents = ['c0', 'c1', 'c2', 'c3'].map(utf8);
  const committedTurns = new Set<string>();
  try {
    for (const op of ops) {
      switch (op.kind) {
        case 'checkpoint': {
          const { checkpointRef, manifest } = await store.putCheckpoint(checkpointOf(op.tool, op.plugin, op.exec, op.dangling));
          model.write(checkpointRef);
          if (op.tool !== 0) model.write(manifest.toolStateRef as string);
          if (op.plugin !== 0) model.write(manifest.pluginSnapshotRef as string);
          if (op.exec !== 0) model.write(manifest.executionStateRef as string);
          if (op.dangling) model.universe.add(FAKE_REF);
          if (op.headed) {
            await store.saveSessionHead({
              sessionId: S,
              headRevision: 1,
              config: { providerId: '', model: {} },
              agentFrames: [],
              currentAgentFrameId: '',
              checkpointRef,
              graph: { nodes: [], leafNodeId: null },
              tokenLedger: [],
            });
            const children = [manifest.toolStateRef, manifest.pluginSnapshotRef, manifest.executionStateRef];
            model.head = { ref: checkpointRef, children: children.filter((c): c is string => c !== null) };
            model.headExists = true;
          }
          break;
        }
        case 'clearHead':
          if (model.headExists) {
            const head = await store.loadSessionHead();
            await store.saveSessionHead({ ...(head as NonNullable<typeof head>), checkpointRef: null });
            model.head = null;
          }
          break;
        case 'module': {
          const artifact = moduleArtifact(`m${op.name}`, KEYSETS[op.keys]);
          await store.putModuleArtifact(artifact);
          const ref = sha(utf8(canon(artifact)));
          model.write(ref);
          model.pointers.set(`lashlang_module/${artifact.moduleRef}`, ref);
          break;
        }
        case 'raw': {
          const bytes = contents[op.content] as Uint8Array;
          if (op.env) await store.putProcessExecutionEnv(`k${op.key}`, bytes);
          else await store.putArtifactBytes(`k${op.key}`, op.content % 2 ? 'processExecutionEnv' : 'generic', bytes);
          model.write(sha(bytes));
          model.pointers.set(`${op.env ? 'process_execution_env' : 'lashlang_artifact'}/k${op.key}`, sha(bytes));
          break;
        }
        case 'trigger': {
          const artifact = moduleArtifact(`m${op.name}`, KEYSETS[op.keys]);
          await store.replaceCurrentTriggerManifest(`o${op.owner}`, artifact);
          const keys = [...new Set(KEYSETS[op.keys])].sort();
          const ref = sha(utf8(canon({ moduleRef: artifact.moduleRef, manifest: { subscriptionKeys: keys } })));
          model.write(ref);
          model.pointers.set(`lashlang_trigger_manifest/o${op.owner}`, ref);
          break;
        }
        case 'orphan': {
          const ref = await store.putBlob(utf8(`orphan-${op.content}`));
          model.write(ref);
          break;
        }
        case 'gc': {
          expect(await store.gcUnreachable()).toEqual(model.gc());
          await expectBlobs(store, model);
          break;
        }
        case 'attach': {
          const session = SESSIONS[op.session] as string;
          const facade = new SessionAttachmentStore(backend, store, session, clock);
          const binding =
            op.owner === null
              ? null
              : op.owner.kind === 'turn'
                ? facade.bindTurnScoped(op.owner.id)
                : facade.bindProcessScoped(op.owner.id);
          const ref = await facade.put(contents[op.content] as Uint8Array, PIXEL);
          binding?.release();
          const key = `${session}\u0000${ref.id}`;
          const existing = model.rows.get(key);
          model.rows.set(key, { intent: clock.timestampMs(), owner: op.owner, committed: existing?.committed ?? null });
          model.blobs.set(ref.id, clock.timestampMs());
          break;
        }
        case 'commitRefs': {
          const session = SESSIONS[op.session] as string;
          const id = sha(contents[op.content] as Uint8Array);
          await store.commitRefs(session, [id]);
          const row = model.rows.get(`${session}\u0000${id}`);
          if (row && row.committed === null) row.committed = clock.timestampMs();
          break;
        }
        case 'forget': {
          const session = SESSIONS[op.session] as string;
          const id = sha(contents[op.content] as Uint8Array);
          await new SessionAttachmentStore(backend, store, session, clock).delete(id);
          model.rows.delete(`${session}\u0000${id}`);
          break;
        }
        case 'turnCommit': {
          const turn = TURNS[op.turn] as string;
          if (committedTurns.has(turn)) break;
          committedTurns.add(turn);
          const attach = op.attach === null ? [] : [sha(contents[op.attach] as Uint8Array)];
          const c = { ...base(S), committedAttachmentIds: attach };
          const result = await commitWith(
            store,
            { ...c, turnCommit: { sessionId: S, turnId: turn, turnCommitHash: turnCommitHash(c) } },
            `owner-${turn}`,
          );
          const now = clock.timestampMs();
          for (const [key, row] of model.rows) {
            const [session, id] = key.split('\u0000');
            if (session !== S || row.committed !== null) continue;
            if (attach.includes(id as string) || (row.owner?.kind === 'turn' && row.owner.id === turn)) row.committed = now;
          }
          model.turnCommits.push({ turn, at: now });
          model.write(result.checkpointRef);
          model.head = { ref: result.checkpointRef, children: [] };
          model.headExists = true;
          break;
        }
        case 'process':
          if (op.registered) registry.processes.add(PROCESSES[op.id] as string);
          else registry.processes.delete(PROCESSES[op.id] as string);
          if (op.registered) model.registered.add(PROCESSES[op.id] as string);
          else model.registered.delete(PROCESSES[op.id] as string);
          break;
        case 'advance':
          clock.advance(op.ms);
          break;
        case 'reclaim': {
          const now = clock.timestampMs();
          const cutoff = Math.max(0, now - op.grace);
          const live = model.reconcile(cutoff);
          const doomed = [...model.blobs]
            .filter(([id, at]) => !live.has(id) && !(Math.max(0, now - at) < op.grace))
            .map(([id]) => id);
          const report = await reclaimUnreferencedAttachments(roots, backend, op.grace, { clock });
          expect(report).toEqual({
            scannedBlobCount: model.blobs.size,
            reclaimedCount: doomed.length,
            failedIds: [],
            deletedWhileReferenced: [],
          });
          for (const id of doomed) model.blobs.delete(id);
          expect(new Set((await backend.list()).map((b) => b.id))).toEqual(new Set(model.blobs.keys()));
          expect(await store.listAllRefs()).toEqual([...live].sort());
          break;
        }
      }
    }
    const first = await store.gcUnreachable();
    expect(first).toEqual(model.gc());
    await expectBlobs(store, model);
    expect((await store.gcUnreachable()).deletedBlobCount).toBe(0);
    await expectReplayClean(store);
  } finally {
    await store.close();
  }
}

it(
  'gcUnreachable keeps exactly the blobs the head checkpoint and the artifact refs reach, and deletes the rest',
  async () => {
    await fc.assert(fc.asyncProperty(fc.array(blobOpArb, { minLength: 1, maxLength: 12 }), run), { numRuns: PROPERTY_RUNS });
  },
  PROPERTY_TIMEOUT_MS,
);

it(
  'reclamation keeps exactly the attachment bytes a surviving manifest row references or that are within grace',
  async () => {
    await fc.assert(fc.asyncProperty(fc.array(attachmentOpArb, { minLength: 1, maxLength: 12 }), run), {
      numRuns: PROPERTY_RUNS,
    });
  },
  PROPERTY_TIMEOUT_MS,
);
