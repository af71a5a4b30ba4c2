import { Store } from 'lash-event-store';
import { defineCase, timed } from '../lib/case.js';
import { buildTurnLog, EVENTS_PER_TURN } from '../lib/turn-log.js';

interface Params {
  /** Agent turns in the log; each is 3 events: lease acquired, runtime state committed, lease released. */
  turns: number;
  [key: string]: number;
}

export default defineCase<Params>({
  name: 'ours-rebuild',
  section: 'ours',
  title:
    '`rebuildProjections()` after close and reopen: wipe and replay a log of agent turns (per turn: lease acquired, runtime state committed with 1 node + 1 usage delta, lease released)',
  durability: 'WAL, synchronous=NORMAL (Store default); the rebuild is one transaction, so FULL would add one fsync',
  unit: 'events/s',
  anchor: 'peer-emmett-replay',
  targets: [
    { label: 'rebuild ≥ 3× emmett-sqlite replay', anchor: 'peer-emmett-replay', min: 3 },
    { label: 'rebuild ≥ 200,000 events/s', min: 200_000 },
  ],
  params: { full: { turns: 67_000 }, quick: { turns: 7_000 } },
  fixture: buildTurnLog,
  async measure(ctx, p) {
    const store = await Store.open(ctx.dbPath);
    try {
      const { value, ms, cpuMs, io } = await timed(() => store.rebuildProjections());
      if (value.eventCount !== p.turns * EVENTS_PER_TURN) throw new Error(`rebuilt ${value.eventCount} events`);
      return { ops: value.eventCount, ms, cpuMs, io, notes: { events: value.eventCount, graphNodes: p.turns } };
    } finally {
      await store.close();
    }
  },
});
