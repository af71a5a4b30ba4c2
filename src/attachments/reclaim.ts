/**
 * `reclaimUnreferencedAttachments` (20-blobs-attachments-lifecycle §4.10): the host's lever that
 * deletes attachment bytes no session references. The order is what keeps it safe against
 * concurrent puts: a reconciling root snapshot, the listing, the grace window, a fresh `head`
 * re-check, a targeted root re-check right before the delete, and a post-delete alarm. A failure on
 * one blob never aborts the sweep.
 */
import { type Clock, systemClock } from '../clock.js';
import { StoreError } from '../errors.js';
import { normalizeCount } from '../numbers.js';
import type { AttachmentReclamationReport, AttachmentRootSet, AttachmentStore } from '../types/attachments.js';
import { headOf } from './content.js';
import { attachmentBackend, messageOf } from './errors.js';

function withinGrace(lastModified: number | null, now: number, grace: number): boolean {
  return lastModified !== null && Math.max(0, now - lastModified) < grace;
}

/**
 * Deletes every blob of `backend` that is neither referenced by a live manifest row of `rootSet` nor
 * modified within `gracePeriodMs`. Reconciliation (forgetting aged intents of dead owners) happens
 * through `rootSet.liveAttachmentRefs`. Times come from `options.clock` (default `systemClock`).
 */
export async function reclaimUnreferencedAttachments(
  rootSet: AttachmentRootSet,
  backend: AttachmentStore,
  gracePeriodMs: number,
  options?: { clock?: Clock },
): Promise<AttachmentReclamationReport> {
  const grace = normalizeCount(StoreError, gracePeriodMs, 'gracePeriodMs');
  const clock = options?.clock ?? systemClock;
  const now = clock.timestampMs();
  const cutoff = Math.max(0, now - grace);
  let live: Set<string>;
  try {
    live = await rootSet.liveAttachmentRefs(cutoff);
  } catch (error) {
    throw attachmentBackend(`failed to enumerate live attachment refs: ${messageOf(error)}`, error);
  }
  const blobs = await backend.list();
  const report: AttachmentReclamationReport = {
    scannedBlobCount: 0,
    reclaimedCount: 0,
    failedIds: [],
    deletedWhileReferenced: [],
  };
  for (const blob of blobs) {
    report.scannedBlobCount += 1;
    if (live.has(blob.id)) continue;
    if (withinGrace(blob.lastModifiedEpochMs, now, grace)) continue;
    try {
      const fresh = await headOf(backend, blob.id);
      if (fresh === null) continue;
      if (withinGrace(fresh.lastModifiedEpochMs, clock.timestampMs(), grace)) continue;
    } catch {
      report.failedIds.push(blob.id);
      continue;
    }
    try {
      if (await rootSet.hasLiveAttachmentRef(blob.id, cutoff)) continue;
    } catch {
      report.failedIds.push(blob.id);
      continue;
    }
    try {
      await backend.delete(blob.id);
    } catch {
      report.failedIds.push(blob.id);
      continue;
    }
    report.reclaimedCount += 1;
    try {
      if (await rootSet.hasLiveAttachmentRef(blob.id, cutoff)) {
        report.deletedWhileReferenced.push(blob.id);
        process.emitWarning(`attachment \`${blob.id}\` was deleted while a session referenced it`, {
          code: 'LASH_ATTACHMENT_DELETED_WHILE_REFERENCED',
        });
      }
    } catch {
      // The post-delete alarm is best effort; the delete itself already happened.
    }
  }
  return report;
}
