/** `deleteSessionSubscriptions` and `pruneMutationReceipts` (40-effects-triggers §5.5, §5.6). */
import type { CommandTx } from '../../events/database.js';
import {
  RECEIPT_RETENTION_STREAM,
  sessionStream,
  TRIGGER_MUTATION_RECEIPTS_PRUNED,
  TRIGGER_SESSION_SUBSCRIPTIONS_TOMBSTONED,
  type TriggerMutationReceiptsPrunedData,
  type TriggerSessionSubscriptionsTombstonedData,
} from '../../projections/trigger/events.js';
import { decodeScan } from '../../projections/trigger/queries.js';
import type { TriggerReads } from '../../projections/trigger/tables.js';
import type { TriggerSessionCleanupReport } from '../../types/trigger.js';

/** Tombstones every live subscription owned by `session(sessionId)`; undecodable rows are skipped. */
export function deleteSessionSubscriptionsTx(reads: TriggerReads, tx: CommandTx, sessionId: string): TriggerSessionCleanupReport {
  const { records, skipped } = decodeScan(reads.ownerLive(`session:${sessionId}`));
  const tombstoned = records
    .filter((r) => !r.tombstoned && r.ownerScope.kind === 'session' && r.ownerScope.sessionId === sessionId)
    .map((r) => ({ ...r, enabled: false, tombstoned: true, deletedAtMs: tx.now, revision: r.revision + 1, updatedAtMs: tx.now }));
  if (tombstoned.length > 0) {
    const data: TriggerSessionSubscriptionsTombstonedData = {
      sessionId,
      subscriptionIds: tombstoned.map((r) => r.subscriptionId),
      records: tombstoned,
    };
    tx.emit({ stream: sessionStream(sessionId), type: TRIGGER_SESSION_SUBSCRIPTIONS_TOMBSTONED, data });
  }
  return { tombstoned: tombstoned.length, skippedMalformedRows: skipped };
}

/** Deletes receipts created before `cutoff`; returns how many. */
export function pruneMutationReceiptsTx(reads: TriggerReads, tx: CommandTx, cutoff: number): number {
  // A cutoff at "no bound" deletes every receipt, whatever the clock said when it was written.
  const receiptIds = reads.receiptsBefore(cutoff >= Number.MAX_SAFE_INTEGER ? Number.POSITIVE_INFINITY : cutoff);
  if (receiptIds.length === 0) return 0;
  const data: TriggerMutationReceiptsPrunedData = { cutoff, receiptIds };
  tx.emit({ stream: RECEIPT_RETENTION_STREAM, type: TRIGGER_MUTATION_RECEIPTS_PRUNED, data });
  return receiptIds.length;
}
