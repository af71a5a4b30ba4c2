/**
 * `commitRuntimeState` (10-session-store §3.1.2): the one transaction that advances a session.
 * The steps run in the spec's order and the first failure rolls back everything — events,
 * projections and blob rows alike. Settlement of claims, interrupt deferral, attachment adoption
 * and the outbox are steps of the same transaction, so a turn and the work it consumed or produced
 * commit together or not at all.
 */

import { backendError, StoreError } from '../../errors.js';
import type { CommandTx } from '../../events/database.js';
import { fenceMatches } from '../../leases/session-lease.js';
import { ATTACHMENTS_ADOPTED, type AttachmentsAdoptedData } from '../../projections/session/attachments.js';
import {
  RUNTIME_STATE_COMMITTED,
  type RuntimeStateCommittedData,
  TURN_COMMIT_RECORDED,
  type TurnCommitRecordedData,
} from '../../projections/session/events.js';
import { QUEUED_WORK_COMPLETED, type QueuedWorkCompletedData } from '../../projections/session/queued-work.js';
import {
  TURN_INPUTS_COMPLETED,
  TURN_INPUTS_DEFERRED,
  type TurnInputsCompletedData,
  type TurnInputsDeferredData,
} from '../../projections/session/turn-input.js';
import { SESSION_HEAD_META_SCHEMA_VERSION } from '../../stores/versions.js';
import type {
  QueuedWorkBatch,
  QueuedWorkBatchDraft,
  RuntimeCommit,
  RuntimeCommitResult,
  SessionHeadMeta,
  SessionNodeRecord,
} from '../../types/session.js';
import { writeCheckpoint } from './checkpoint.js';
import type { Nonces, SessionContext } from './context.js';
import { enqueueQueuedWorkTx } from './queued-work/enqueue.js';
import { releaseIfHeld } from './release-lease.js';

/** Outcome of a commit: the result and whether it was an idempotent replay. */
export interface CommitOutcome {
  result: RuntimeCommitResult;
  replayed: boolean;
}

function leaseExpired(sessionId: string): StoreError {
  return new StoreError(
    'SessionExecutionLeaseExpired',
    `session execution lease for session \`${sessionId}\` is missing or expired`,
    {
      sessionId,
    },
  );
}

function superseded(
  code: 'QueuedWorkClaimSuperseded' | 'TurnInputClaimSuperseded',
  sessionId: string,
  claimId: string,
): StoreError {
  const what = code === 'QueuedWorkClaimSuperseded' ? 'queued work claim' : 'turn input claim';
  return new StoreError(
    code,
    `${what} \`${claimId}\` for session \`${sessionId}\` is superseded by a newer session-lease generation`,
    {
      sessionId,
      claimId,
    },
  );
}

/** R6: the claim holds exactly the listed rows (generation is deliberately not checked). */
function ownsExactly(held: string[], listed: string[]): boolean {
  const want = new Set(listed);
  return held.length === want.size && held.every((id) => want.has(id));
}

function duplicateNode(nodeId: string): Error {
  return backendError(StoreError, `graph node '${nodeId}' already exists`);
}

/** Runs the commit inside the caller's IMMEDIATE transaction. */
export function commitRuntimeStateTx(ctx: SessionContext, tx: CommandTx, commit: RuntimeCommit, nonces: Nonces): CommitOutcome {
  const { reads } = ctx;
  const now = tx.now;
  const S = commit.sessionId;

  // 1–2. Load the head and check the session binding.
  const head = reads.head();
  if (head && head.sessionId !== S) {
    throw new StoreError(
      'SessionBindingMismatch',
      `store is already bound to session \`${head.sessionId}\` and cannot be reused for \`${S}\``,
      { boundSessionId: head.sessionId, attemptedSessionId: S },
    );
  }

  // 3. Turn-commit idempotency, before any lease or CAS check.
  const stamp = commit.turnCommit;
  if (stamp) {
    const conflict = () =>
      new StoreError(
        'RuntimeTurnCommitConflict',
        `runtime turn \`${stamp.turnId}\` for session \`${stamp.sessionId}\` was already committed with a different commit hash`,
        { sessionId: stamp.sessionId, turnId: stamp.turnId },
      );
    if (stamp.sessionId !== S) throw conflict();
    const recorded = reads.turnCommit(stamp.sessionId, stamp.turnId);
    if (recorded) {
      if (recorded.hash !== stamp.turnCommitHash) throw conflict();
      if (commit.releaseSessionExecutionLease) releaseIfHeld(ctx, tx, commit.releaseSessionExecutionLease);
      return { result: recorded.result, replayed: true };
    }
  }

  // 4. Lease fence.
  const fence = commit.sessionExecutionLease;
  if (!fence || !fenceMatches(reads.lease(S), fence, S, now)) throw leaseExpired(S);

  // 5. Head compare-and-swap (null = blind commit).
  const actual = head ? head.headRevision : 0;
  if (commit.expectedHeadRevision !== null && commit.expectedHeadRevision !== actual) {
    throw new StoreError(
      'HeadRevisionConflict',
      `store head revision conflict: expected ${commit.expectedHeadRevision}, actual ${actual}`,
      {
        expected: commit.expectedHeadRevision,
        actual,
      },
    );
  }

  // 6–7. Claim completions must own exactly their rows.
  for (const c of commit.completedQueueClaims) {
    if (c.sessionId !== S || !ownsExactly(ctx.queue.heldBy(c.sessionId, c.claimId, c.leaseToken), c.batchIds)) {
      throw superseded('QueuedWorkClaimSuperseded', c.sessionId, c.claimId);
    }
  }
  for (const c of commit.completedTurnInputClaims) {
    if (c.sessionId !== S || !ownsExactly(ctx.inputs.heldBy(c.sessionId, c.claimId, c.leaseToken), c.inputIds)) {
      throw superseded('TurnInputClaimSuperseded', c.sessionId, c.claimId);
    }
  }

  // 8. Checkpoint blobs and manifest (written on every non-replay commit).
  const checkpoint = writeCheckpoint(ctx.blobs, commit.checkpoint);

  // 10. Graph delta (validated before the head write so a duplicate id aborts cleanly).
  let replaceAll = false;
  let nodes: SessionNodeRecord[] = [];
  let leafNodeId: string | null;
  const seen = new Set<string>();
  const checkUnique = (list: SessionNodeRecord[], againstStore: boolean) => {
    for (const node of list) {
      if (seen.has(node.nodeId) || (againstStore && reads.nodeExists(node.nodeId))) throw duplicateNode(node.nodeId);
      seen.add(node.nodeId);
    }
  };
  const delta = commit.graph;
  if (delta.kind === 'unchanged') {
    leafNodeId = delta.leafNodeId;
  } else if (delta.kind === 'append') {
    checkUnique(delta.nodes, true);
    nodes = delta.nodes;
    leafNodeId = delta.leafNodeId;
  } else {
    checkUnique(delta.graph.nodes, false);
    replaceAll = true;
    nodes = delta.graph.nodes;
    leafNodeId = delta.graph.leafNodeId;
  }
  const graphNodeCount = replaceAll ? nodes.length : reads.liveNodeCount() + nodes.length;

  // 16 (validated early). Outbox drafts must target this session; checked before anything is emitted.
  for (const draft of commit.enqueuedQueueBatches) {
    if (draft.sessionId !== S) {
      throw new StoreError(
        'SessionBindingMismatch',
        `store is already bound to session \`${S}\` and cannot be reused for \`${draft.sessionId}\``,
        { boundSessionId: S, attemptedSessionId: draft.sessionId },
      );
    }
  }

  // 11. The new head, replacing every field wholesale.
  const headRevision = actual + 1;
  const newHead: SessionHeadMeta = {
    schemaVersion: SESSION_HEAD_META_SCHEMA_VERSION,
    sessionId: S,
    headRevision,
    config: commit.config,
    agentFrames: commit.agentFrames,
    currentAgentFrameId: commit.currentAgentFrameId,
    checkpointRef: checkpoint.checkpointRef,
    leafNodeId,
    graphNodeCount,
  };

  // 9–11. Head, graph and usage rows, as one event.
  const committed: RuntimeStateCommittedData = {
    head: newHead,
    graph: { replaceAll, nodes },
    usageDeltas: commit.usageDeltas,
    writtenBlobRefs: checkpoint.writes.filter((w) => w.inserted).map((w) => w.ref),
    committedAtMs: now,
  };
  tx.emit({ stream: `session:${S}`, type: RUNTIME_STATE_COMMITTED, data: committed });

  // 12. Settle queued claims: their batches are done.
  for (const c of commit.completedQueueClaims) {
    const data: QueuedWorkCompletedData = { sessionId: S, claimId: c.claimId, batchIds: c.batchIds };
    tx.emit({ stream: `queue:${S}`, type: QUEUED_WORK_COMPLETED, data });
  }

  // 13. Settle turn-input claims: their inputs are completed.
  for (const c of commit.completedTurnInputClaims) {
    const data: TurnInputsCompletedData = { sessionId: S, claimId: c.claimId, inputIds: c.inputIds };
    tx.emit({ stream: `input:${S}`, type: TURN_INPUTS_COMPLETED, data });
  }

  // 14. Interrupt deferral (after 13, so inputs completed here are not deferred).
  if (commit.interruptedTurnInputTurnId !== null) {
    const inputIds = ctx.inputs.interruptible(S, commit.interruptedTurnInputTurnId);
    if (inputIds.length > 0) {
      const data: TurnInputsDeferredData = { sessionId: S, turnId: commit.interruptedTurnInputTurnId, inputIds };
      tx.emit({ stream: `input:${S}`, type: TURN_INPUTS_DEFERRED, data });
    }
  }

  // 15. Attachment adoption: explicit ids, then intents owned by the stamped turn (update only).
  const adopted = new Set<string>();
  for (const id of commit.committedAttachmentIds) if (ctx.attachments.isUncommitted(S, id)) adopted.add(id);
  if (stamp) for (const id of ctx.attachments.turnOwned(S, stamp.turnId)) adopted.add(id);
  if (adopted.size > 0) {
    const data: AttachmentsAdoptedData = { sessionId: S, attachmentIds: [...adopted], committedAtMs: now };
    tx.emit({ stream: `session:${S}`, type: ATTACHMENTS_ADOPTED, data });
  }

  // 16. Outbox: enqueue follow-on work after settlement (a completed batch frees its source key).
  const enqueued: QueuedWorkBatch[] = commit.enqueuedQueueBatches.map((draft, i) =>
    enqueueQueuedWorkTx(ctx.queue, tx, draft as Required<QueuedWorkBatchDraft>, nonces.ids[i] ?? i),
  );

  // 17. The result (also what a replay of this turn returns).
  const result: RuntimeCommitResult = {
    headRevision,
    checkpointRef: checkpoint.checkpointRef,
    manifest: checkpoint.manifest,
    enqueuedQueueBatches: enqueued,
  };

  // 18. Record the turn commit with its result; never pruned.
  if (stamp) {
    const data: TurnCommitRecordedData = { stamp, result, committedAtMs: now };
    tx.emit({ stream: `session:${S}`, type: TURN_COMMIT_RECORDED, data });
  }

  // 19. Fenced release inside the same transaction.
  if (commit.releaseSessionExecutionLease) releaseIfHeld(ctx, tx, commit.releaseSessionExecutionLease);

  return { result, replayed: false };
}
