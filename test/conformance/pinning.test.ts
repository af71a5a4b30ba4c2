/**
 * 10-session-store Appendix C: pinning tests of the reference crates (entries 1, 4–7, 15, 16; the
 * queued-work and turn-input entries live with those features).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ensureSupportedRecordSchemaVersion,
  isDefinitelyDeadForClaimant,
  type LeaseOwnerIdentity,
  type LeaseOwnerLiveness,
  LeaseTimings,
  type RuntimeCommitResult,
  SESSION_HEAD_META_SCHEMA_VERSION,
  Store,
  StoreError,
  sameIncarnation,
} from '../../src/index.js';
import { tempDir, track } from '../support/backends.js';
import { base, DEAD, fenced, lease, PID } from '../support/fixtures.js';
import { newBarrier, runWorkers } from '../support/spawn.js';

/** Runs `fn`, which must throw synchronously, and returns the error. */
function thrown(fn: () => unknown): Record<string, unknown> {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(StoreError);
    return error as Record<string, unknown>;
  }
  throw new Error('expected a throw');
}

describe('Appendix C: storage fixes', () => {
  it('head_revision_cas_holds_across_two_connections (C.1, two worker threads)', async () => {
    const path = join(tempDir(), 'session.db');
    const holder = track(await Store.open(path));
    const l = await lease(holder, 'root', 'session-owner');
    const commit = fenced({ ...base('root'), expectedHeadRevision: 0 }, l, false);
    const barrier = newBarrier();
    const outcomes = await runWorkers<RuntimeCommitResult>('test/support/workers/commit.ts', [
      { path, commit, barrier, parties: 2 },
      { path, commit, barrier, parties: 2 },
    ]);
    const fulfilled = outcomes.filter((o) => o.status === 'fulfilled');
    const rejected = outcomes.filter((o) => o.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ code: 'HeadRevisionConflict' });
    expect(rejected[0]?.status === 'rejected' && rejected[0].message).not.toMatch(/busy|locked/i);
    const reopened = track(await Store.open(path));
    expect((await reopened.loadSession({ kind: 'fullGraph' }))?.headRevision).toBe(1);
  });
});

describe('Appendix C: record schema versions', () => {
  it('versioned_json_record_rejects_missing_schema_version (C.4)', () => {
    const error = thrown(() => ensureSupportedRecordSchemaVersion('SessionHeadMeta', {}, SESSION_HEAD_META_SCHEMA_VERSION));
    expect(error.code).toBe('MissingRecordSchemaVersion');
    expect(error.recordKind).toBe('SessionHeadMeta');
    expect(error.expected).toBe(SESSION_HEAD_META_SCHEMA_VERSION);
    expect(error.message).toBe(
      `SessionHeadMeta is missing schema_version and was written by unsupported pre-versioned state (expected ${SESSION_HEAD_META_SCHEMA_VERSION})`,
    );
  });

  it('versioned_json_record_rejects_invalid_schema_version (C.5)', () => {
    const error = thrown(() =>
      ensureSupportedRecordSchemaVersion('SessionHeadMeta', { schemaVersion: '1' }, SESSION_HEAD_META_SCHEMA_VERSION),
    );
    expect(error.code).toBe('InvalidRecordSchemaVersion');
    expect(error.recordKind).toBe('SessionHeadMeta');
    expect(error.actual).toBe('"1"');
    expect(error.expected).toBe(SESSION_HEAD_META_SCHEMA_VERSION);
    expect(error.message).toBe(
      `SessionHeadMeta schema_version "1" is invalid (expected integer ${SESSION_HEAD_META_SCHEMA_VERSION})`,
    );
  });
});

describe('Appendix C: lease identity and liveness', () => {
  it('lease_owner_identity_requires_same_incarnation (C.6)', () => {
    const a: LeaseOwnerIdentity = { ownerId: 'owner', incarnationId: 'incarnation-a', liveness: { kind: 'opaque' } };
    const same: LeaseOwnerIdentity = { ownerId: 'owner', incarnationId: 'incarnation-a', liveness: { kind: 'opaque' } };
    const next: LeaseOwnerIdentity = { ...a, incarnationId: 'incarnation-b' };
    expect(sameIncarnation(a, same)).toBe(true);
    expect(sameIncarnation(a, next)).toBe(false);
  });

  it('local_liveness_only_proves_same_host_boot_dead_processes (C.7)', () => {
    const holder: LeaseOwnerLiveness = { kind: 'localProcess', hostId: 'host-a', bootId: 'boot-a', pid: PID, processStart: DEAD };
    const claimant = (hostId: string, bootId: string): LeaseOwnerLiveness => ({
      kind: 'localProcess',
      hostId,
      bootId,
      pid: PID,
      processStart: 'claimant',
    });
    expect(isDefinitelyDeadForClaimant(holder, claimant('host-a', 'boot-a'))).toBe(true);
    expect(isDefinitelyDeadForClaimant(holder, claimant('host-b', 'boot-a'))).toBe(false);
    expect(isDefinitelyDeadForClaimant(holder, claimant('host-a', 'boot-b'))).toBe(false);
    expect(isDefinitelyDeadForClaimant(holder, { kind: 'opaque' })).toBe(false);
    expect(isDefinitelyDeadForClaimant({ kind: 'opaque' }, claimant('host-a', 'boot-a'))).toBe(false);
  });
});

describe('Appendix C: lease timings', () => {
  it('default_lease_timings_keep_the_contractual_windows (C.15)', () => {
    const timings = LeaseTimings.default();
    expect(timings.ttlMs).toBe(30_000);
    expect(timings.renewIntervalMs).toBe(10_000);
    expect(timings.ttlMs).toBe(3 * timings.renewIntervalMs);
  });

  it('from_ttl_derives_the_boundary_renew_interval (C.16)', () => {
    const timings = LeaseTimings.fromTtl(60);
    expect(timings.ttlMs).toBe(60);
    expect(timings.renewIntervalMs).toBe(20);
    const error = thrown(() => LeaseTimings.fromTtl(2));
    expect(error.code).toBe('RenewIntervalTooSmall');
    expect(error.message).toBe('lease renew interval must be at least 1ms');
  });
});
