/**
 * fast-check properties of the effect replay journal and the await-event keys
 * (40-effects-triggers §6 E3–E5, E7, A1, A4), each over at least 1,000 runs with a `ManualClock`:
 *   - executing the same envelope sequence twice yields identical outcomes (or identical recorded
 *     errors) and calls the local executor once per key, in or out of replay mode;
 *   - any changed envelope under an existing key is `EffectReplayHashConflict` whose divergent-path
 *     count and first paths match an independent model, and the journal is unchanged;
 *   - random tampering with a key never authenticates: resolve is `unknownOrRevoked`, peek and
 *     await are `AwaitEventUnknownOrRevoked`, and nothing is written.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type AwaitEventKey,
  type AwaitEventWaitIdentity,
  type ExecutionScope,
  type JsonValue,
  type RuntimeEffectCommand,
  type RuntimeEffectEnvelope,
  type RuntimeEffectOutcome,
  type RuntimeScope,
  SqliteEffectHost,
} from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';

/** Runs per property: at least 1,000; `LASH_PROPERTY_RUNS` may ask for more. */
const NUM_RUNS = Math.max(1000, Number(process.env.LASH_PROPERTY_RUNS) || 0);
const TIMEOUT_MS = 240_000;

const cursors = new WeakMap<SqliteEffectHost, number>();

/** The host's last event seq, read incrementally (a full read per run would make the runs quadratic). */
async function lastSeq(host: SqliteEffectHost): Promise<number> {
  let seq = cursors.get(host) ?? 0;
  for (const event of await host.readEvents({ afterSeq: seq })) seq = event.seq;
  cursors.set(host, seq);
  return seq;
}

type Settled = { ok: true; value: RuntimeEffectOutcome } | { ok: false; code: string; message: string; summary: unknown };

async function settle(p: Promise<RuntimeEffectOutcome>): Promise<Settled> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    const e = error as { code: string; message: string; summary?: unknown };
    return { ok: false, code: e.code, message: e.message, summary: e.summary ?? null };
  }
}

// ------------------------------------------------------------------ sequences replay identically

/** JSON without -0 (canonical JSON writes it as 0, so it would not round-trip as -0). */
const json: fc.Arbitrary<JsonValue> = fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.parse(JSON.stringify(v)) as JsonValue);

interface KeyPlan {
  kind: 'execCode' | 'durableStep' | 'sleep';
  payload: JsonValue;
  /** The executor rejects with this code (null: it returns an outcome). */
  failCode: string | null;
}

const keyPlan: fc.Arbitrary<KeyPlan> = fc.record({
  kind: fc.constantFrom('execCode' as const, 'durableStep' as const, 'sleep' as const),
  payload: json,
  failCode: fc.option(fc.constantFrom('ToolFailed', 'ProviderDown'), { nil: null }),
});

function planEnvelope(key: string, plan: KeyPlan): RuntimeEffectEnvelope {
  const scope: RuntimeScope = { sessionId: 'property-session', turnId: 'property-turn', turnIndex: 1 };
  let command: RuntimeEffectCommand;
  if (plan.kind === 'sleep') command = { kind: 'sleep', durationMs: 0 };
  else if (plan.kind === 'durableStep') command = { kind: 'durableStep', stepId: key, input: plan.payload };
  else command = { kind: 'execCode', language: 'property', code: JSON.stringify(plan.payload) };
  return {
    invocation: { scope, subject: { kind: 'effect', effectId: key, effectKind: command.kind }, replay: { key } },
    command,
  };
}

let sharedHost: SqliteEffectHost;
let sequenceRun = 0;
beforeAll(async () => {
  sharedHost = await SqliteEffectHost.memory({ clock: new ManualClock(1_000_000) });
});
afterAll(async () => {
  const report = await sharedHost.verifyProjections();
  await sharedHost.close();
  expect(report.mismatches).toEqual([]);
});

it(
  'executing the same envelope sequence twice yields identical outcomes and runs each key once',
  async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(keyPlan, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        async (plans, picks, replayMode) => {
          // Replay mode is host-wide and permanent, so those runs get a fresh host; the others share
          // one host and a scope of their own (scopes never interact, E10).
          const host = replayMode ? await SqliteEffectHost.memory({ clock: new ManualClock(1_000_000) }) : sharedHost;
          try {
            const scope = { kind: 'turn', sessionId: 'property-session', turnId: `property-turn-${sequenceRun++}` } as const;
            const controller = host.scoped(scope).controller;
            const sequence = picks.map((p) => p % plans.length);
            const calls = new Map<string, number>();
            const run = async () => {
              const results: Settled[] = [];
              for (const index of sequence) {
                const key = `key-${index}`;
                const plan = plans[index] as KeyPlan;
                results.push(
                  await settle(
                    controller.executeEffect(planEnvelope(key, plan), {
                      kind: 'function',
                      run: async () => {
                        const n = (calls.get(key) ?? 0) + 1;
                        calls.set(key, n);
                        if (plan.failCode) throw Object.assign(new Error(`${plan.failCode} #${n}`), { code: plan.failCode });
                        return { kind: plan.kind, result: { call: n, payload: plan.payload } };
                      },
                    }),
                  ),
                );
              }
              return results;
            };
            const first = await run();
            const cursor = await lastSeq(host);
            if (replayMode) controller.startReplay();
            const second = await run();
            expect(second).toEqual(first);
            expect(await host.readEvents({ afterSeq: cursor })).toEqual([]);
            const distinct = new Set(sequence);
            for (const index of distinct) {
              const plan = plans[index] as KeyPlan;
              expect(calls.get(`key-${index}`) ?? 0).toBe(plan.kind === 'sleep' ? 0 : 1);
            }
            // Every journaled outcome is the first execution's.
            for (const [i, r] of first.entries()) {
              const plan = plans[sequence[i] as number] as KeyPlan;
              if (plan.kind === 'sleep') expect(r).toEqual({ ok: true, value: { kind: 'sleep' } });
              else if (plan.failCode) expect(r).toMatchObject({ ok: false, code: plan.failCode, message: `${plan.failCode} #1` });
              else expect(r).toEqual({ ok: true, value: { kind: plan.kind, result: { call: 1, payload: plan.payload } } });
            }
            if (replayMode) expect((await host.verifyProjections()).mismatches).toEqual([]);
          } finally {
            if (replayMode) await host.close();
          }
        },
      ),
      { numRuns: NUM_RUNS },
    );
  },
  TIMEOUT_MS,
);

// ------------------------------------------------------------------ changed envelopes are diagnosed

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Independent model of the structural diff: leaf-level paths in sorted depth-first order. */
function modelPaths(a: Json | undefined, b: Json | undefined, path: string, out: string[]): void {
  const kindOf = (v: Json | undefined) =>
    v === undefined ? 'missing' : v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka === 'object' && kb === 'object') {
    const oa = a as Record<string, Json>;
    const ob = b as Record<string, Json>;
    const keys = Array.from(new Set([...Object.keys(oa), ...Object.keys(ob)])).sort((x, y) => {
      const cx = Array.from(x).map((c) => c.codePointAt(0) as number);
      const cy = Array.from(y).map((c) => c.codePointAt(0) as number);
      for (let i = 0; i < Math.min(cx.length, cy.length); i++) if (cx[i] !== cy[i]) return (cx[i] as number) - (cy[i] as number);
      return cx.length - cy.length;
    });
    for (const k of keys) modelPaths(k in oa ? oa[k] : undefined, k in ob ? ob[k] : undefined, path ? `${path}.${k}` : k, out);
    return;
  }
  if (ka === 'array' && kb === 'array') {
    const xa = a as Json[];
    const xb = b as Json[];
    for (let i = 0; i < Math.max(xa.length, xb.length); i++) modelPaths(xa[i], xb[i], `${path}[${i}]`, out);
    return;
  }
  if (ka !== 'missing' && kb !== 'missing' && sortedJson(a as Json) === sortedJson(b as Json)) return;
  out.push(path);
}

function sortedJson(v: Json): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
  return `{${Object.keys(v)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${sortedJson(v[k] as Json)}`)
    .join(',')}}`;
}

/** An envelope variant: optional typed members either given or absent (never null). */
interface Variant {
  turnId: string | undefined;
  turnIndex: number | undefined;
  causedBy: Json | undefined;
  stepId: string;
  input: Json;
}

const small = fc.oneof(fc.constant(null), fc.boolean(), fc.integer({ min: -3, max: 3 }), fc.constantFrom('a', 'b', 'é', 'z'));
const tree: fc.Arbitrary<Json> = fc.letrec<{ node: Json }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    small,
    fc.array(tie('node'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'c', 'B', 'é', '_x', '10', '9'), tie('node'), { maxKeys: 3 }),
  ),
})).node;

const variant: fc.Arbitrary<Variant> = fc.record({
  turnId: fc.option(fc.constantFrom('t1', 't2'), { nil: undefined }),
  turnIndex: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
  causedBy: fc.option(tree, { nil: undefined }),
  stepId: fc.constantFrom('step-a', 'step-b'),
  input: tree,
});

/** The envelope as the model sees it: a null optional typed member is the same as an absent one. */
function modelJson(envelope: RuntimeEffectEnvelope): Json {
  const copy = JSON.parse(JSON.stringify(envelope)) as { invocation: Record<string, Json> };
  if (copy.invocation.causedBy === null) delete copy.invocation.causedBy;
  return copy as unknown as Json;
}

function variantEnvelope(key: string, v: Variant): RuntimeEffectEnvelope {
  const scope: RuntimeScope = { sessionId: 'diff-session' };
  if (v.turnId !== undefined) scope.turnId = v.turnId;
  if (v.turnIndex !== undefined) scope.turnIndex = v.turnIndex;
  const invocation: RuntimeEffectEnvelope['invocation'] = {
    scope,
    subject: { kind: 'effect', effectId: key, effectKind: 'durableStep' },
    replay: { key },
  };
  if (v.causedBy !== undefined) invocation.causedBy = v.causedBy;
  return { invocation, command: { kind: 'durableStep', stepId: v.stepId, input: v.input } };
}

let diffHost: SqliteEffectHost;
let diffRun = 0;
beforeAll(async () => {
  diffHost = await SqliteEffectHost.memory({ clock: new ManualClock(1_000_000) });
});
afterAll(async () => {
  const report = await diffHost.verifyProjections();
  await diffHost.close();
  expect(report.mismatches).toEqual([]);
});

it(
  'any changed envelope under an existing key is a mismatch with the right divergent paths',
  async () => {
    await fc.assert(
      fc.asyncProperty(variant, variant, async (recorded, changed) => {
        const key = `diff-${diffRun++}`;
        const before = variantEnvelope(key, recorded);
        const after = variantEnvelope(key, changed);
        const expected: string[] = [];
        modelPaths(modelJson(before), modelJson(after), '', expected);
        const controller = diffHost.scoped({ kind: 'runtimeOperation', operationId: key }).controller;
        const first = await controller.executeEffect(before, {
          kind: 'function',
          run: async () => ({ kind: 'durableStep', output: key }),
        });
        expect(first).toEqual({ kind: 'durableStep', output: key });
        const cursor = await lastSeq(diffHost);
        const second = await settle(
          controller.executeEffect(after, { kind: 'function', run: async () => ({ kind: 'durableStep', output: 'rerun' }) }),
        );
        if (expected.length === 0) {
          expect(second).toEqual({ ok: true, value: first });
        } else {
          expect(second.ok).toBe(false);
          if (second.ok) return;
          expect(second.code).toBe('EffectReplayHashConflict');
          expect(second.summary).toEqual({ divergentPathCount: expected.length, firstDivergentPaths: expected.slice(0, 8) });
          expect(second.message).toContain(`divergent_path_count=${expected.length}`);
        }
        expect(await diffHost.readEvents({ afterSeq: cursor })).toEqual([]);
      }),
      { numRuns: NUM_RUNS },
    );
  },
  TIMEOUT_MS,
);

// ------------------------------------------------------------------ tampered keys never verify

const id = fc.constantFrom('s1', 's2', 'turn-x', 'p', 'é', 'a b');
const scopeArb: fc.Arbitrary<ExecutionScope> = fc.oneof(
  fc.record({ kind: fc.constant('turn' as const), sessionId: id, turnId: id }),
  fc.record({ kind: fc.constant('process' as const), processId: id }),
  fc.record({ kind: fc.constant('queueDrain' as const), sessionId: id, drainId: id }),
  fc.record({ kind: fc.constant('sessionDelete' as const), sessionId: id }),
  fc.record({ kind: fc.constant('runtimeOperation' as const), operationId: id }),
);
const waitArb: fc.Arbitrary<AwaitEventWaitIdentity> = fc.oneof(
  fc.record({ kind: fc.constant('toolCompletion' as const), toolCallId: id }),
  fc.record({
    kind: fc.constant('processSignal' as const),
    processId: id,
    signalName: id,
    ordinal: fc.integer({ min: 1, max: 3 }),
  }),
  fc.constant({ kind: 'turnCancelGate' as const }),
  fc.constant({ kind: 'turnTerminal' as const }),
  fc.record({ kind: fc.constant('custom' as const), key: id }),
);

/** A tampering of a key that changes what it means (so it must never authenticate). */
type Tamper =
  | { kind: 'scope'; scope: ExecutionScope }
  | { kind: 'wait'; wait: AwaitEventWaitIdentity }
  | { kind: 'keyIdChar'; at: number; to: string }
  | { kind: 'signatureChar'; at: number; to: string }
  | { kind: 'signatureLength'; grow: boolean; extra: string }
  | { kind: 'keyIdLength'; grow: boolean; extra: string }
  | { kind: 'foreignDatabase' };

const hex = fc.constantFrom(...'0123456789abcdefABCDEF-');
const tamperArb: fc.Arbitrary<Tamper> = fc.oneof(
  fc.record({ kind: fc.constant('scope' as const), scope: scopeArb }),
  fc.record({ kind: fc.constant('wait' as const), wait: waitArb }),
  fc.record({ kind: fc.constant('keyIdChar' as const), at: fc.nat(63), to: hex }),
  fc.record({ kind: fc.constant('signatureChar' as const), at: fc.nat(63), to: hex }),
  fc.record({
    kind: fc.constant('signatureLength' as const),
    grow: fc.boolean(),
    extra: fc.string({ minLength: 1, maxLength: 3 }),
  }),
  fc.record({ kind: fc.constant('keyIdLength' as const), grow: fc.boolean(), extra: fc.string({ minLength: 1, maxLength: 3 }) }),
  fc.constant({ kind: 'foreignDatabase' as const }),
);

const canon = (v: unknown) => sortedJson(v as Json);

let keyHost: SqliteEffectHost;
let foreignHost: SqliteEffectHost;
beforeAll(async () => {
  keyHost = await SqliteEffectHost.memory({ clock: new ManualClock(1_000_000) });
  foreignHost = await SqliteEffectHost.memory({ clock: new ManualClock(1_000_000) });
});
afterAll(async () => {
  await keyHost.close();
  await foreignHost.close();
});

it(
  'random tampering with a key never verifies and never writes',
  async () => {
    const events = (await keyHost.readEvents()).length;
    await fc.assert(
      fc.asyncProperty(scopeArb, waitArb, tamperArb, async (scope, wait, tamper) => {
        const key = await keyHost.awaitEventKey(scope, wait);
        let forged: AwaitEventKey;
        switch (tamper.kind) {
          case 'scope':
            fc.pre(canon(tamper.scope) !== canon(key.scope));
            forged = { ...key, scope: tamper.scope };
            break;
          case 'wait':
            fc.pre(canon(tamper.wait) !== canon(key.wait));
            forged = { ...key, wait: tamper.wait };
            break;
          case 'keyIdChar':
            fc.pre(key.keyId[tamper.at] !== tamper.to);
            forged = { ...key, keyId: key.keyId.slice(0, tamper.at) + tamper.to + key.keyId.slice(tamper.at + 1) };
            break;
          case 'signatureChar':
            fc.pre(key.signature[tamper.at] !== tamper.to);
            forged = { ...key, signature: key.signature.slice(0, tamper.at) + tamper.to + key.signature.slice(tamper.at + 1) };
            break;
          case 'signatureLength':
            forged = {
              ...key,
              signature: tamper.grow ? key.signature + tamper.extra : key.signature.slice(0, -tamper.extra.length),
            };
            break;
          case 'keyIdLength':
            forged = { ...key, keyId: tamper.grow ? key.keyId + tamper.extra : key.keyId.slice(0, -tamper.extra.length) };
            break;
          case 'foreignDatabase':
            forged = await foreignHost.awaitEventKey(scope, wait);
            break;
        }
        expect(await keyHost.resolveAwaitEvent(forged, { kind: 'ok', payload: 'forged' })).toEqual({ kind: 'unknownOrRevoked' });
        await expect(keyHost.peekAwaitEvent(forged)).rejects.toMatchObject({ code: 'AwaitEventUnknownOrRevoked' });
        await expect(keyHost.awaitAwaitEvent(forged)).rejects.toMatchObject({ code: 'AwaitEventUnknownOrRevoked' });
      }),
      { numRuns: NUM_RUNS },
    );
    // Minting, failed authentication and refused awaits wrote nothing.
    expect((await keyHost.readEvents()).length).toBe(events);
  },
  TIMEOUT_MS,
);
