/**
 * The effect part of the demo: tool calls journaled by a `SqliteEffectHost`, the host closed and
 * reopened (a simulated restart), and the same effects replayed from the journal — the local
 * executor does not run again.
 */
import type { RuntimeEffectEnvelope, RuntimeEffectLocalExecutor, RuntimeEffectOutcome } from '../../index.js';
import { SqliteEffectHost } from '../../index.js';

/** What the effect workload did. */
export interface EffectTally {
  executed: number;
  replayed: number;
  executorRunsBeforeRestart: number;
  executorRunsAfterRestart: number;
  outcomesEqual: boolean;
}

const sessionId = 'coding-agent';
const turnId = 'turn-7';

function toolCall(i: number): RuntimeEffectEnvelope {
  const effectId = `tool-call-${i}`;
  return {
    invocation: {
      scope: { sessionId, turnId, turnIndex: 7, protocolIteration: 0 },
      subject: { kind: 'effect', effectId, effectKind: 'toolAttempt' },
      replay: { key: `${turnId}:${effectId}` },
    },
    command: {
      kind: 'toolAttempt',
      call: {
        callId: `call-${i}`,
        toolId: 'tool:read_file',
        toolName: 'read_file',
        args: { path: `src/file-${i}.ts` },
        preparedPayload: null,
      },
      attempt: 1,
      maxAttempts: 1,
    },
  };
}

/** The tool itself: counts how often it really runs. */
function readFileTool(runs: { n: number }): RuntimeEffectLocalExecutor {
  return {
    kind: 'function',
    run: async (envelope) => {
      runs.n++;
      if (envelope.command.kind !== 'toolAttempt') throw new Error(`unexpected effect ${envelope.command.kind}`);
      const { callId, args = null } = envelope.command.call;
      const path = args && typeof args === 'object' && 'path' in args ? (args.path ?? null) : null;
      return {
        kind: 'toolAttempt',
        launch: { kind: 'done' },
        record: {
          callId,
          tool: 'read_file',
          args,
          output: { kind: 'success', value: { path, bytes: 1024 + runs.n } },
          durationMs: 3,
        },
      };
    },
  };
}

async function runAll(path: string, count: number, runs: { n: number }, tick: () => void): Promise<RuntimeEffectOutcome[]> {
  const host = await SqliteEffectHost.open(path);
  try {
    const { controller } = host.scoped({ kind: 'turn', sessionId, turnId });
    const outcomes: RuntimeEffectOutcome[] = [];
    for (let i = 0; i < count; i++) {
      outcomes.push(await controller.executeEffect(toolCall(i), readFileTool(runs)));
      tick();
    }
    return outcomes;
  } finally {
    await host.close();
  }
}

/** JSON with sorted keys: the journal stores outcomes canonically, so key order may differ. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** Executes `count` tool calls on the effect database at `path`, restarts, and replays them. */
export async function runEffects(path: string, count: number, tick: () => void): Promise<EffectTally> {
  const before = { n: 0 };
  const first = await runAll(path, count, before, tick);
  // Simulated restart: the host is closed and a new one opens the same file.
  const after = { n: 0 };
  const second = await runAll(path, count, after, tick);
  return {
    executed: first.length,
    replayed: second.length,
    executorRunsBeforeRestart: before.n,
    executorRunsAfterRestart: after.n,
    outcomesEqual: canonical(first) === canonical(second),
  };
}
