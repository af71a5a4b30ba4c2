import { Store } from 'lash-event-store';
import { defineCase, timed } from '../lib/case.js';
import { buildTurnLog, EVENTS_PER_TURN } from '../lib/turn-log.js';

interface Params {
  /** Agent turns in the log (3 events each): 333,334 turns = 1,000,002 events. */
  turns: number;
  [key: string]: number;
}

export default defineCase<Params>({
  name: 'ours-replay-1m',
  section: 'ours',
  title:
    'peak RSS while replaying 1,000,000 events: `rebuildProjections()` after close and reopen on a log of 333,334 agent turns (as `ours-rebuild`); the process’s `maxRSS` (whole child: Node, tsx, open, rebuild) is the measure, the rate is beside it',
  durability: 'WAL, synchronous=NORMAL (Store default)',
  unit: 'events/s',
  targets: [{ label: 'replaying 1,000,000 events under 200 MiB peak RSS', metric: 'rssMiB', max: 200 }],
  params: { full: { turns: 333_334 } },
  fixture: buildTurnLog,
  async measure(ctx, p) {
    const store = await Store.open(ctx.dbPath);
    try {
      const { value, ms, cpuMs, io } = await timed(() => store.rebuildProjections());
      if (value.eventCount !== p.turns * EVENTS_PER_TURN) throw new Error(`rebuilt ${value.eventCount} events`);
      // No head read here: loading a 333,334-node graph would add its own memory to the peak (the
      // fixture already checked the head after a rebuild of this very log).
      return { ops: value.eventCount, ms, cpuMs, io, notes: { events: value.eventCount } };
    } finally {
      await store.close();
    }
  },
});
