/**
 * Head utilities (20-blobs-attachments-lifecycle §3.3): write a head (and graph) directly, as
 * imports and session copies need, through the same `HeadSaved` event replay uses.
 */
import type { BlobArtifactDescriptor } from '../../blobs/descriptors.js';
import { backendError, StoreError } from '../../errors.js';
import type { CommandTx } from '../../events/database.js';
import { HEAD_SAVED, type HeadSavedData } from '../../projections/session/events.js';
import { SESSION_HEAD_META_SCHEMA_VERSION } from '../../stores/versions.js';
import type { SessionHead, SessionHeadMeta, SessionNodeRecord } from '../../types/session.js';
import { recordBlobWrites } from './blobs/put.js';
import type { SessionContext } from './context.js';

function assertUniqueNodes(nodes: SessionNodeRecord[]): void {
  const seen = new Set<string>();
  for (const node of nodes) {
    if (seen.has(node.nodeId)) throw backendError(StoreError, `graph node '${node.nodeId}' already exists`);
    seen.add(node.nodeId);
  }
}

/** The head record a `SessionHead` describes. */
export function headMetaOf(head: SessionHead): SessionHeadMeta {
  return {
    schemaVersion: SESSION_HEAD_META_SCHEMA_VERSION,
    sessionId: head.sessionId,
    headRevision: head.headRevision,
    config: head.config,
    agentFrames: head.agentFrames,
    currentAgentFrameId: head.currentAgentFrameId,
    checkpointRef: head.checkpointRef,
    leafNodeId: head.graph.leafNodeId,
    graphNodeCount: head.graph.nodes.length,
  };
}

/** `saveSessionHead`: replace the graph and the head record. */
export function saveSessionHeadTx(tx: CommandTx, head: SessionHead): void {
  assertUniqueNodes(head.graph.nodes);
  const data: HeadSavedData = { head: headMetaOf(head), graph: head.graph.nodes };
  tx.emit({ stream: `session:${head.sessionId}`, type: HEAD_SAVED, data });
}

/** `saveSessionHeadMeta`: replace only the head record. */
export function saveSessionHeadMetaTx(tx: CommandTx, meta: SessionHeadMeta): void {
  const data: HeadSavedData = { head: meta, graph: null };
  tx.emit({ stream: `session:${meta.sessionId}`, type: HEAD_SAVED, data });
}

/** Blobs read from a source store for `headCopyFromStore`: logical bytes with their descriptor. */
export interface CopiedBlob {
  descriptor: ReturnType<typeof BlobArtifactDescriptor.genericBlob>;
  bytes: Uint8Array;
}

/** `headCopyFromStore` target side: insert the copied blobs, then save the head. */
export function copyHeadTx(ctx: SessionContext, tx: CommandTx, head: SessionHead, blobs: CopiedBlob[]): void {
  recordBlobWrites(
    tx,
    blobs.map((b) => ctx.blobs.put(b.descriptor, b.bytes)),
  );
  saveSessionHeadTx(tx, head);
}
