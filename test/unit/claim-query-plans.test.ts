/**
 * Claims are served by indexes (10-session-store §3.3.2): every candidate query is one ordered index
 * range or one index seek — no table scan and no sort — so a claim costs the same at any queue
 * depth and never steps over the rows its own lease generation holds.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/index.js';
import { QUEUED_NEXT_GENERATION_SQL, QUEUED_READY_IN_GENERATION_SQL } from '../../src/projections/session/queued-work.js';
import {
  INPUT_ACTIVE_CANDIDATES_SQL,
  INPUT_DEFERRED_IN_GENERATION_SQL,
  INPUT_NEXT_GENERATION_SQL,
} from '../../src/projections/session/turn-input.js';
import { tempDir } from '../support/backends.js';

let raw: Database.Database | null = null;
afterEach(() => {
  raw?.close();
  raw = null;
});

async function plan(sql: string, params: number): Promise<string[]> {
  if (!raw) {
    const path = join(tempDir(), 'plans.db');
    await (await Store.open(path)).close();
    raw = new Database(path, { readonly: true });
  }
  const rows = raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...Array<number>(params).fill(1)) as Array<{ detail: string }>;
  return rows.map((r) => r.detail);
}

describe('claim query plans', () => {
  const cases: Array<[string, string, number, string, RegExp]> = [
    [
      'queued: next generation',
      QUEUED_NEXT_GENERATION_SQL,
      2,
      'queued_work_batches_claimable',
      /session_id=\? AND claim_session_lease_generation>\?/,
    ],
    [
      'queued: ready rows of one generation',
      QUEUED_READY_IN_GENERATION_SQL,
      4,
      'queued_work_batches_claimable',
      /session_id=\? AND claim_session_lease_generation=\?/,
    ],
    [
      'input: active candidates of one turn',
      INPUT_ACTIVE_CANDIDATES_SQL,
      6,
      'pending_turn_inputs_active_turn',
      /session_id=\? AND state=\? AND ingress_turn_id=\?/,
    ],
    [
      'input: next generation',
      INPUT_NEXT_GENERATION_SQL,
      2,
      'pending_turn_inputs_claimable',
      /session_id=\? AND state=\? AND claim_session_lease_generation>\?/,
    ],
    [
      'input: next-turn rows of one generation',
      INPUT_DEFERRED_IN_GENERATION_SQL,
      3,
      'pending_turn_inputs_claimable',
      /session_id=\? AND state=\? AND claim_session_lease_generation=\?/,
    ],
  ];
  for (const [name, sql, params, index, constraint] of cases) {
    it(`${name} is an index range on ${index}, without a sort`, async () => {
      const details = await plan(sql, params);
      expect(details).toHaveLength(1);
      expect(details[0]).toMatch(new RegExp(`USING (COVERING )?INDEX ${index} `));
      expect(details[0]).toMatch(constraint);
      expect(details.join('\n')).not.toMatch(/TEMP B-TREE|SCAN/);
    });
  }
});
