/**
 * The claim state machine's pure parts (10-session-store §3.3.2, R7): which prefix of the ordered,
 * already-filtered candidate list a claim takes, and the claim lease a grant derives from its head
 * row. Commands read the candidates, call these, and put the results into their events.
 */
import { sha256Hex } from '../json.js';
import type { LeaseOwnerIdentity } from '../types/common.js';
import type {
  CheckpointKind,
  ClaimCandidate,
  ClaimLease,
  MergeKey,
  QueuedWorkClaimBoundary,
  SessionId,
  TurnInputCheckpointBoundary,
} from '../types/session.js';

/** Structural equality of merge keys. */
export function mergeKeysEqual(a: MergeKey, b: MergeKey): boolean {
  if (a.kind !== b.kind) return false;
  return a.kind !== 'group' || a.group === (b as { group: string }).group;
}

/**
 * 1 if the first candidate is a ready session command, else 0. A command is always claimed alone,
 * even when its slot policy is `join`, and no boundary applies.
 */
export function selectLeadingSessionCommand(candidates: readonly ClaimCandidate[]): number {
  return candidates[0]?.workClass === 'sessionCommand' ? 1 : 0;
}

/**
 * How many leading candidates a turn-work claim takes: 0 when the head is a session command (it
 * blocks turn work, it is never skipped) or fails the checkpoint boundary gate; 1 for an exclusive
 * head; for a join head, the run of following join turn work with the head's delivery policy and
 * merge key, capped by `maxBatches`.
 */
export function selectTurnWorkClaimPrefix(
  candidates: readonly ClaimCandidate[],
  boundary: QueuedWorkClaimBoundary,
  maxBatches: number,
): number {
  const head = candidates[0];
  if (!(maxBatches > 0) || head === undefined) return 0;
  if (head.workClass !== 'turnWork') return 0;
  if (boundary === 'activeTurnCheckpoint' && head.deliveryPolicy !== 'earliestSafeBoundary') return 0;
  if (head.slotPolicy === 'exclusive') return 1;
  let selected = 1;
  while (selected < maxBatches && selected < candidates.length) {
    const next = candidates[selected] as ClaimCandidate;
    const joins =
      next.workClass === 'turnWork' &&
      next.slotPolicy === 'join' &&
      next.deliveryPolicy === head.deliveryPolicy &&
      mergeKeysEqual(next.mergeKey, head.mergeKey);
    if (!joins) break;
    selected++;
  }
  return selected;
}

/** R7 for a claim-id prefix: `{prefix}:{head.enqueueSeq}:{fencing}` and a SHA-256 lease token. */
function deriveClaimLease(
  prefix: 'qwc' | 'tic',
  head: Pick<ClaimCandidate, 'enqueueSeq' | 'claimFencingToken'>,
  sessionId: SessionId,
  owner: LeaseOwnerIdentity,
  nowEpochMs: number,
  sessionLeaseGeneration: number,
): ClaimLease {
  const fencingToken = head.claimFencingToken + 1;
  const claimId = `${prefix}:${head.enqueueSeq}:${fencingToken}`;
  const leaseToken = sha256Hex(`${sessionId}:${owner.ownerId}:${owner.incarnationId}:${claimId}:${nowEpochMs}`);
  return { claimId, leaseToken, fencingToken, sessionLeaseGeneration };
}

/**
 * The claim lease of a queued-work grant whose first row is `head` (R7): fencing token = the head's
 * claim fencing token + 1, claim id `qwc:{enqueueSeq}:{fencingToken}`, lease token = SHA-256 of
 * `"{sessionId}:{ownerId}:{incarnationId}:{claimId}:{now}"`. Deterministic in its inputs.
 */
export function deriveQueuedWorkClaimLease(
  head: ClaimCandidate,
  sessionId: SessionId,
  owner: LeaseOwnerIdentity,
  nowEpochMs: number,
  sessionLeaseGeneration: number,
): ClaimLease {
  return deriveClaimLease('qwc', head, sessionId, owner, nowEpochMs, sessionLeaseGeneration);
}

/** The claim lease of a turn-input grant (R7), with claim id `tic:{enqueueSeq}:{fencingToken}`. */
export function deriveTurnInputClaimLease(
  head: { enqueueSeq: number; claimFencingToken: number },
  sessionId: SessionId,
  owner: LeaseOwnerIdentity,
  nowEpochMs: number,
  sessionLeaseGeneration: number,
): ClaimLease {
  return deriveClaimLease('tic', head, sessionId, owner, nowEpochMs, sessionLeaseGeneration);
}

/** Whether an input's minimum boundary admits a checkpoint: `afterWork` admits both kinds. */
export function boundaryAdmits(minBoundary: TurnInputCheckpointBoundary, checkpoint: CheckpointKind): boolean {
  return minBoundary === 'afterWork' || checkpoint === 'beforeCompletion';
}
