/**
 * `enqueueQueuedWork` (10-session-store §3.3.1), also run by the commit outbox: reject empty or
 * mixed-class batches, return the live batch of a repeated source key without comparing content,
 * otherwise append `QueuedWorkEnqueued` with every generated value in it.
 */

import { StoreError } from '../../../errors.js';
import type { CommandTx } from '../../../events/database.js';
import { deriveBatchId } from '../../../leases/ids.js';
import {
  classOf,
  QUEUED_WORK_ENQUEUED,
  type QueuedWorkEnqueuedData,
  type QueuedWorkReads,
} from '../../../projections/session/queued-work.js';
import type { QueuedWorkBatch, QueuedWorkBatchDraft } from '../../../types/session.js';

/** Enqueues one validated draft inside the caller's transaction. */
export function enqueueQueuedWorkTx(
  queue: QueuedWorkReads,
  tx: CommandTx,
  draft: Required<QueuedWorkBatchDraft>,
  nonce: number,
): QueuedWorkBatch {
  const workClass = classOf(draft.payloads);
  if (workClass === undefined) {
    throw new StoreError(
      'InvalidQueuedWorkBatch',
      `queued-work batch for session \`${draft.sessionId}\` has mixed or empty payload classes`,
      {
        sessionId: draft.sessionId,
        sourceKey: draft.sourceKey,
      },
    );
  }
  if (draft.sourceKey !== null) {
    const existing = queue.bySourceKey(draft.sessionId, draft.sourceKey);
    if (existing) return existing;
  }
  const batchId = deriveBatchId(draft.sessionId, draft.sourceKey, tx.now, nonce);
  const batch: QueuedWorkBatch = {
    batchId,
    sessionId: draft.sessionId,
    enqueueSeq: queue.nextEnqueueSeq(),
    sourceKey: draft.sourceKey,
    deliveryPolicy: draft.deliveryPolicy,
    slotPolicy: draft.slotPolicy,
    mergeKey: draft.mergeKey,
    availableAtMs: draft.availableAtMs,
    enqueuedAtMs: tx.now,
    items: draft.payloads.map((p, i) => ({ itemId: `${batchId}:item:${i}`, payload: p })),
  };
  const data: QueuedWorkEnqueuedData = { batch, workClass };
  tx.emit({ stream: `queue:${draft.sessionId}`, type: QUEUED_WORK_ENQUEUED, data });
  return batch;
}
