/**
 * The agent-turn event log the rebuild cases replay: per turn, lease acquired → runtime state
 * committed (1 node + 1 usage delta) → lease released, built once per run as a fixture.
 */
import Database from 'better-sqlite3';
import { completionOf, DEFAULT_MAX_INFLATED_BLOB_BYTES, fenceOf, Store, type StoredEvent, StoreError } from 'lash-event-store';
// Fixture generation only: the library's own event-log append (same codec, same stream versions).
import { EventLog } from '../../dist/src/events/log.js';
import { OWNER, SESSION_ID, turnCommit, turnNode } from './session.js';

/** Turns committed through the public API; their events are the templates of the rest. */
const REAL_TURNS = 3;
export const EVENTS_PER_TURN = 3;

type Data = Record<string, unknown>;

function dataOf(event: StoredEvent | undefined, type: string): Data {
  if (!event || event.type !== type) throw new Error(`fixture: expected a ${type} event, got ${event?.type}`);
  return event.data as Data;
}

/**
 * The log of `turns` agent turns, each `tryClaim → commitRuntimeState(append 1 node + 1 usage delta,
 * release)`. The first turns go through the public API; the rest are the last real turn's events
 * with this turn's ids, revision, fencing token and times, appended by the library's `EventLog` in
 * large transactions (the public API would take minutes: one transaction per command). Projections
 * are then built by `rebuildProjections()` and the head is checked.
 */
export async function buildTurnLog(path: string, p: { turns: number }): Promise<{ events: number; turns: number }> {
  if (p.turns <= REAL_TURNS) throw new Error(`fixture: turns must exceed ${REAL_TURNS}`);
  const store = await Store.open(path);
  for (let turn = 1; turn <= REAL_TURNS; turn++) {
    const claim = await store.tryClaimSessionExecutionLease(SESSION_ID, OWNER, 60_000);
    if (claim.kind !== 'acquired') throw new Error('fixture: lease busy');
    await store.commitRuntimeState(turnCommit(turn, fenceOf(claim.lease), completionOf(claim.lease)));
  }
  const real = await store.readEvents();
  await store.close();
  if (real.length !== REAL_TURNS * EVENTS_PER_TURN) throw new Error(`fixture: ${real.length} events after the real turns`);
  const [acquiredEvent, committedEvent, releasedEvent] = real.slice(-EVENTS_PER_TURN);
  const acquired = dataOf(acquiredEvent, 'SessionExecutionLeaseAcquired');
  const committed = dataOf(committedEvent, 'RuntimeStateCommitted');
  dataOf(releasedEvent, 'SessionExecutionLeaseReleased');
  const graph = committed.graph as { nodes: unknown[] };
  if (JSON.stringify(graph.nodes) !== JSON.stringify([turnNode(REAL_TURNS)])) {
    throw new Error('fixture: the stored node differs from the committed one; update the template substitution');
  }

  const db = new Database(path);
  try {
    db.pragma('synchronous = OFF');
    const log = new EventLog(db, StoreError, DEFAULT_MAX_INFLATED_BLOB_BYTES);
    const leaseStream = (acquiredEvent as StoredEvent).stream;
    const sessionStream = (committedEvent as StoredEvent).stream;
    const t0 = (committedEvent as StoredEvent).recordedAtMs;
    const appendTurns = db.transaction((from: number, to: number) => {
      for (let turn = from; turn <= to; turn++) {
        const now = t0 + turn;
        const lease: Data = {
          ...acquired,
          leaseToken: `${SESSION_ID}:${OWNER.ownerId}:${OWNER.incarnationId}:${now}:${turn}:${turn.toString(16).padStart(16, '0')}`,
          fencingToken: turn,
          claimedAtMs: now,
          expiresAtMs: now + 60_000,
        };
        const head = structuredClone(committed.head) as Data;
        head.headRevision = turn;
        head.leafNodeId = `node-${turn}`;
        head.graphNodeCount = turn;
        const commit: Data = {
          ...structuredClone(committed),
          head,
          graph: { replaceAll: false, nodes: [turnNode(turn)] },
          committedAtMs: now,
        };
        log.append({ stream: leaseStream, type: 'SessionExecutionLeaseAcquired', data: lease }, now);
        log.append({ stream: sessionStream, type: 'RuntimeStateCommitted', data: commit }, now);
        log.append(
          { stream: leaseStream, type: 'SessionExecutionLeaseReleased', data: { sessionId: SESSION_ID, fencingToken: turn } },
          now,
        );
      }
    });
    for (let from = REAL_TURNS + 1; from <= p.turns; from += 10_000) appendTurns(from, Math.min(p.turns, from + 9_999));
  } finally {
    db.close();
  }

  const check = await Store.open(path);
  try {
    const { eventCount } = await check.rebuildProjections();
    const head = await check.loadSessionHead();
    if (eventCount !== p.turns * EVENTS_PER_TURN || head?.headRevision !== p.turns || head.graph.nodes.length !== p.turns) {
      throw new Error(`fixture: rebuilt ${eventCount} events to revision ${head?.headRevision}`);
    }
    return { events: eventCount, turns: p.turns };
  } finally {
    await check.close();
  }
}
