/**
 * `gcUnreachable` (20-blobs-attachments-lifecycle §3.4–§3.5): mark from the head checkpoint (one
 * level: manifest + its three snapshots) and every artifact ref, sweep the rest — atomically, in one
 * IMMEDIATE transaction. A rooted manifest that cannot be read aborts the whole GC, so damage never
 * turns into deletion.
 */
import type { CommandTx } from '../../../events/database.js';
import { childRefs, readManifest } from '../../../projections/session/checkpoint-read.js';
import { BLOBS_COLLECTED, type BlobsCollectedData } from '../../../projections/session/events.js';
import type { Db } from '../../../sqlite/open.js';
import type { GcReport } from '../../../types/session.js';
import type { SessionContext } from '../context.js';

export function gcUnreachableTx(db: Db, ctx: SessionContext, tx: CommandTx): GcReport {
  const visited = new Set<string>();
  let rootCount = 0;
  const head = ctx.reads.head();
  if (head?.checkpointRef) {
    rootCount++;
    visited.add(head.checkpointRef);
    const manifest = readManifest(ctx.blobs, head.checkpointRef);
    if (manifest) for (const ref of childRefs(manifest)) visited.add(ref);
  }
  const artifactRefs = db
    .prepare('SELECT blob_ref FROM artifact_refs ORDER BY namespace, artifact_ref')
    .pluck()
    .all() as string[];
  rootCount += artifactRefs.length;
  for (const ref of artifactRefs) visited.add(ref);

  let retainedBlobCount = 0;
  let danglingRefCount = 0;
  for (const ref of visited) {
    if (ctx.blobs.has(ref)) retainedBlobCount++;
    else danglingRefCount++;
  }
  const all = db.prepare('SELECT hash FROM blobs ORDER BY hash').pluck().all() as string[];
  const doomed = all.filter((hash) => !visited.has(hash));
  const del = db.prepare('DELETE FROM blobs WHERE hash = ?');
  for (const hash of doomed) del.run(hash);
  const report: GcReport = { rootCount, retainedBlobCount, danglingRefCount, deletedBlobCount: doomed.length };
  if (doomed.length > 0) {
    const data: BlobsCollectedData = { refs: doomed, ...report };
    tx.emit({ stream: 'maintenance', type: BLOBS_COLLECTED, data });
  }
  return report;
}
