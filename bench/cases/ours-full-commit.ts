import { fenceOf, Store } from 'lash-event-store';
import { defineCase, timed } from '../lib/case.js';
import { useSynchronous } from '../lib/process-append.js';
import { LONG_TTL_MS, OWNER, SESSION_ID, turnCommit } from '../lib/session.js';

interface Params {
  commits: number;
  [key: string]: number;
}

export default defineCase<Params>({
  name: 'ours-full-commit',
  section: 'ours',
  title:
    '`commitRuntimeState` at synchronous=FULL, as `ours-commit`: one `RuntimeStateCommitted` event per commit (1 graph node + 1 usage delta) with its projections, checked against the expected head revision — the expected-version-checked single-event append',
  durability: 'WAL, synchronous=FULL (`LASH_SQLITE_SYNCHRONOUS=FULL`) — like emmett-sqlite',
  unit: 'commits/s',
  anchor: 'peer-emmett-append-1stream',
  params: { full: { commits: 2_000 } },
  async measure(ctx, p) {
    useSynchronous('FULL');
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
      return { ops: p.commits, ms, cpuMs, io, notes: { graphNodesAtEnd: p.commits } };
    } finally {
      await store.close();
    }
  },
});
