/** `tombstoneNodes` (10-session-store §5.2): hide nodes until vacuum; unknown ids are ignored. */
import type { CommandTx } from '../../../events/database.js';
import { NODES_TOMBSTONED, type NodesTombstonedData } from '../../../projections/session/events.js';
import type { SessionContext } from '../context.js';

export function tombstoneNodesTx(ctx: SessionContext, tx: CommandTx, ids: string[]): void {
  const nodeIds = [...new Set(ids)].filter((id) => ctx.reads.node(id) !== null);
  if (nodeIds.length === 0) return;
  const data: NodesTombstonedData = { nodeIds };
  tx.emit({ stream: 'maintenance', type: NODES_TOMBSTONED, data });
}
