/**
 * Typed reads of the session projections. Every decoder raises `CorruptData` with the row's table
 * and key; nothing is skipped or defaulted.
 */
import type { Statement } from 'better-sqlite3';
import { unpack } from '../../codec.js';
import { corruptData, StoreError } from '../../errors.js';
import type { JsonValue } from '../../json.js';
import type { LeaseRow } from '../../leases/session-lease.js';
import type { Db } from '../../sqlite/open.js';
import { SESSION_HEAD_META_SCHEMA_VERSION } from '../../stores/versions.js';
import type { LeaseOwnerIdentity } from '../../types/common.js';
import type {
  RuntimeCommitResult,
  SessionHeadMeta,
  SessionMeta,
  SessionNodeRecord,
  TokenLedgerEntry,
} from '../../types/session.js';
import { decodeRecord, ensureSupportedRecordSchemaVersion } from './records.js';

const isString = (v: unknown) => typeof v === 'string';
const isInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v);

function checkHead(v: Record<string, unknown>): string | null {
  if (!isString(v.sessionId) || !isInt(v.headRevision) || !Array.isArray(v.agentFrames) || !isString(v.currentAgentFrameId)) {
    return 'head record has the wrong shape';
  }
  if (typeof v.config !== 'object' || v.config === null) return 'head record has no config';
  return null;
}

function checkNode(v: Record<string, unknown>): string | null {
  if (!isString(v.nodeId) || !(v.parentNodeId === null || isString(v.parentNodeId))) return 'node record has the wrong shape';
  if (typeof v.payload !== 'object' || v.payload === null) return 'node record has no payload';
  return null;
}

function checkLedger(v: Record<string, unknown>): string | null {
  const u = v.usage as Record<string, unknown> | null;
  if (!isString(v.source) || !isString(v.model) || typeof u !== 'object' || u === null) return 'usage row has the wrong shape';
  for (const k of ['inputTokens', 'outputTokens', 'cacheReadInputTokens', 'cacheWriteInputTokens', 'reasoningOutputTokens']) {
    if (typeof u[k] !== 'number') return `usage row lacks ${k}`;
  }
  return null;
}

function checkMeta(v: Record<string, unknown>): string | null {
  if (!isString(v.sessionId) || !isString(v.sessionName) || !isString(v.createdAt) || !isString(v.model)) {
    return 'session meta has the wrong shape';
  }
  if (!(v.cwd === null || isString(v.cwd))) return 'session meta cwd is not a string';
  const r = v.relation as Record<string, unknown> | null;
  if (typeof r !== 'object' || r === null) return 'session meta relation is missing';
  if (r.kind === 'root') return null;
  if (r.kind === 'child' && isString(r.parentSessionId)) return null;
  return 'session meta relation is undecodable';
}

/** Prepared read statements over the session projections of one connection. */
export class SessionReads {
  readonly #head: Statement;
  readonly #nodes: Statement;
  readonly #node: Statement;
  readonly #nodeExists: Statement;
  readonly #liveNodeCount: Statement;
  readonly #usage: Statement;
  readonly #turnCommit: Statement;
  readonly #lease: Statement;
  readonly #meta: Statement;

  constructor(db: Db) {
    this.#head = db.prepare('SELECT record FROM session_head WHERE id = 1').pluck();
    this.#nodes = db.prepare('SELECT node_id, record FROM graph_nodes WHERE tombstoned = 0 ORDER BY seq');
    this.#node = db.prepare('SELECT record FROM graph_nodes WHERE node_id = ? AND tombstoned = 0').pluck();
    this.#nodeExists = db.prepare('SELECT 1 FROM graph_nodes WHERE node_id = ?').pluck();
    this.#liveNodeCount = db.prepare('SELECT live_node_count FROM session_head WHERE id = 1').pluck();
    this.#usage = db.prepare('SELECT seq, record FROM usage_deltas ORDER BY seq');
    this.#turnCommit = db.prepare(
      'SELECT turn_commit_hash, result, committed_at_ms FROM runtime_turn_commits WHERE session_id = ? AND turn_id = ?',
    );
    this.#lease = db.prepare('SELECT * FROM session_execution_leases WHERE session_id = ?');
    this.#meta = db.prepare('SELECT record FROM session_meta WHERE id = 1').pluck();
  }

  /** The head record with the versioned-record check, or null before the first commit. */
  head(): SessionHeadMeta | null {
    const bytes = this.#head.get() as Uint8Array | undefined;
    if (bytes === undefined) return null;
    const value = decodeRecord<Record<string, unknown>>('session_head', 'singleton', bytes);
    ensureSupportedRecordSchemaVersion('SessionHeadMeta', value as JsonValue, SESSION_HEAD_META_SCHEMA_VERSION);
    const problem = checkHead(value);
    if (problem) throw corruptData(StoreError, 'session_head', 'singleton', problem);
    return value as unknown as SessionHeadMeta;
  }

  /** Non-tombstoned nodes in insertion order. */
  nodes(): SessionNodeRecord[] {
    return (this.#nodes.all() as Array<{ node_id: string; record: Uint8Array }>).map((row) =>
      decodeRecord<SessionNodeRecord>('graph_nodes', row.node_id, row.record, checkNode),
    );
  }

  /** One non-tombstoned node, or null. */
  node(nodeId: string): SessionNodeRecord | null {
    const bytes = this.#node.get(nodeId) as Uint8Array | undefined;
    return bytes === undefined ? null : decodeRecord<SessionNodeRecord>('graph_nodes', nodeId, bytes, checkNode);
  }

  /** Whether any row (tombstoned or not) holds `nodeId`. */
  nodeExists(nodeId: string): boolean {
    return this.#nodeExists.get(nodeId) !== undefined;
  }

  /** Non-tombstoned node count, kept as a counter so a commit never counts the graph. */
  liveNodeCount(): number {
    return (this.#liveNodeCount.get() as number | undefined) ?? 0;
  }

  /** Raw usage rows in insertion order. */
  usageRows(): TokenLedgerEntry[] {
    return (this.#usage.all() as Array<{ seq: number; record: Uint8Array }>).map((row) =>
      decodeRecord<TokenLedgerEntry>('usage_deltas', String(row.seq), row.record, checkLedger),
    );
  }

  /** The recorded turn commit of `(sessionId, turnId)`, or null. */
  turnCommit(sessionId: string, turnId: string): { hash: string; result: RuntimeCommitResult; committedAtMs: number } | null {
    const row = this.#turnCommit.get(sessionId, turnId) as
      | { turn_commit_hash: string; result: Uint8Array; committed_at_ms: number }
      | undefined;
    if (!row) return null;
    const result = decodeRecord<RuntimeCommitResult>('runtime_turn_commits', `${sessionId}/${turnId}`, row.result, (v) =>
      isInt(v.headRevision) && isString(v.checkpointRef) ? null : 'turn commit result has the wrong shape',
    );
    return { hash: row.turn_commit_hash, result, committedAtMs: row.committed_at_ms };
  }

  /** The lease row of `sessionId`, or null. */
  lease(sessionId: string): LeaseRow | null {
    const row = this.#lease.get(sessionId) as
      | {
          session_id: string;
          owner: Uint8Array | null;
          lease_token: string | null;
          fencing_token: number;
          claimed_at_ms: number;
          expires_at_ms: number;
        }
      | undefined;
    if (!row) return null;
    let owner: LeaseOwnerIdentity | null = null;
    if (row.owner !== null) {
      try {
        owner = unpack(row.owner) as LeaseOwnerIdentity;
      } catch (error) {
        throw corruptData(StoreError, 'session_execution_leases', sessionId, 'undecodable lease owner', error);
      }
      if (owner === null || typeof owner !== 'object' || !isString(owner.ownerId) || !isString(owner.incarnationId)) {
        throw corruptData(StoreError, 'session_execution_leases', sessionId, 'lease owner has the wrong shape');
      }
    }
    return {
      sessionId: row.session_id,
      owner,
      leaseToken: row.lease_token,
      fencingToken: row.fencing_token,
      claimedAtMs: row.claimed_at_ms,
      expiresAtMs: row.expires_at_ms,
    };
  }

  /** The saved session metadata, or null. */
  meta(): SessionMeta | null {
    const bytes = this.#meta.get() as Uint8Array | undefined;
    return bytes === undefined ? null : decodeRecord<SessionMeta>('session_meta', 'singleton', bytes, checkMeta);
  }
}
