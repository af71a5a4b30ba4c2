/** Session reads: `loadSession`, the merged ledger and picker info (10-session-store §5). */
import type { BlobStore } from '../../blobs/blob-store.js';
import type {
  PersistedSessionRead,
  SessionGraph,
  SessionHeadMeta,
  SessionNodeRecord,
  SessionPickerInfo,
  SessionReadScope,
  TokenLedgerEntry,
  TokenUsage,
} from '../../types/session.js';
import { hydrateCheckpoint } from './checkpoint-read.js';
import type { SessionReads } from './reads.js';

const total = (u: TokenUsage) => u.inputTokens + u.outputTokens + u.cacheReadInputTokens + u.cacheWriteInputTokens;

/** Merges raw usage rows: zero-total rows dropped, equal (source, model) summed, first-seen order. */
export function mergeLedger(rows: TokenLedgerEntry[]): TokenLedgerEntry[] {
  const merged = new Map<string, TokenLedgerEntry>();
  for (const row of rows) {
    if (total(row.usage) === 0) continue;
    const key = JSON.stringify([row.source, row.model]);
    const entry = merged.get(key);
    if (!entry) {
      merged.set(key, { source: row.source, model: row.model, usage: { ...row.usage } });
      continue;
    }
    entry.usage.inputTokens += row.usage.inputTokens;
    entry.usage.outputTokens += row.usage.outputTokens;
    entry.usage.cacheReadInputTokens += row.usage.cacheReadInputTokens;
    entry.usage.cacheWriteInputTokens += row.usage.cacheWriteInputTokens;
    entry.usage.reasoningOutputTokens += row.usage.reasoningOutputTokens;
  }
  return [...merged.values()];
}

/** The graph a scope selects; the persisted leaf is never changed by a read. */
export function selectGraph(reads: SessionReads, head: SessionHeadMeta, scope: SessionReadScope): SessionGraph {
  if (scope.kind === 'fullGraph') return { nodes: reads.nodes(), leafNodeId: head.leafNodeId };
  const leaf = scope.leafNodeId ?? head.leafNodeId;
  if (leaf === null) return { nodes: [], leafNodeId: null };
  const walked: SessionNodeRecord[] = [];
  const visited = new Set<string>();
  let cursor: string | null = leaf;
  while (cursor !== null && !visited.has(cursor)) {
    visited.add(cursor);
    const node = reads.node(cursor);
    if (!node) break;
    walked.push(node);
    cursor = node.parentNodeId;
  }
  return { nodes: walked.reverse(), leafNodeId: leaf };
}

/** `loadSession`: head, graph, hydrated checkpoint and merged ledger from one snapshot. */
export function loadSession(reads: SessionReads, blobs: BlobStore, scope: SessionReadScope): PersistedSessionRead | null {
  const head = reads.head();
  if (!head) return null;
  const graph = selectGraph(reads, head, scope);
  return {
    sessionId: head.sessionId,
    headRevision: head.headRevision,
    config: head.config,
    agentFrames: head.agentFrames,
    currentAgentFrameId: head.currentAgentFrameId,
    graph,
    checkpointRef: head.checkpointRef,
    checkpoint: head.checkpointRef === null ? null : hydrateCheckpoint(blobs, head.checkpointRef),
    tokenLedger: mergeLedger(reads.usageRows()),
  };
}

/** `loadPickerInfo`: meta plus user-message facts over the full graph (the head is not read). */
export function loadPickerInfo(reads: SessionReads): SessionPickerInfo | null {
  const meta = reads.meta();
  if (!meta) return null;
  let userMessageCount = 0;
  let firstUserMessage: string | null = null;
  for (const node of reads.nodes()) {
    const p = node.payload;
    if (p.kind !== 'event' || p.event.kind !== 'conversation' || p.event.message.role !== 'user') continue;
    userMessageCount++;
    if (firstUserMessage === null) {
      const texts: string[] = [];
      for (const part of p.event.message.parts ?? []) {
        if (part.kind === 'toolCall' || part.kind === 'toolResult') continue;
        if (part.kind === 'attachment') texts.push('[Attachment]');
        else if (typeof part.content === 'string' && part.content.trim() !== '') texts.push(part.content);
      }
      firstUserMessage = texts.join('\n\n').trim();
    }
  }
  return {
    sessionId: meta.sessionId,
    cwd: meta.cwd,
    relation: meta.relation,
    firstUserMessage: firstUserMessage ?? '',
    userMessageCount,
  };
}
