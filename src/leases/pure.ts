/** Pure helpers over claims and commits that callers use to build completions and hashes. */
import { canonicalJson, sha256Hex } from '../json.js';
import type {
  QueuedWorkClaim,
  QueuedWorkCompletion,
  RuntimeCommit,
  SessionCommand,
  TurnInputClaim,
  TurnInputCompletion,
} from '../types/session.js';

/** The completion that settles a queued-work claim in a commit. */
export function queuedWorkCompletionOf(claim: QueuedWorkClaim): QueuedWorkCompletion {
  return {
    sessionId: claim.sessionId,
    claimId: claim.claimId,
    leaseToken: claim.leaseToken,
    batchIds: claim.batches.map((b) => b.batchId),
  };
}

/** The completion that settles a turn-input claim in a commit. */
export function turnInputCompletionOf(claim: TurnInputClaim): TurnInputCompletion {
  return {
    sessionId: claim.sessionId,
    claimId: claim.claimId,
    leaseToken: claim.leaseToken,
    inputIds: claim.inputs.map((i) => i.inputId),
  };
}

const COMMAND_KINDS: Record<SessionCommand['kind'], string> = {
  refreshToolCatalog: 'refresh_tool_catalog',
  resetSession: 'reset_session',
};

/** `command:{snake_case kind}:{idempotencyKey}`. */
export function sessionCommandSourceKey(command: SessionCommand, idempotencyKey: string): string {
  return `command:${COMMAND_KINDS[command.kind]}:${idempotencyKey}`;
}

/** `process:{processId}:event:{sequence}:wake`. */
export function processWakeSourceKey(processId: string, sequence: number): string {
  return `process:${processId}:event:${sequence}:wake`;
}

const STRIPPED_EVERYWHERE = new Set(['nodeId', 'parentNodeId', 'leafNodeId', 'timestamp']);

function toJsonShape(value: unknown): unknown {
  if (value instanceof Uint8Array) return Array.from(value);
  if (Array.isArray(value)) return value.map(toJsonShape);
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const isMessage = 'role' in obj && 'parts' in obj;
  const isPart = 'kind' in obj && 'content' in obj && 'pruneState' in obj;
  // No prototype: a member named `__proto__` (as `JSON.parse` makes it) must stay a member, not
  // become the prototype and vanish from the hash.
  const out: Record<string, unknown> = Object.create(null);
  for (const [key, member] of Object.entries(obj)) {
    if (member === null || member === undefined) continue;
    if (STRIPPED_EVERYWHERE.has(key)) continue;
    if (key === 'id' && (isMessage || isPart)) continue;
    out[key] = toJsonShape(member);
  }
  return out;
}

/**
 * The caller-side turn-commit hash (10-session-store §3.1.9): independent of the CAS revision, the
 * lease, node/message/part ids and timestamps; dependent on everything else the turn committed.
 */
export function turnCommitHash(commit: RuntimeCommit): string {
  const copy = {
    ...commit,
    expectedHeadRevision: null,
    sessionExecutionLease: null,
    releaseSessionExecutionLease: null,
    turnCommit: null,
  };
  return sha256Hex(canonicalJson(toJsonShape(copy)));
}
