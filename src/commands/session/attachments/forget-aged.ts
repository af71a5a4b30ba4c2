/**
 * `forgetAgedUncommittedIntents` (20-blobs-attachments-lifecycle §4.3–§4.4): deletes every row that
 * is uncommitted, aged (intent ≤ cutoff, inclusive) and whose owner is dead. The predicate is
 * evaluated and the rows deleted in this one transaction, so an intent refreshed past the cutoff by
 * a concurrent writer survives. Process deaths were proven before the transaction opened; they are
 * recorded in the event together with the deleted keys, so replay deletes exactly the same rows.
 */
import type { CommandTx } from '../../../events/database.js';
import {
  AGED_INTENTS_FORGOTTEN,
  type AgedIntentsForgottenData,
  type AttachmentManifestReads,
} from '../../../projections/session/attachments.js';

export function forgetAgedIntentsTx(
  reads: AttachmentManifestReads,
  tx: CommandTx,
  cutoffEpochMs: number,
  deadProcessIds: readonly string[],
): number {
  const rows = reads.doomed(cutoffEpochMs, deadProcessIds);
  if (rows.length === 0) return 0;
  const data: AgedIntentsForgottenData = { cutoffEpochMs, deadProcessIds: [...deadProcessIds], rows };
  tx.emit({ stream: 'attachments', type: AGED_INTENTS_FORGOTTEN, data });
  return rows.length;
}
