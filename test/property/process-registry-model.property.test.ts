/**
 * Random operation sequences against the registry (30-process-registry §4 invariants 1, 4–7, 9, 14,
 * 16, 24): valid and invalid registrations, appends, completions (leased and unleased, every
 * authority), wait state, write-once facts, grants and transfers, leases, handovers, session
 * deletion, prune and clock advances on 1–3 processes. After every call that throws, a full snapshot
 * of the run's processes (records, process events, grants, leases, handovers, the database event log)
 * equals the one before; after every step the structural invariants hold.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import {
  type ProcessAwaitOutput,
  type ProcessCompletionAuthority,
  type ProcessLease,
  type ProcessRecord,
  SqliteProcessRegistry,
} from '../../src/index.js';
import type { JsonValue } from '../../src/json.js';
import { ManualClock } from '../../src/testing.js';
import { owner, ownerBoundReg, plainType, plus, reg, rerunnableReg, S, wakeType } from '../support/process-fixtures.js';

const NUM_RUNS = Math.max(1000, Number(process.env.LASH_PROPERTY_RUNS) || 0);

const OUTPUTS: ProcessAwaitOutput[] = [
  { kind: 'success', value: 1, control: null },
  { kind: 'success', value: 2, control: null },
  { kind: 'failure', class: 'timeout', code: 'c', message: 'm', raw: null, control: null },
  { kind: 'abandoned', evidence: { writer: 'sweep', owner: null, epochMs: 1 }, control: null },
];
const AUTHORITIES: ProcessCompletionAuthority[] = [
  { kind: 'externalOwner', grantedTo: 'e' },
  { kind: 'workflowKey', workflowKey: 'w' },
  { kind: 'reconciledAbandon' },
];
const SCOPES = [S('s1'), S('s2'), { sessionId: 's1', agentFrameId: 'f' }];

type Op =
  | { op: 'register'; p: number; variant: number }
  | { op: 'append'; p: number; type: number; key: number; payload: number }
  | { op: 'complete'; p: number; output: number; authority: number }
  | { op: 'completeLeased'; p: number; output: number; lease: number }
  | { op: 'claim'; p: number; owner: number; ttl: number }
  | { op: 'renew'; lease: number }
  | { op: 'wait'; p: number }
  | { op: 'clearWait'; p: number }
  | { op: 'abandon'; p: number }
  | { op: 'started'; p: number; owner: number }
  | { op: 'externalRef'; p: number; id: number }
  | { op: 'grant'; p: number; scope: number }
  | { op: 'transfer'; p: number; from: number; to: number }
  | { op: 'ack'; p: number; seq: number }
  | { op: 'handover'; p: number; ordinal: number; state: number }
  | { op: 'deleteSession'; session: number }
  | { op: 'prune'; cutoff: number }
  | { op: 'advance'; ms: number };

const P = fc.nat(2);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('register' as const), p: P, variant: fc.nat(3) }),
  fc.record({ op: fc.constant('append' as const), p: P, type: fc.nat(4), key: fc.nat(3), payload: fc.nat(2) }),
  fc.record({ op: fc.constant('complete' as const), p: P, output: fc.nat(3), authority: fc.nat(2) }),
  fc.record({ op: fc.constant('completeLeased' as const), p: P, output: fc.nat(3), lease: fc.nat(5) }),
  fc.record({ op: fc.constant('claim' as const), p: P, owner: fc.nat(1), ttl: fc.constantFrom(0, 10, 1000) }),
  fc.record({ op: fc.constant('renew' as const), lease: fc.nat(5) }),
  fc.record({ op: fc.constant('wait' as const), p: P }),
  fc.record({ op: fc.constant('clearWait' as const), p: P }),
  fc.record({ op: fc.constant('abandon' as const), p: P }),
  fc.record({ op: fc.constant('started' as const), p: P, owner: fc.nat(1) }),
  fc.record({ op: fc.constant('externalRef' as const), p: P, id: fc.nat(1) }),
  fc.record({ op: fc.constant('grant' as const), p: P, scope: fc.nat(2) }),
  fc.record({ op: fc.constant('transfer' as const), p: P, from: fc.nat(2), to: fc.nat(2) }),
  fc.record({ op: fc.constant('ack' as const), p: P, seq: fc.nat(4) }),
  fc.record({ op: fc.constant('handover' as const), p: P, ordinal: fc.nat(4), state: fc.nat(1) }),
  fc.record({ op: fc.constant('deleteSession' as const), session: fc.nat(1) }),
  fc.record({ op: fc.constant('prune' as const), cutoff: fc.constantFrom(0, 1_000_050, Number.MAX_SAFE_INTEGER) }),
  fc.record({ op: fc.constant('advance' as const), ms: fc.constantFrom(1, 5, 20) }),
);

it('failed calls change nothing, and the registry invariants hold after every step', async () => {
  const clock = new ManualClock(1_000_000);
  const registry = await SqliteProcessRegistry.memory({ clock });
  let run = 0;
  let lastSeq = 0;
  let failures = 0;
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), async (ops) => {
        const r = run++;
        const ids = [0, 1, 2].map((i) => `m${r}-${i}`);
        const scopes = SCOPES.map((s) => ({ ...s, sessionId: `${s.sessionId}-${r}` }));
        const leases: ProcessLease[] = [];
        const types = ['a', 'w', 'process.cancel_requested', 'process.completed', 'undeclared'];
        const variants = (id: string) => [
          plus(reg(id), plainType('a'), wakeType('w')),
          plus(ownerBoundReg(id), plainType('a'), wakeType('w')),
          plus(rerunnableReg(id), plainType('a'), wakeType('w')),
          reg(id),
        ];
        const snapshot = async () => {
          const out: Record<string, unknown> = {};
          for (const id of ids) {
            const record = await registry.getProcess(id);
            out[id] = record && {
              record,
              events: await registry.eventsAfter(id, 0),
              wakes: await registry.wakeEventsAfter(id, 0),
              grants: await registry.handleGrantsForProcess(id),
              lease: await registry.getProcessLease(id),
              handover: await registry.latestSegmentHandover(id),
            };
          }
          const log = await registry.readEvents({ afterSeq: lastSeq });
          out.log = log.length;
          return out;
        };
        const writeOnce = new Map<
          string,
          { externalRef: unknown; firstStarted: unknown; abandonRequest: unknown; createdAtMs: number }
        >();
        const terminalOnce = new Map<string, ProcessRecord['status']>();
        for (const o of ops) {
          const before = await snapshot();
          let failed = false;
          const attempt = async (fn: () => Promise<unknown>) => {
            try {
              const result = await fn();
              if (result && typeof result === 'object' && 'kind' in result && result.kind === 'acquired') {
                leases.push((result as unknown as { lease: ProcessLease }).lease);
              }
            } catch (error) {
              expect((error as { name?: string }).name).toBe('ProcessRegistryError');
              failed = true;
            }
          };
          const id = 'p' in o ? (ids[o.p] as string) : '';
          switch (o.op) {
            case 'register':
              await attempt(() => registry.registerProcess(variants(id)[o.variant]!));
              break;
            case 'append':
              await attempt(() =>
                registry.appendEvent(id, {
                  eventType: types[o.type]!,
                  payload:
                    o.type === 3
                      ? ({ awaitOutput: OUTPUTS[o.payload]! } as unknown as JsonValue)
                      : o.payload === 0
                        ? {}
                        : { wake_input: `x${o.payload}` },
                  replay: o.key === 0 ? null : { key: `k${o.key}` },
                  wakeTargetScope: scopes[0]!,
                }),
              );
              break;
            case 'complete':
              await attempt(() => registry.completeProcess(id, OUTPUTS[o.output]!, AUTHORITIES[o.authority]!));
              break;
            case 'completeLeased': {
              const lease = leases[o.lease % Math.max(1, leases.length)];
              if (lease) await attempt(() => registry.completeProcessWithLease(lease, OUTPUTS[o.output]!));
              break;
            }
            case 'claim':
              await attempt(() => registry.claimProcessLease(id, owner(`o${o.owner}`), o.ttl));
              break;
            case 'renew': {
              const lease = leases[o.lease % Math.max(1, leases.length)];
              if (lease) await attempt(() => registry.renewProcessLease(lease, 100));
              break;
            }
            case 'wait':
              await attempt(() =>
                registry.setProcessWait(id, {
                  sinceMs: 1,
                  kind: { kind: 'signal', name: 'x', eventType: 'signal.x', key: 'k', ordinal: 1 },
                }),
              );
              break;
            case 'clearWait':
              await attempt(() => registry.clearProcessWait(id));
              break;
            case 'abandon':
              await attempt(() => registry.requestProcessAbandon(id, { requestedBy: 'op', requestedAtMs: 1, reason: null }));
              break;
            case 'started':
              await attempt(() => registry.recordFirstStarted(id, { owner: owner(`o${o.owner}`), startedAtMs: o.owner }));
              break;
            case 'externalRef':
              await attempt(() => registry.setExternalRef(id, { backend: 'b', id: `j${o.id}`, metadata: null }));
              break;
            case 'grant':
              await attempt(() => registry.grantHandle(scopes[o.scope]!, id, { kind: 'k', label: null }));
              break;
            case 'transfer':
              await attempt(() => registry.transferHandleGrants(scopes[o.from]!, scopes[o.to]!, [id]));
              break;
            case 'ack':
              await attempt(() => registry.ackWake(id, o.seq));
              break;
            case 'handover':
              await attempt(() =>
                registry.putSegmentHandover(id, {
                  segmentOrdinal: o.ordinal,
                  programHash: 'h',
                  handover: { reason: 'durationCap', programHash: null, engineState: new Uint8Array([o.state]) },
                }),
              );
              break;
            case 'deleteSession':
              await attempt(() => registry.deleteSessionProcessState(`s${o.session + 1}-${r}`));
              break;
            case 'prune':
              await attempt(() => registry.pruneTerminalProcesses(o.cutoff));
              if (o.cutoff === Number.MAX_SAFE_INTEGER) {
                for (const pid of ids) {
                  writeOnce.delete(pid);
                  terminalOnce.delete(pid);
                }
              }
              break;
            case 'advance':
              clock.advance(o.ms);
              break;
          }
          const after = await snapshot();
          if (failed) {
            failures++;
            expect(after).toEqual(before);
          }
          for (const pid of ids) {
            const entry = after[pid] as {
              record: ProcessRecord;
              events: Array<{ sequence: number; semantics: { terminal: unknown } }>;
            } | null;
            if (!entry) {
              writeOnce.delete(pid);
              terminalOnce.delete(pid);
              continue;
            }
            const { record, events } = entry;
            expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
            const terminals = events.filter((e) => e.semantics.terminal !== null);
            expect(terminals.length).toBeLessThanOrEqual(1);
            if (record.status.kind === 'running') expect(terminals).toHaveLength(0);
            else {
              expect(terminals).toHaveLength(1);
              expect(record.wait).toBeNull();
              expect(record.status).toEqual({
                kind: (terminals[0]!.semantics.terminal as { state: string }).state,
                awaitOutput: (terminals[0]!.semantics.terminal as { awaitOutput: unknown }).awaitOutput,
              });
              const first = terminalOnce.get(pid);
              if (first) expect(record.status).toEqual(first);
              else terminalOnce.set(pid, record.status);
            }
            expect(record.updatedAtMs).toBeGreaterThanOrEqual(record.createdAtMs);
            const facts = writeOnce.get(pid);
            if (facts) {
              expect(record.createdAtMs).toBe(facts.createdAtMs);
              for (const key of ['externalRef', 'firstStarted', 'abandonRequest'] as const) {
                if (facts[key] !== null) expect(record[key]).toEqual(facts[key]);
              }
            }
            writeOnce.set(pid, {
              externalRef: record.externalRef,
              firstStarted: record.firstStarted,
              abandonRequest: record.abandonRequest,
              createdAtMs: record.createdAtMs,
            });
          }
          const seqs = ids
            .map((pid) => (after[pid] as { record: ProcessRecord } | null)?.record.changeSeq)
            .filter((x) => x !== undefined);
          expect(new Set(seqs).size).toBe(seqs.length);
        }
        const log = await registry.readEvents({ afterSeq: lastSeq });
        lastSeq = log.at(-1)?.seq ?? lastSeq;
      }),
      { numRuns: NUM_RUNS },
    );
    // The generators must exercise the failure paths, or the atomicity check proves nothing.
    expect(failures).toBeGreaterThan(NUM_RUNS);
    expect((await registry.verifyProjections()).mismatches).toEqual([]);
  } finally {
    await registry.close();
  }
}, 240_000);
