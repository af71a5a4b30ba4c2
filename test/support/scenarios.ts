/** Catalogue entries that other entries run as a first step. */
import { expect } from 'vitest';
import type { Store } from '../../src/index.js';
import { owner, release } from './fixtures.js';

/**
 * 10-session-store §7.3.3 `session_execution_lease_first_claim_excludes_concurrent_reopen_handles`:
 * two handles on one file claim the same fresh session concurrently; exactly one acquires.
 */
export async function firstClaimExcludesConcurrentReopenHandles(open: Store, reopen: Store): Promise<void> {
  const S = 'first-claim-race';
  const outcomes = await Promise.all([
    open.tryClaimSessionExecutionLease(S, owner('owner-a'), 60_000),
    reopen.tryClaimSessionExecutionLease(S, owner('owner-b'), 60_000),
  ]);
  const acquired = outcomes.filter((o) => o.kind === 'acquired');
  expect(acquired).toHaveLength(1);
  expect(outcomes.filter((o) => o.kind === 'busy')).toHaveLength(1);
  const winner = acquired[0];
  if (winner?.kind !== 'acquired') throw new Error('unreachable');
  await release(open, winner.lease);
}
