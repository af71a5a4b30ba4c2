/**
 * `lash-store demo [dir]`: a short, real agent-runtime workload on the embedded default — sessions
 * committing turns under fenced leases with snapshots and usage, an idempotent retry, a stale
 * writer rejected — then a verification of every database and a summary of what was stored.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Presets, SingleBar } from 'cli-progress';
import { completionOf, fenceOf, isLashStoreError, type RuntimeCommit, Store, turnCommitHash } from '../index.js';

const zeros = { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheWriteInputTokens: 0, reasoningOutputTokens: 0 };

function turnCommit(sessionId: string, turn: number, parent: string | null): RuntimeCommit {
  const userId = `${sessionId}:turn-${turn}:user`;
  const assistantId = `${sessionId}:turn-${turn}:assistant`;
  const message = (id: string, role: 'user' | 'assistant', content: string) => ({
    nodeId: id,
    parentNodeId: id === userId ? parent : userId,
    causedBy: null,
    agentFrameId: 'main',
    timestamp: new Date(Date.UTC(2026, 10, 26, 10, turn)).toISOString(),
    payload: {
      kind: 'event' as const,
      event: {
        kind: 'conversation' as const,
        message: { id, role, parts: [{ id: `${id}:p0`, kind: 'text' as const, content, pruneState: 'intact' }], origin: null },
      },
    },
  });
  return {
    sessionId,
    expectedHeadRevision: turn,
    sessionExecutionLease: null,
    releaseSessionExecutionLease: null,
    config: { providerId: 'demo-provider', model: { id: 'demo-model' } },
    agentFrames: [{ frameId: 'main', reason: 'initial' }],
    currentAgentFrameId: 'main',
    graph: {
      kind: 'append',
      nodes: [message(userId, 'user', `question ${turn}`), message(assistantId, 'assistant', `answer ${turn}`)],
      leafNodeId: assistantId,
    },
    checkpoint: {
      turnState: { turnIndex: turn + 1, tokenUsage: zeros, lastPromptUsage: null, protocolTurnOptions: {} },
      toolStateRef: null,
      toolState: { files: Array.from({ length: turn + 1 }, (_, i) => `notes-${i}.md`) },
      pluginSnapshotRef: null,
      pluginSnapshot: null,
      pluginSnapshotRevision: null,
      executionStateRef: null,
      executionState: new TextEncoder().encode(`vm-state-${turn}`),
    },
    usageDeltas: [
      {
        source: 'turn',
        model: 'demo-model',
        usage: { ...zeros, inputTokens: 120 + turn, outputTokens: 40, reasoningOutputTokens: 8 },
      },
    ],
    turnCommit: null,
    completedQueueClaims: [],
    completedTurnInputClaims: [],
    enqueuedQueueBatches: [],
    interruptedTurnInputTurnId: null,
    committedAttachmentIds: [],
  };
}

/** Runs the demo; returns the process exit code. */
export async function runDemo(dirArg: string | undefined, out: NodeJS.WriteStream = process.stdout): Promise<number> {
  const dir = resolve(dirArg ?? 'lash-demo');
  const sessionsDir = join(dir, 'sessions');
  rmSync(sessionsDir, { recursive: true, force: true });
  mkdirSync(sessionsDir, { recursive: true });
  const sessions = ['research-agent', 'coding-agent', 'review-agent'];
  const turns = 25;
  let commits = 0;
  let retries = 0;
  let fencedOut = 0;
  const started = performance.now();
  const paths: string[] = [];
  // The bar draws on stderr only when it is a TTY, so piped output stays clean.
  const bar = new SingleBar(
    { format: 'committing turns [{bar}] {value}/{total} {session}', stream: process.stderr, hideCursor: true },
    Presets.shades_classic,
  );
  bar.start(sessions.length * turns, 0, { session: '' });
  for (const sessionId of sessions) {
    const path = join(sessionsDir, `${sessionId}.db`);
    paths.push(path);
    const store = await Store.open(path);
    await store.saveSessionMeta({
      sessionId,
      sessionName: `Demo ${sessionId}`,
      createdAt: new Date().toISOString(),
      model: 'demo-model',
      cwd: dir,
      relation: { kind: 'root' },
    });
    let parent: string | null = null;
    for (let turn = 0; turn < turns; turn++) {
      const owner = {
        ownerId: `worker-${turn % 2}`,
        incarnationId: `worker-${turn % 2}:${process.pid}`,
        liveness: { kind: 'opaque' as const },
      };
      const claim = await store.tryClaimSessionExecutionLease(sessionId, owner, 30_000);
      if (claim.kind !== 'acquired') throw new Error(`lease busy for ${sessionId}`);
      const body = turnCommit(sessionId, turn, parent);
      const stamped = { ...body, turnCommit: { sessionId, turnId: `turn-${turn}`, turnCommitHash: turnCommitHash(body) } };
      const commit = {
        ...stamped,
        sessionExecutionLease: fenceOf(claim.lease),
        releaseSessionExecutionLease: completionOf(claim.lease),
      };
      const result = await store.commitRuntimeState(commit);
      commits++;
      if (turn % 5 === 4) {
        // A runtime that crashed after committing retries the same turn: it gets the stored result.
        const replay = await store.commitRuntimeState(stamped);
        if (replay.headRevision !== result.headRevision) throw new Error('idempotent replay diverged');
        retries++;
        // A stale worker still holding the released fence is refused.
        try {
          await store.commitRuntimeState({
            ...turnCommit(sessionId, turn + 1, null),
            sessionExecutionLease: fenceOf(claim.lease),
          });
        } catch (error) {
          if (!isLashStoreError(error, 'SessionExecutionLeaseExpired')) throw error;
          fencedOut++;
        }
      }
      parent = `${sessionId}:turn-${turn}:assistant`;
      bar.increment(1, { session: sessionId });
    }
    await store.gcUnreachable();
    await store.close();
  }
  bar.stop();
  const elapsed = performance.now() - started;
  out.write(`lash-store demo: ${sessions.length} sessions in ${sessionsDir}\n\n`);
  out.write('session           head  nodes  events  input tokens  verify\n');
  let allOk = true;
  for (const [i, path] of paths.entries()) {
    const store = await Store.openReadonly(path);
    const read = await store.loadSession({ kind: 'fullGraph' });
    const events = await store.readEvents();
    const verify = await store.verifyProjections();
    await store.close();
    allOk &&= verify.ok;
    const tokens = read?.tokenLedger.reduce((n, e) => n + e.usage.inputTokens, 0) ?? 0;
    out.write(
      `${(sessions[i] as string).padEnd(16)}  ${String(read?.headRevision).padStart(4)}  ${String(read?.graph.nodes.length).padStart(5)}  ${String(events.length).padStart(6)}  ${String(tokens).padStart(12)}  ${verify.ok ? 'ok' : 'MISMATCH'}\n`,
    );
  }
  out.write(
    `\n${commits} turn commits (${Math.round((commits / elapsed) * 1000)}/s), ${retries} idempotent retries, ${fencedOut} stale writers fenced out, in ${Math.round(elapsed)} ms\n`,
  );
  out.write(`projections ${allOk ? 'equal' : 'DO NOT equal'} the replayed event log in every database\n\n`);
  out.write('next:\n');
  out.write(`  lash-store verify ${paths[0]}\n`);
  return allOk ? 0 : 1;
}
