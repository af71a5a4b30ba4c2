import type { Event } from '@event-driven-io/emmett';
import type { SessionNodeRecord } from 'lash-event-store';
import { defineCase, timed } from '../lib/case.js';
import { retryBusy, routeConsoleLogToStderr } from '../lib/emmett.js';
import { installedVersion } from '../lib/peers.js';
import { OWNER, SESSION_ID, turnNode } from '../lib/session.js';

interface Params {
  /** Agent turns in the stream; each is 3 events, as in `ours-rebuild`. */
  turns: number;
  [key: string]: number;
}

const STREAM = `session-${SESSION_ID}`;
const EVENTS_PER_TURN = 3;
/** Turns per fixture append (one transaction; emmett binds 10 parameters per event). */
const TURNS_PER_APPEND = 500;

type LeaseAcquired = Event<
  'SessionExecutionLeaseAcquired',
  {
    sessionId: string;
    ownerId: string;
    incarnationId: string;
    leaseToken: string;
    fencingToken: number;
    claimedAtMs: number;
    expiresAtMs: number;
  }
>;
type StateCommitted = Event<
  'RuntimeStateCommitted',
  {
    sessionId: string;
    headRevision: number;
    leafNodeId: string;
    graphNodeCount: number;
    config: { providerId: string; model: { id: string } };
    nodes: SessionNodeRecord[];
    usageDeltas: { source: string; model: string; usage: { inputTokens: number; outputTokens: number } }[];
    turnIndex: number;
    committedAtMs: number;
  }
>;
type LeaseReleased = Event<'SessionExecutionLeaseReleased', { sessionId: string; fencingToken: number }>;
type TurnEvent = LeaseAcquired | StateCommitted | LeaseReleased;

/** The three events of turn `turn`: the same content as our turn log, as emmett JSON events. */
function turnEvents(turn: number): TurnEvent[] {
  const now = Date.UTC(2026, 0, 1) + turn;
  return [
    {
      type: 'SessionExecutionLeaseAcquired',
      data: {
        sessionId: SESSION_ID,
        ownerId: OWNER.ownerId,
        incarnationId: OWNER.incarnationId,
        leaseToken: `${SESSION_ID}:${OWNER.ownerId}:${now}:${turn}:${turn.toString(16).padStart(16, '0')}`,
        fencingToken: turn,
        claimedAtMs: now,
        expiresAtMs: now + 60_000,
      },
    },
    {
      type: 'RuntimeStateCommitted',
      data: {
        sessionId: SESSION_ID,
        headRevision: turn,
        leafNodeId: `node-${turn}`,
        graphNodeCount: turn,
        config: { providerId: 'bench-provider', model: { id: 'bench-model' } },
        nodes: [turnNode(turn)],
        usageDeltas: [{ source: 'turn', model: 'bench-model', usage: { inputTokens: 1200, outputTokens: 300 } }],
        turnIndex: turn,
        committedAtMs: now,
      },
    },
    { type: 'SessionExecutionLeaseReleased', data: { sessionId: SESSION_ID, fencingToken: turn } },
  ];
}

/** The state a replay rebuilds: the session head with its graph, token totals and lease. */
interface SessionState {
  headRevision: number;
  leafNodeId: string | null;
  nodes: Map<string, SessionNodeRecord>;
  inputTokens: number;
  outputTokens: number;
  leaseFencingToken: number | null;
}

function evolve(state: SessionState, event: TurnEvent): SessionState {
  switch (event.type) {
    case 'SessionExecutionLeaseAcquired':
      state.leaseFencingToken = event.data.fencingToken;
      break;
    case 'RuntimeStateCommitted':
      if (event.data.headRevision !== state.headRevision + 1)
        throw new Error(`replay: revision ${event.data.headRevision} after ${state.headRevision}`);
      state.headRevision = event.data.headRevision;
      state.leafNodeId = event.data.leafNodeId;
      for (const node of event.data.nodes) state.nodes.set(node.nodeId, node);
      for (const d of event.data.usageDeltas) {
        state.inputTokens += d.usage.inputTokens;
        state.outputTokens += d.usage.outputTokens;
      }
      break;
    case 'SessionExecutionLeaseReleased':
      if (state.leaseFencingToken === event.data.fencingToken) state.leaseFencingToken = null;
      break;
  }
  return state;
}

export default defineCase<Params>({
  name: 'peer-emmett-replay',
  section: 'peer',
  title:
    '@event-driven-io/emmett-sqlite 0.38.5 replay: `aggregateStream` of one stream holding the same agent turns as `ours-rebuild` (per turn: lease acquired, runtime state committed with 1 node + 1 usage delta, lease released; JSON), folded by `evolve` into the session head (graph nodes in a Map, token totals, lease). It only reads and folds in memory: no projection rows are written, unlike `rebuildProjections()`',
  durability: 'WAL, synchronous=FULL (node-sqlite3 default; a replay only reads)',
  unit: 'events/s',
  params: { full: { turns: 67_000 } },
  async fixture(path, p) {
    const { getSQLiteEventStore } = await import('@event-driven-io/emmett-sqlite');
    routeConsoleLogToStderr();
    const retries = { busy: 0 };
    const store = getSQLiteEventStore({ fileName: path });
    let version = 0n;
    for (let from = 1; from <= p.turns; from += TURNS_PER_APPEND) {
      const events: TurnEvent[] = [];
      for (let turn = from; turn < from + TURNS_PER_APPEND && turn <= p.turns; turn++) events.push(...turnEvents(turn));
      const expected = version;
      const result = await retryBusy(
        () => store.appendToStream<TurnEvent>(STREAM, events, { expectedStreamVersion: expected }),
        retries,
      );
      version = result.nextExpectedStreamVersion;
    }
    if (version !== BigInt(p.turns * EVENTS_PER_TURN)) throw new Error(`fixture: stream at version ${version}`);
    return { events: Number(version), turns: p.turns, busyRetries: retries.busy };
  },
  async measure(ctx, p) {
    const { getSQLiteEventStore } = await import('@event-driven-io/emmett-sqlite');
    routeConsoleLogToStderr();
    const store = getSQLiteEventStore({ fileName: ctx.dbPath });
    const { value, ms, cpuMs, io } = await timed(() =>
      store.aggregateStream<SessionState, TurnEvent>(STREAM, {
        evolve,
        initialState: () => ({
          headRevision: 0,
          leafNodeId: null,
          nodes: new Map(),
          inputTokens: 0,
          outputTokens: 0,
          leaseFencingToken: null,
        }),
      }),
    );
    const events = Number(value.currentStreamVersion);
    if (events !== p.turns * EVENTS_PER_TURN || value.state.headRevision !== p.turns || value.state.nodes.size !== p.turns) {
      throw new Error(`replayed ${events} events to revision ${value.state.headRevision}`);
    }
    return {
      ops: events,
      ms,
      cpuMs,
      io,
      notes: { events, graphNodes: value.state.nodes.size, 'emmett-sqlite': installedVersion('@event-driven-io/emmett-sqlite') },
    };
  },
});
