/** 30-process-registry §5.3 (C13–C17) and S11: terminal completion, authority, leased replay, repair. */
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import type { ProcessAwaitOutput } from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import {
  acquired,
  ext,
  FAR,
  owner,
  ownerBoundReg,
  RA,
  reg,
  rejectsCode,
  rerunnableReg,
  success,
  terminalEvents,
  wf,
} from '../support/process-fixtures.js';
import { describeRegistries, fileRegistryBackend } from '../support/registries.js';

describeRegistries('process registry: completion', (backend) => {
  it('C13 await_reads_terminal_materialized_output', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    await registry.registerProcess(reg('proc-2'));
    await registry.completeProcess('proc-2', success({ ok: true }), ext('conformance'));
    expect(await registry.awaitTerminal('proc-2')).toEqual(success({ ok: true }));
    expect((await registry.getProcess('proc-2'))?.status.kind).toBe('completed');
  });

  it('C14 abandoned_terminal_round_trips_and_pins_writer_rules', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    await registry.registerProcess(ownerBoundReg('proc-abandoned'));
    const ev = { writer: 'sweep' as const, owner: owner('dead-owner'), epochMs: 999 };
    const t = await registry.completeProcess(
      'proc-abandoned',
      { kind: 'abandoned', evidence: ev } as ProcessAwaitOutput,
      wf('proc-abandoned'),
    );
    expect(t.status.kind).toBe('abandoned');
    expect(
      t.status.kind === 'abandoned' && t.status.awaitOutput.kind === 'abandoned' ? t.status.awaitOutput.evidence : null,
    ).toEqual(ev);
    expect((await registry.listProcesses({ status: 'abandoned' })).map((r) => r.id)).toContain('proc-abandoned');
    await rejectsCode(registry.completeProcess('proc-abandoned', success('revenant'), wf('proc-abandoned')), 'AlreadyTerminal');
    await rejectsCode(
      registry.requestProcessAbandon('proc-abandoned', { requestedBy: 'operator', requestedAtMs: 1 } as never),
      'TerminalRejectsAbandon',
    );
    expect((await registry.pruneTerminalProcesses(FAR)).prunedProcesses).toBeGreaterThanOrEqual(1);
    expect(await registry.getProcess('proc-abandoned')).toBeNull();
  });

  it('C15 completion_authority_validated_against_disposition', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    await registry.registerProcess(reg('auth-ext-accept'));
    const accepted = await registry.completeProcess('auth-ext-accept', success('ok'), ext('session:owner'));
    expect(accepted.status.kind).toBe('completed');
    const [event] = (await registry.eventsAfter('auth-ext-accept', 0)).filter((e) => e.eventType === 'process.completed');
    expect((event?.payload as { completionAuthority: unknown } | undefined)?.completionAuthority).toEqual({
      kind: 'externalOwner',
      grantedTo: 'session:owner',
    });

    await registry.registerProcess(reg('auth-ext-reject-wf'));
    const rejected = await rejectsCode(
      registry.completeProcess('auth-ext-reject-wf', success('no'), wf('auth-ext-reject-wf')),
      'AuthorityRejected',
    );
    expect(rejected.authority).toBe('workflow-key');
    expect(rejected.message).toBe(
      'process `auth-ext-reject-wf` cannot be completed with workflow-key authority: externally-owned rows are never executed by a workflow substrate; they close through their external owner or a reconciled abandon request',
    );
    expect((await registry.getProcess('auth-ext-reject-wf'))?.status.kind).toBe('running');

    await registry.registerProcess(reg('auth-ext-reconcile'));
    const ra = await rejectsCode(
      registry.completeProcess('auth-ext-reconcile', success('not-abandoned'), RA),
      'AuthorityRejected',
    );
    expect(ra.reason).toBe('reconciled-abandon writes only an Abandoned terminal');
    const reconciled = await registry.completeProcess(
      'auth-ext-reconcile',
      { kind: 'abandoned', evidence: { writer: 'reconciledRequest', owner: null, epochMs: 7 }, control: null },
      RA,
    );
    expect(reconciled.status.kind).toBe('abandoned');

    await registry.registerProcess(ownerBoundReg('auth-ownerbound-accept'));
    expect(
      (await registry.completeProcess('auth-ownerbound-accept', success('ran'), wf('auth-ownerbound-accept'))).status.kind,
    ).toBe('completed');
    await registry.registerProcess(ownerBoundReg('auth-ownerbound-reject'));
    await rejectsCode(
      registry.completeProcess('auth-ownerbound-reject', success('no'), ext('session:owner')),
      'AuthorityRejected',
    );
    await registry.registerProcess(rerunnableReg('auth-rerun-accept'));
    expect((await registry.completeProcess('auth-rerun-accept', success('ok'), wf('auth-rerun-accept'))).status.kind).toBe(
      'completed',
    );
    await registry.registerProcess(rerunnableReg('auth-rerun-reject'));
    await rejectsCode(registry.completeProcess('auth-rerun-reject', success('no'), ext('session:owner')), 'AuthorityRejected');
    expect(await registry.eventsAfter('auth-rerun-reject', 0)).toEqual([]);
  });

  it('C16 completion_authority_reads_live_disposition_not_stale', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    await registry.registerProcess(reg('auth-reregister'));
    await registry.completeProcess('auth-reregister', success('first'), ext('session:owner'));
    await registry.pruneTerminalProcesses(FAR);
    expect(await registry.getProcess('auth-reregister')).toBeNull();
    await registry.registerProcess(ownerBoundReg('auth-reregister'));
    await rejectsCode(registry.completeProcess('auth-reregister', success('stale'), ext('session:owner')), 'AuthorityRejected');
    expect((await registry.getProcess('auth-reregister'))?.status.kind).toBe('running');
    expect((await registry.completeProcess('auth-reregister', success('ran'), wf('auth-reregister'))).status.kind).toBe(
      'completed',
    );
  });

  it('C17 leased_terminal_completion_replay_returns_existing_record', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    const id = 'proc-lease-terminal-replay';
    await registry.registerProcess(reg(id));
    const cur = acquired(await registry.claimProcessLease(id, owner('current-owner'), 60000));
    const c = await registry.completeProcessWithLease(cur, success({ writer: 'current' }));
    expect(c.status.kind).toBe('completed');
    expect(await registry.getProcessLease(id)).toBeNull();
    const r = await registry.completeProcessWithLease(cur, success({ writer: 'current' }));
    expect(JSON.stringify(r)).toBe(JSON.stringify(c));
    expect(await terminalEvents(registry, id)).toHaveLength(1);
    // An unleased completion with the same output differs by its authority field: a conflict.
    await rejectsCode(registry.completeProcess(id, success({ writer: 'current' }), ext('x')), 'ReplayKeyConflict');
  });

  it('the authority matrix: 3 dispositions × 3 authorities × 4 output kinds on fresh rows', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    const outputs: ProcessAwaitOutput[] = [
      success(1),
      { kind: 'failure', class: 'timeout', code: 'c', message: 'm', raw: null, control: null },
      { kind: 'cancelled', message: 'm', raw: null, control: null },
      { kind: 'abandoned', evidence: { writer: 'sweep', owner: null, epochMs: 1 }, control: null },
    ];
    const makers = { rerunnable: rerunnableReg, ownerBound: ownerBoundReg, externallyOwned: reg };
    let n = 0;
    for (const [disposition, make] of Object.entries(makers)) {
      for (const authority of [ext('e'), wf('w'), RA]) {
        for (const output of outputs) {
          const id = `matrix-${n++}`;
          await registry.registerProcess(make(id));
          const external = disposition === 'externallyOwned';
          const accept =
            authority.kind === 'externalOwner'
              ? external
              : authority.kind === 'workflowKey'
                ? !external
                : external && output.kind === 'abandoned';
          if (accept) {
            expect((await registry.completeProcess(id, output, authority)).status.kind).not.toBe('running');
          } else {
            await rejectsCode(registry.completeProcess(id, output, authority), 'AuthorityRejected');
            expect((await registry.getProcess(id))?.status.kind).toBe('running');
            expect(await registry.eventsAfter(id, 0)).toEqual([]);
          }
        }
      }
    }
  });
});

describeRegistries('process registry: torn projection repair', () => {
  it('S11 replayed_terminal_event_repairs_non_terminal_status_projection', async () => {
    const clock = new ManualClock(42);
    const { registry, path } = await fileRegistryBackend.open({ clock });
    const id = 'process-repair-terminal';
    await registry.registerProcess(reg(id));
    const c1 = (await registry.completeProcess(id, success('x'), ext('test'))).changeSeq;
    const raw = new Database(path as string);
    const row = raw.prepare('SELECT record_json FROM processes WHERE process_id = ?').get(id) as { record_json: string };
    const damaged = { ...JSON.parse(row.record_json), status: { kind: 'running' } };
    raw.prepare("UPDATE processes SET status = 'running', record_json = ? WHERE process_id = ?").run(JSON.stringify(damaged), id);
    raw.close();
    clock.set(100);
    const repaired = await registry.completeProcess(id, success('x'), ext('test'));
    expect(repaired.status).toEqual({ kind: 'completed', awaitOutput: success('x') });
    expect(repaired.updatedAtMs).toBe(42);
    expect(repaired.changeSeq).toBeGreaterThan(c1);
    const events = await registry.eventsAfter(id, 0);
    expect(events).toHaveLength(1);
    expect(events[0]?.sequence).toBe(1);
    expect(events[0]?.occurredAtMs).toBe(42);
  });
}, [fileRegistryBackend]);
