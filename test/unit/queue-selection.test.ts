/** 10-session-store Appendix C 8–14: the pure queue-selection, claim-lease and batch-id functions. */
import { describe, expect, it } from 'vitest';
import {
  type ClaimCandidate,
  type DeliveryPolicy,
  deriveBatchId,
  deriveQueuedWorkClaimLease,
  type LeaseOwnerIdentity,
  type MergeKey,
  type QueuedWorkClass,
  type SlotPolicy,
  selectLeadingSessionCommand,
  selectTurnWorkClaimPrefix,
} from '../../src/index.js';
import { boundaryAdmits, deriveTurnInputClaimLease, mergeKeysEqual } from '../../src/leases/queue-selection.js';

const E: DeliveryPolicy = 'earliestSafeBoundary';
const A: DeliveryPolicy = 'afterCurrentTurnCommit';
const X: SlotPolicy = 'exclusive';
const J: SlotPolicy = 'join';
const never: MergeKey = { kind: 'never' };
const payloadDefault: MergeKey = { kind: 'payloadDefault' };
const group = (g: string): MergeKey => ({ kind: 'group', group: g });

/** `cand(seq, class, delivery, slot, mergeKey)` of Appendix C. */
function cand(seq: number, cls: QueuedWorkClass, delivery: DeliveryPolicy, slot: SlotPolicy, mergeKey: MergeKey): ClaimCandidate {
  return { enqueueSeq: seq, claimFencingToken: 0, workClass: cls, deliveryPolicy: delivery, slotPolicy: slot, mergeKey };
}

describe('queue selection (Appendix C 8–12)', () => {
  it('exclusive_head_claims_exactly_one', () => {
    const list = [cand(1, 'turnWork', E, X, never), cand(2, 'turnWork', E, X, never)];
    expect(selectTurnWorkClaimPrefix(list, 'idle', 8)).toBe(1);
  });

  it('join_head_groups_matching_prefix_up_to_max', () => {
    const list = [1, 2, 3, 4].map((i) => cand(i, 'turnWork', E, J, payloadDefault));
    expect(selectTurnWorkClaimPrefix(list, 'idle', 3)).toBe(3);
  });

  it('join_group_breaks_on_policy_or_merge_key_mismatch', () => {
    expect(
      selectTurnWorkClaimPrefix([cand(1, 'turnWork', E, J, group('a')), cand(2, 'turnWork', E, J, group('b'))], 'idle', 8),
    ).toBe(1);
    // and on a delivery-policy mismatch, or an exclusive follower
    expect(
      selectTurnWorkClaimPrefix([cand(1, 'turnWork', E, J, group('a')), cand(2, 'turnWork', A, J, group('a'))], 'idle', 8),
    ).toBe(1);
    expect(
      selectTurnWorkClaimPrefix([cand(1, 'turnWork', E, J, group('a')), cand(2, 'turnWork', E, X, group('a'))], 'idle', 8),
    ).toBe(1);
  });

  it('leading_session_command_blocks_turn_work_claim', () => {
    const list = [cand(1, 'sessionCommand', E, X, never), cand(2, 'turnWork', E, X, never)];
    expect(selectLeadingSessionCommand(list)).toBe(1);
    expect(selectTurnWorkClaimPrefix(list, 'idle', 8)).toBe(0);
  });

  it('later_session_command_does_not_join_turn_work_claim', () => {
    const list = [cand(1, 'turnWork', E, J, payloadDefault), cand(2, 'sessionCommand', E, J, payloadDefault)];
    expect(selectLeadingSessionCommand(list)).toBe(0);
    expect(selectTurnWorkClaimPrefix(list, 'idle', 8)).toBe(1);
  });

  it('a join session command at the head is claimed alone; empty lists and max 0 select nothing', () => {
    const list = [cand(1, 'sessionCommand', E, J, payloadDefault), cand(2, 'sessionCommand', E, J, payloadDefault)];
    expect(selectLeadingSessionCommand(list)).toBe(1);
    expect(selectLeadingSessionCommand([])).toBe(0);
    expect(selectTurnWorkClaimPrefix([], 'idle', 8)).toBe(0);
    expect(selectTurnWorkClaimPrefix([cand(1, 'turnWork', E, X, never)], 'idle', 0)).toBe(0);
  });

  it('the checkpoint boundary gates on the first candidate only', () => {
    expect(selectTurnWorkClaimPrefix([cand(1, 'turnWork', A, X, never)], 'activeTurnCheckpoint', 8)).toBe(0);
    expect(selectTurnWorkClaimPrefix([cand(1, 'turnWork', A, X, never)], 'idle', 8)).toBe(1);
    expect(selectTurnWorkClaimPrefix([cand(1, 'turnWork', E, X, never)], 'activeTurnCheckpoint', 8)).toBe(1);
  });

  it('a no-limit join run takes every matching candidate', () => {
    const list = [1, 2, 3, 4, 5].map((i) => cand(i, 'turnWork', E, J, group('g')));
    expect(selectTurnWorkClaimPrefix(list, 'idle', Number.MAX_SAFE_INTEGER)).toBe(5);
  });

  it('merge keys compare structurally and boundaries admit checkpoints', () => {
    expect(mergeKeysEqual(group('a'), { kind: 'group', group: 'a' })).toBe(true);
    expect(mergeKeysEqual(never, payloadDefault)).toBe(false);
    expect(mergeKeysEqual(never, { kind: 'never' })).toBe(true);
    expect(boundaryAdmits('afterWork', 'afterWork')).toBe(true);
    expect(boundaryAdmits('afterWork', 'beforeCompletion')).toBe(true);
    expect(boundaryAdmits('beforeCompletion', 'afterWork')).toBe(false);
    expect(boundaryAdmits('beforeCompletion', 'beforeCompletion')).toBe(true);
  });
});

describe('claim lease and batch id derivation (Appendix C 13–14)', () => {
  const owner: LeaseOwnerIdentity = { ownerId: 'owner', incarnationId: 'owner:incarnation', liveness: { kind: 'opaque' } };

  it('lease_derivation_is_deterministic_and_advances_fencing', () => {
    const head: ClaimCandidate = {
      enqueueSeq: 7,
      claimFencingToken: 2,
      workClass: 'turnWork',
      deliveryPolicy: E,
      slotPolicy: X,
      mergeKey: never,
    };
    const first = deriveQueuedWorkClaimLease(head, 'session', owner, 1000, 5);
    expect(first.fencingToken).toBe(3);
    expect(first.claimId).toBe('qwc:7:3');
    expect(first.sessionLeaseGeneration).toBe(5);
    expect(first.leaseToken).toMatch(/^[0-9a-f]{64}$/);
    const second = deriveQueuedWorkClaimLease(head, 'session', owner, 1000, 5);
    expect(second.leaseToken).toBe(first.leaseToken);
    // any input change gives another token
    expect(deriveQueuedWorkClaimLease(head, 'session', owner, 1001, 5).leaseToken).not.toBe(first.leaseToken);
    expect(deriveQueuedWorkClaimLease({ ...head, claimFencingToken: 3 }, 'session', owner, 1000, 5).claimId).toBe('qwc:7:4');
  });

  it('turn-input claims use the tic: prefix', () => {
    const lease = deriveTurnInputClaimLease({ enqueueSeq: 4, claimFencingToken: 0 }, 'session', owner, 1000, 2);
    expect(lease).toMatchObject({ claimId: 'tic:4:1', fencingToken: 1, sessionLeaseGeneration: 2 });
  });

  it('batch_id_includes_optional_nonce', () => {
    const plain = deriveBatchId('session', 'key', 1000, null);
    expect(plain).not.toBe(deriveBatchId('session', 'key', 1000, 1));
    expect(plain.startsWith('qwb:')).toBe(true);
    expect(plain).toMatch(/^qwb:[0-9a-f]{64}$/);
    expect(deriveBatchId('session', 'key', 1000, null)).toBe(plain);
  });
});
