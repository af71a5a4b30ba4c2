/**
 * Claim columns shared by `queued_work_batches` and `pending_turn_inputs`: decoding the claim owner,
 * clearing a claim (R7), and reading claim candidates per held generation so a claim never steps
 * over the rows its own generation holds (R4, §3.3.2).
 */
import { unpack } from '../../codec.js';
import { corruptData, StoreError } from '../../errors.js';
import type { LeaseOwnerIdentity } from '../../types/common.js';

/** SQL assignment list that clears a claim; `claim_fencing_token` is never reset. */
export const CLEAR_CLAIM_SQL = 'claim_id = NULL, claim_owner = NULL, claim_token = NULL, claim_session_lease_generation = 0';

/**
 * Thrown by a claim handler when a selected row can no longer be claimed (R8). The claim command
 * turns it into a rolled-back transaction and a `null` result.
 */
export class ClaimRaceLost extends Error {
  constructor(
    readonly table: string,
    readonly key: string,
  ) {
    super(`claim lost a race on ${table} row ${key}`);
  }
}

/** Decodes a stored claim owner; damage raises `CorruptData` with the row's table and key. */
export function decodeClaimOwner(table: string, key: string, bytes: Uint8Array | null): LeaseOwnerIdentity | null {
  if (bytes === null) return null;
  let owner: unknown;
  try {
    owner = unpack(bytes);
  } catch (error) {
    throw corruptData(StoreError, table, key, 'undecodable claim owner', error);
  }
  const o = owner as Partial<LeaseOwnerIdentity> | null;
  if (o === null || typeof o !== 'object' || typeof o.ownerId !== 'string' || typeof o.incarnationId !== 'string') {
    throw corruptData(StoreError, table, key, 'claim owner has the wrong shape');
  }
  return o as LeaseOwnerIdentity;
}

/**
 * The first `limit` rows, by `enqueue_seq`, of every generation partition except `excluded`.
 *
 * Rows carry the generation of the lease that claimed them (0 = unclaimed), and an index on
 * `(session, …, generation, enqueue_seq)` serves both callbacks: `nextGeneration(after)` is one
 * index seek to the next distinct generation, `partition(generation, limit)` one ordered range. The
 * cost is therefore (distinct generations) × (seek + limit), independent of how many rows the
 * excluded generation holds or how deep the queue is.
 */
export function firstAcrossGenerations<T extends { enqueue_seq: number }>(
  nextGeneration: (after: number) => number | undefined,
  partition: (generation: number, limit: number) => T[],
  excluded: number,
  limit: number,
): T[] {
  if (limit <= 0) return [];
  const rows: T[] = [];
  let parts = 0;
  for (let generation = nextGeneration(-1); generation !== undefined; generation = nextGeneration(generation)) {
    if (generation === excluded) continue;
    const part = partition(generation, limit);
    if (part.length > 0) parts++;
    rows.push(...part);
  }
  if (parts > 1) rows.sort((a, b) => a.enqueue_seq - b.enqueue_seq);
  return rows.length > limit ? rows.slice(0, limit) : rows;
}
