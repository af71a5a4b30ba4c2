import { fenceOf, Store } from 'lash-event-store';
import { defineCase, timed } from '../lib/case.js';
import { LONG_TTL_MS, OWNER, SESSION_ID, turnCommit } from '../lib/session.js';

interface Params {
  commits: number;
  [key: string]: number;
}

export default defineCase<Params>({
  name: 'ours-commit',
  section: 'ours',
  title:
    '`commitRuntimeState` on a file `Store`: append one graph node + one usage delta, no snapshot, fenced by a lease held for the whole run, head CAS',
  durability: 'WAL, synchronous=NORMAL (Store default)',
  unit: 'commits/s',
  anchor: 'raw-normal-1row',
  targets: [{ label: 'runtime commit ≥ 0.5× raw one-row transactions (NORMAL)', anchor: 'raw-normal-1row', min: 0.5 }],
  params: { full: { commits: 5_000 }, quick: { commits: 1_000 } },
  async measure(ctx, p) {
    const store = await Store.open(ctx.dbPath);
    try {
      const claim = await store.tryClaimSessionExecutionLease(SESSION_ID, OWNER, LONG_TTL_MS);
      if (claim.kind !== 'acquired') throw new Error('could not claim the session lease');
      const fence = fenceOf(claim.lease);
      const { ms, cpuMs, io } = await timed(async () => {
        for (let turn = 1; turn <= p.commits; turn++) {
          const result = await store.commitRuntimeState(turnCommit(turn, fence, null));
          if (result.headRevision !== turn) throw new Error(`head revision ${result.headRevision}, expected ${turn}`);
        }
      });
      const events = (await store.readEvents()).length;
      return { ops: p.commits, ms, cpuMs, io, notes: { graphNodesAtEnd: p.commits, events } };
    } finally {
      await store.close();
    }
  },
});
