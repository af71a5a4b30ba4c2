/** Projection of commits and head saves: head row, graph nodes, usage rows, turn-commit stamps. */
import { pack } from '../../codec.js';
import type { Db } from '../../sqlite/open.js';
import type { SessionHeadMeta, SessionNodeRecord } from '../../types/session.js';
import type { HandlerMap } from '../handlers.js';
import {
  HEAD_SAVED,
  type HeadSavedData,
  NODES_TOMBSTONED,
  type NodesTombstonedData,
  payload,
  RUNTIME_STATE_COMMITTED,
  type RuntimeStateCommittedData,
  SESSION_META_SAVED,
  type SessionMetaSavedData,
  TURN_COMMIT_RECORDED,
  type TurnCommitRecordedData,
  VACUUMED,
  type VacuumedData,
} from './events.js';

/** Handlers for the head, graph, ledger, meta and maintenance events. */
export function headHandlers(db: Db): HandlerMap {
  // A commit or a full head save sets the live node count; a meta-only save keeps the row's count.
  const upsertHead = db.prepare(
    `INSERT INTO session_head (id, session_id, head_revision, record, live_node_count) VALUES (1, ?, ?, ?, ?)
     ON CONFLICT(id) DO UPDATE SET session_id = excluded.session_id, head_revision = excluded.head_revision,
       record = excluded.record, live_node_count = coalesce(?, live_node_count)`,
  );
  const wipeNodes = db.prepare('DELETE FROM graph_nodes');
  const insertNode = db.prepare('INSERT INTO graph_nodes (node_id, record, tombstoned) VALUES (?, ?, 0)');
  const insertUsage = db.prepare('INSERT INTO usage_deltas (record) VALUES (?)');
  const insertTurnCommit = db.prepare(
    'INSERT INTO runtime_turn_commits (session_id, turn_id, turn_commit_hash, result, committed_at_ms) VALUES (?, ?, ?, ?, ?)',
  );
  const upsertMeta = db.prepare(
    'INSERT INTO session_meta (id, record) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET record = excluded.record',
  );
  const tombstone = db.prepare('UPDATE graph_nodes SET tombstoned = 1 WHERE node_id = ? AND tombstoned = 0');
  const hideFromCount = db.prepare('UPDATE session_head SET live_node_count = live_node_count - ? WHERE id = 1');
  const deleteNode = db.prepare('DELETE FROM graph_nodes WHERE node_id = ?');
  const deleteInput = db.prepare('DELETE FROM pending_turn_inputs WHERE input_id = ?');

  const writeHead = (head: SessionHeadMeta, liveNodeCount: number | null) =>
    upsertHead.run(head.sessionId, head.headRevision, pack(head), liveNodeCount ?? 0, liveNodeCount);
  const insertNodes = (nodes: SessionNodeRecord[]) => {
    for (const node of nodes) insertNode.run(node.nodeId, pack(node));
  };

  return {
    [RUNTIME_STATE_COMMITTED]: (data) => {
      const d = payload<RuntimeStateCommittedData>(data);
      // The commit computed the live count after its delta; it is the head's graphNodeCount.
      writeHead(d.head, d.head.graphNodeCount);
      if (d.graph.replaceAll) wipeNodes.run();
      insertNodes(d.graph.nodes);
      for (const entry of d.usageDeltas) insertUsage.run(pack(entry));
    },
    [TURN_COMMIT_RECORDED]: (data) => {
      const d = payload<TurnCommitRecordedData>(data);
      insertTurnCommit.run(d.stamp.sessionId, d.stamp.turnId, d.stamp.turnCommitHash, pack(d.result), d.committedAtMs);
    },
    [HEAD_SAVED]: (data) => {
      const d = payload<HeadSavedData>(data);
      writeHead(d.head, d.graph ? d.graph.length : null);
      if (d.graph) {
        wipeNodes.run();
        insertNodes(d.graph);
      }
    },
    [SESSION_META_SAVED]: (data) => {
      upsertMeta.run(pack(payload<SessionMetaSavedData>(data).meta));
    },
    [NODES_TOMBSTONED]: (data) => {
      let hidden = 0;
      for (const id of payload<NodesTombstonedData>(data).nodeIds) hidden += tombstone.run(id).changes;
      if (hidden > 0) hideFromCount.run(hidden);
    },
    [VACUUMED]: (data) => {
      const d = payload<VacuumedData>(data);
      for (const id of d.nodeIds) deleteNode.run(id);
      for (const id of d.inputIds) deleteInput.run(id);
    },
  };
}
