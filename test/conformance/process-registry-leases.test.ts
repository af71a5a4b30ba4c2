/** 30-process-registry §5.7 (C30–C37): first-started, abandon requests, process leases, fencing, reclaim. */
import { expect, it } from 'vitest';
import { ManualClock } from '../../src/testing.js';
import {
  acquired,
  busy,
  claimAfterExpiry,
  EXPIRING_TTL,
  FAR,
  localOwner,
  owner,
  ownerBoundReg,
  reg,
  rejectsCode,
  success,
  terminalEvents,
} from '../support/process-fixtures.js';
import { describeRegistries } from '../support/registries.js';

const PID = process.pid;

describeRegistries('process registry: leases', (backend) => {
  it('C30 disposition_first_started_and_abandon_request_persist', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    const id = 'proc-disposition';
    const rec = await registry.registerProcess(ownerBoundReg(id));
    expect(rec.disposition).toBe('ownerBound');
    expect(rec.firstStarted).toBeNull();
    expect(rec.abandonRequest).toBeNull();
    expect(await registry.getProcessLease(id)).toBeNull();
    const st = { owner: owner('starter'), startedAtMs: 111 };
    expect((await registry.recordFirstStarted(id, st)).firstStarted).toEqual(st);
    expect((await registry.recordFirstStarted(id, { owner: owner('other-starter'), startedAtMs: 222 })).firstStarted).toEqual(st);
    const h = acquired(await registry.claimProcessLease(id, owner('holder'), 60000));
    const stored = await registry.getProcessLease(id);
    expect(stored?.leaseToken).toBe(h.leaseToken);
    expect(stored?.expiresAtEpochMs).toBe(h.expiresAtEpochMs);
    const rq = { requestedBy: 'operator', requestedAtMs: 333, reason: 'host retired' };
    expect((await registry.requestProcessAbandon(id, rq)).abandonRequest).toEqual(rq);
    expect(
      (await registry.requestProcessAbandon(id, { requestedBy: 'second-operator', requestedAtMs: 444 } as never)).abandonRequest,
    ).toEqual(rq);
    const record = await registry.getProcess(id);
    expect(record?.firstStarted).toEqual(st);
    expect(record?.abandonRequest).toEqual(rq);
    await rejectsCode(registry.recordFirstStarted('missing-process', st), 'UnknownProcess');
    await rejectsCode(registry.requestProcessAbandon('missing-process', rq), 'UnknownProcess');
  });

  it('C31 active_process_lease_fences_competing_owner', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    const id = 'proc-lease-active';
    await registry.registerProcess(reg(id));
    const f = acquired(await registry.claimProcessLease(id, owner('owner-a'), 60000));
    expect(f.fencingToken).toBe(1);
    expect(f.leaseToken).toMatch(/^[0-9a-f]{64}$/);
    expect(busy(await registry.claimProcessLease(id, owner('owner-b'), 60000)).leaseToken).toBe(f.leaseToken);
    const re = acquired(await registry.claimProcessLease(id, owner('owner-a'), 120000));
    expect(re.leaseToken).toBe(f.leaseToken);
    expect(re.fencingToken).toBe(f.fencingToken);
    expect(re.expiresAtEpochMs).toBeGreaterThanOrEqual(f.expiresAtEpochMs);
    expect(re.claimedAtEpochMs).toBe(f.claimedAtEpochMs);
  });

  it('C32 superseded_process_lease_cannot_renew', async () => {
    const clock = new ManualClock(1000);
    const { registry } = await backend.open({ clock });
    const id = 'proc-lease-superseded';
    await registry.registerProcess(reg(id));
    const old = acquired(await registry.claimProcessLease(id, owner('owner-a'), EXPIRING_TTL));
    await claimAfterExpiry(registry, clock, id, owner('owner-b'), 60000);
    const error = await rejectsCode(registry.renewProcessLease(old, 60000), 'LeaseExpired');
    expect(error.message).toContain('missing or expired');
  });

  it('C33 renewed_process_lease_survives_original_expiry', async () => {
    const clock = new ManualClock(1000);
    const { registry } = await backend.open({ clock });
    const id = 'proc-lease-renew';
    await registry.registerProcess(reg(id));
    const l = acquired(await registry.claimProcessLease(id, owner('owner-a'), EXPIRING_TTL));
    const r = await registry.renewProcessLease(l, 60000);
    expect(r.expiresAtEpochMs).toBe(1000 + 60000);
    expect(r.claimedAtEpochMs).toBe(l.claimedAtEpochMs);
    clock.advance(30);
    const again = await registry.renewProcessLease(r, 60000);
    expect(again.expiresAtEpochMs).toBe(1030 + 60000);
  });

  it('C34 completed_lease_releases_and_reclaim_bumps_fencing', async () => {
    const { registry } = await backend.open({ clock: new ManualClock(1000) });
    const id = 'proc-lease-complete';
    await registry.registerProcess(reg(id));
    const f = acquired(await registry.claimProcessLease(id, owner('owner-a'), 60000));
    await registry.completeProcessLease({ processId: id, leaseToken: f.leaseToken });
    expect(await registry.getProcessLease(id)).toBeNull();
    const s = acquired(await registry.claimProcessLease(id, owner('owner-b'), 60000));
    expect(s.fencingToken).toBeGreaterThan(f.fencingToken);
    // A stale completion never releases the newer lease; an unknown process is a no-op.
    const count = (await registry.readEvents()).length;
    await registry.completeProcessLease({ processId: id, leaseToken: f.leaseToken });
    await registry.completeProcessLease({ processId: 'missing', leaseToken: 'x' });
    expect(JSON.stringify(await registry.getProcessLease(id))).toBe(JSON.stringify(s));
    expect(await registry.readEvents()).toHaveLength(count);
  });

  it('C35 stale_process_lease_cannot_complete_or_disturb_current_owner', async () => {
    const clock = new ManualClock(1000);
    const { registry } = await backend.open({ clock });
    const id = 'proc-lease-terminal-fence';
    await registry.registerProcess(reg(id));
    const st = acquired(await registry.claimProcessLease(id, owner('stale-owner'), EXPIRING_TTL));
    const cur = await claimAfterExpiry(registry, clock, id, owner('current-owner'), 60000);
    await rejectsCode(registry.completeProcessWithLease(st, success({ writer: 'stale' })), 'LeaseExpired');
    expect((await registry.getProcess(id))?.status.kind).toBe('running');
    expect(await terminalEvents(registry, id)).toEqual([]);
    expect(JSON.stringify(await registry.getProcessLease(id))).toBe(JSON.stringify(cur));
  });

  it('C36 expired_process_lease_cannot_complete', async () => {
    const clock = new ManualClock(1000);
    const { registry } = await backend.open({ clock });
    const id = 'proc-lease-terminal-expired';
    await registry.registerProcess(reg(id));
    const ex = acquired(await registry.claimProcessLease(id, owner('expired-owner'), EXPIRING_TTL));
    clock.advance(120);
    await rejectsCode(registry.completeProcessWithLease(ex, success({ writer: 'expired' })), 'LeaseExpired');
    expect((await registry.getProcess(id))?.status.kind).toBe('running');
    expect(await terminalEvents(registry, id)).toHaveLength(0);
    // The expired lease is still a raw read-side fact.
    expect((await registry.getProcessLease(id))?.leaseToken).toBe(ex.leaseToken);
  });

  it('C37 process_lease_reclaim_contract', async () => {
    const livenessProbe = {
      isAlive: (pid: number, start: string) => !(pid === PID && start === 'not-the-current-process-start'),
    };
    const { registry } = await backend.open({ clock: new ManualClock(1000), livenessProbe });
    const dead = localOwner('dead-holder', 'host-a', 'boot-a', PID, 'not-the-current-process-start');
    const cl = localOwner('claimant', 'host-a', 'boot-a', PID, 'claimant-start');

    await registry.registerProcess(reg('proc-lease-reclaim-dead'));
    const h = acquired(await registry.claimProcessLease('proc-lease-reclaim-dead', dead, 60000));
    busy(await registry.claimProcessLease('proc-lease-reclaim-dead', cl, 60000));
    const rc = acquired(await registry.reclaimProcessLease('proc-lease-reclaim-dead', cl, h, 60000));
    expect(rc.fencingToken).toBeGreaterThan(h.fencingToken);
    busy(
      await registry.reclaimProcessLease(
        'proc-lease-reclaim-dead',
        localOwner('late-claimant', 'host-a', 'boot-a', PID, 'late-claimant-start'),
        h,
        60000,
      ),
    );
    await registry.completeProcessLease(rc);

    await registry.registerProcess(reg('proc-lease-reclaim-race'));
    const rh = acquired(await registry.claimProcessLease('proc-lease-reclaim-race', dead, 60000));
    const outcomes = await Promise.all([
      registry.reclaimProcessLease(
        'proc-lease-reclaim-race',
        localOwner('race-left', 'host-a', 'boot-a', PID, 'race-left-start'),
        rh,
        60000,
      ),
      registry.reclaimProcessLease(
        'proc-lease-reclaim-race',
        localOwner('race-right', 'host-a', 'boot-a', PID, 'race-right-start'),
        rh,
        60000,
      ),
    ]);
    const winners = outcomes.filter((o) => o.kind === 'acquired');
    expect(winners).toHaveLength(1);
    const winner = acquired(winners[0]!);
    expect(winner.fencingToken).toBeGreaterThan(rh.fencingToken);
    await registry.completeProcessLease(winner);

    await registry.registerProcess(reg('proc-lease-reclaim-cross-host'));
    const ch = acquired(await registry.claimProcessLease('proc-lease-reclaim-cross-host', dead, 60000));
    busy(
      await registry.reclaimProcessLease(
        'proc-lease-reclaim-cross-host',
        localOwner('cross-host-claimant', 'host-b', 'boot-a', PID, 'claimant-start'),
        ch,
        60000,
      ),
    );

    await registry.registerProcess(reg('proc-lease-reclaim-opaque'));
    const oh = acquired(await registry.claimProcessLease('proc-lease-reclaim-opaque', owner('opaque-holder'), 60000));
    busy(await registry.reclaimProcessLease('proc-lease-reclaim-opaque', cl, oh, 60000));
  });

  it('lease arithmetic: TTL 0 is already expired, FAR never expires, unknown processes, fencing survives release', async () => {
    const clock = new ManualClock(1000);
    const { registry } = await backend.open({ clock });
    await rejectsCode(registry.claimProcessLease('missing', owner('a'), 10), 'UnknownProcess');
    await rejectsCode(
      registry.reclaimProcessLease(
        'missing',
        owner('a'),
        {
          schemaVersion: 1,
          processId: 'missing',
          owner: owner('b'),
          leaseToken: 't',
          fencingToken: 1,
          claimedAtEpochMs: 0,
          expiresAtEpochMs: 0,
        },
        10,
      ),
      'UnknownProcess',
    );
    await rejectsCode(
      registry.renewProcessLease(
        {
          schemaVersion: 1,
          processId: 'missing',
          owner: owner('b'),
          leaseToken: 't',
          fencingToken: 1,
          claimedAtEpochMs: 0,
          expiresAtEpochMs: 0,
        },
        10,
      ),
      'LeaseExpired',
    );
    expect(await registry.getProcessLease('missing')).toBeNull();
    await registry.registerProcess(reg('p'));
    const zero = acquired(await registry.claimProcessLease('p', owner('a'), 0));
    expect(zero.expiresAtEpochMs).toBe(1000);
    const next = acquired(await registry.claimProcessLease('p', owner('b'), FAR));
    expect(next.fencingToken).toBe(2);
    expect(next.expiresAtEpochMs).toBe(Number.MAX_SAFE_INTEGER);
    clock.advance(1e12);
    busy(await registry.claimProcessLease('p', owner('c'), 10));
    await registry.completeProcessLease(next);
    expect(acquired(await registry.claimProcessLease('p', owner('c'), -5)).fencingToken).toBe(3);
    // Same-incarnation re-entry may shorten a lease.
    const l = acquired(await registry.claimProcessLease('p', owner('d'), 100));
    const shorter = acquired(await registry.claimProcessLease('p', owner('d'), 10));
    expect(shorter.expiresAtEpochMs).toBeLessThan(l.expiresAtEpochMs);
    expect(shorter.fencingToken).toBe(l.fencingToken);
  });
});
