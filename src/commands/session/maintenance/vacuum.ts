/**
 * `vacuum` (10-session-store §5.3): physically delete tombstoned nodes and terminal turn inputs in
 * every session. Does not touch queues, leases, turn-commit records, the head, the manifest or blobs.
 */
import type { CommandTx } from '../../../events/database.js';
import { VACUUMED, type VacuumedData } from '../../../projections/session/events.js';
import type { Db } from '../../../sqlite/open.js';
import type { VacuumReport } from '../../../types/session.js';

export function vacuumTx(db: Db, tx: CommandTx): VacuumReport {
  const nodeIds = db.prepare('SELECT node_id FROM graph_nodes WHERE tombstoned = 1 ORDER BY seq').pluck().all() as string[];
  const inputIds = db
    .prepare("SELECT input_id FROM pending_turn_inputs WHERE state IN ('cancelled', 'completed') ORDER BY enqueue_seq")
    .pluck()
    .all() as string[];
  if (nodeIds.length > 0 || inputIds.length > 0) {
    const data: VacuumedData = { nodeIds, inputIds };
    tx.emit({ stream: 'maintenance', type: VACUUMED, data });
  }
  return { removedNodeCount: nodeIds.length, removedPendingTurnInputTombstoneCount: inputIds.length };
}
