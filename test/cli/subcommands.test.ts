/**
 * Every `lash-store` subcommand that works on databases, end to end: the real CLI in its own OS
 * process (`test/support/cli.ts`) on the databases a real `lash-store demo` run wrote, checked
 * against what the public API reads from the same files. Commands that write work on copies.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, test } from 'vitest';
import { eventToNdjson } from '../../src/events/ndjson.js';
import type { StoredEvent } from '../../src/events/types.js';
import { type AwaitEventKey, SqliteEffectHost, SqliteProcessRegistry, SqliteTriggerStore, Store } from '../../src/index.js';
import {
  copyDb,
  type DemoDatabases,
  expectRefusal,
  inParallel,
  literal,
  runCli,
  runDemoFixture,
  tempDir,
} from '../support/cli.js';

const TIMEOUT = 120_000;
const ISO = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';

let demo: DemoDatabases;
let session: string;

beforeAll(async () => {
  demo = await runDemoFixture();
  session = demo.sessions.find((p) => p.includes('research-agent')) as string;
}, TIMEOUT);

type Kind = 'session' | 'processes' | 'effects' | 'triggers';

async function openKind(kind: Kind, path: string) {
  if (kind === 'session') return Store.openReadonly(path);
  if (kind === 'processes') return SqliteProcessRegistry.open(path);
  if (kind === 'effects') return SqliteEffectHost.open(path);
  return SqliteTriggerStore.open(path);
}

/** The events of a database as the public API reads them. */
async function eventsOf(kind: Kind, path: string): Promise<StoredEvent[]> {
  const db = await openKind(kind, path);
  try {
    return await db.readEvents();
  } finally {
    await db.close();
  }
}

function allDatabases(): Array<{ kind: Kind; path: string; label: string }> {
  return [
    ...demo.sessions.map((path) => ({ kind: 'session' as const, path, label: 'session' })),
    { kind: 'processes', path: demo.processes, label: 'process registry' },
    { kind: 'effects', path: demo.effects, label: 'effect replay' },
    { kind: 'triggers', path: demo.triggers, label: 'trigger store' },
  ];
}

/** The row of a printed table whose first cell is `first` (cells split on runs of spaces). */
function row(text: string, first: string): string[] | undefined {
  return text
    .split('\n')
    .map((line) => line.trim().split(/ {2,}/))
    .find((cells) => cells[0] === first);
}

/** Every line of `text` as table cells; the final newline is required. */
function cells(text: string): string[][] {
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => line.trim().split(/ {2,}/));
}

function ok(result: { status: number | null; stderr: string }): void {
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
}

describe('demo', () => {
  test('writes all four kinds under ./lash-demo, prints the summary and exits 0', () => {
    const { result, dir } = demo;
    ok(result);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe("lash-store demo: an agent runtime's state in lash-demo/");
    expect(lines[2]).toMatch(/^database +kind +head +nodes +events +input tokens +verify$/);
    for (const name of ['research-agent', 'coding-agent', 'review-agent']) {
      expect(result.stdout).toMatch(
        new RegExp(`^lash-demo/sessions/${name}-[0-9a-f]{16}\\.db +session +25 +50 +138 +3300 +ok$`, 'm'),
      );
    }
    expect(result.stdout).toMatch(/^lash-demo\/processes\.db +process registry +- +- +20 +- +ok$/m);
    expect(result.stdout).toMatch(/^lash-demo\/effects\.db +effect journal +- +- +12 +- +ok$/m);
    expect(result.stdout).toMatch(/^lash-demo\/triggers\.db +trigger store +- +- +4 +- +ok$/m);
    expect(result.stdout).toMatch(/^450 events in 6 databases in \d+ ms/m);
    expect(result.stdout).toContain('projections equal the replayed event log in every database\n');
    expect(result.stdout).toContain(`npx lash-store verify lash-demo/processes.db `);
    expect(demo.sessions).toHaveLength(3);
    for (const { path } of allDatabases()) {
      expect(path.startsWith(join(dir, 'lash-demo'))).toBe(true);
      expect(existsSync(path)).toBe(true);
    }
  });
});

describe('inspect', () => {
  test(
    'shows kind, schema version, event counts and range, event types, projection rows, head and leases',
    async () => {
      const [s, p, e, t] = await inParallel([
        () => runCli(['inspect', session]),
        () => runCli(['inspect', demo.processes]),
        () => runCli(['inspect', demo.effects]),
        () => runCli(['inspect', demo.triggers]),
      ]);
      for (const r of [s, p, e, t]) ok(r);
      const sessionEvents = await eventsOf('session', session);
      const store = await Store.openReadonly(session);
      const head = await store.loadSessionHead();
      await store.close();
      const last = sessionEvents[sessionEvents.length - 1] as StoredEvent;

      const out = s.stdout;
      const lines = out.split('\n');
      expect(lines[0]).toBe(session);
      expect(lines[1]).toMatch(/^kind lash session · schema version 1 · \d+\.\d KiB on disk$/);
      expect(lines[3]).toBe(`events: 138 (seq 1…138, last at ${new Date(last.recordedAtMs).toISOString()})`);
      expect(row(out, 'RuntimeStateCommitted')).toEqual(['RuntimeStateCommitted', '25']);
      expect(row(out, 'SessionExecutionLeaseAcquired')).toEqual(['SessionExecutionLeaseAcquired', '25']);
      expect(row(out, 'TurnInputEnqueued')).toEqual(['TurnInputEnqueued', '6']);
      expect(row(out, 'BlobsCollected')).toEqual(['BlobsCollected', '1']);
      expect(row(out, 'graph_nodes')).toEqual(['graph_nodes', '50']);
      expect(row(out, 'runtime_turn_commits')).toEqual(['runtime_turn_commits', '25']);
      expect(row(out, 'session_head')).toEqual(['session_head', '1']);
      expect(row(out, 'blobs')).toEqual(['blobs', '3']);
      expect(out).toMatch(/^blob bytes stored: \d+ B$/m);
      expect(head?.headRevision).toBe(25);
      expect(out).toContain(
        `session research-agent: head revision 25, 50 nodes, leaf ${head?.graph.leafNodeId}, checkpoint ${head?.checkpointRef?.slice(0, 12)}\n`,
      );
      expect(row(out, 'research-agent')).toEqual(['research-agent', '25', 'released', '-']);

      const po = p.stdout;
      expect(po.split('\n')[1]).toMatch(/^kind lash process registry · schema version 1 · /);
      expect(po).toMatch(new RegExp(`^events: 20 \\(seq 1…20, last at ${ISO}\\)$`, 'm'));
      expect(row(po, 'ProcessRegistered')).toEqual(['ProcessRegistered', '4']);
      expect(row(po, 'ProcessEventAppended')).toEqual(['ProcessEventAppended', '16']);
      expect(row(po, 'processes')).toEqual(['processes', '4']);
      expect(row(po, 'process_events')).toEqual(['process_events', '16']);
      expect(po).not.toMatch(/^session /m);

      const eo = e.stdout;
      expect(eo.split('\n')[1]).toMatch(/^kind lash effect replay · schema version 1 · /);
      expect(eo).toMatch(new RegExp(`^events: 12 \\(seq 1…12, last at ${ISO}\\)$`, 'm'));
      expect(row(eo, 'EffectClaimed')).toEqual(['EffectClaimed', '6']);
      expect(row(eo, 'EffectCompleted')).toEqual(['EffectCompleted', '6']);
      expect(row(eo, 'runtime_effect_replay')).toEqual(['runtime_effect_replay', '6']);

      const to = t.stdout;
      expect(to.split('\n')[1]).toMatch(/^kind lash trigger store · schema version 1 · /);
      expect(to).toMatch(new RegExp(`^events: 4 \\(seq 1…4, last at ${ISO}\\)$`, 'm'));
      for (const table of ['trigger_subscriptions', 'trigger_occurrences', 'trigger_deliveries']) {
        expect(row(to, table)).toEqual([table, '1']);
      }
    },
    TIMEOUT,
  );
});

describe('events and export', () => {
  test(
    'events prints one line per event in seq order: seq, time, stream, type, a data summary',
    async () => {
      const [all, after] = await inParallel([
        () => runCli(['events', demo.triggers]),
        () => runCli(['events', demo.processes, '--after', '18']),
      ]);
      for (const r of [all, after]) ok(r);
      const check = (stdout: string, events: StoredEvent[]) => {
        const lines = stdout.split('\n');
        expect(lines.pop()).toBe('');
        expect(lines).toHaveLength(events.length);
        events.forEach((event, i) => {
          const line = lines[i] as string;
          const prefix = `${String(event.seq).padStart(6)}  ${new Date(event.recordedAtMs).toISOString()}  ${event.stream.padEnd(24)}  ${event.type.padEnd(32)}  `;
          expect(line.startsWith(prefix), line).toBe(true);
          const summary = line.slice(prefix.length);
          const json = JSON.stringify(event.data);
          expect(summary).toBe(json.length > 100 ? `${json.slice(0, 97)}...` : json);
        });
      };
      const triggers = await eventsOf('triggers', demo.triggers);
      expect(triggers.map((e) => e.type)).toEqual([
        'TriggerSubscriptionWritten',
        'TriggerMutationReceiptRecorded',
        'TriggerOccurrenceRecorded',
        'TriggerDeliveryReserved',
      ]);
      check(all.stdout, triggers);
      const processes = await eventsOf('processes', demo.processes);
      expect(processes.map((e) => e.seq).slice(18)).toEqual([19, 20]);
      check(after.stdout, processes.slice(18));
    },
    TIMEOUT,
  );

  test(
    'events --json is NDJSON with seq, stream, version, type, recordedAtMs and data; --after starts later',
    async () => {
      const [json, after, end, beyond] = await inParallel([
        () => runCli(['events', session, '--json']),
        () => runCli(['events', session, '--json', '--after', '130']),
        () => runCli(['events', session, '--after', '138']),
        () => runCli(['events', session, '--json', '--after', '100000']),
      ]);
      for (const r of [json, after, end, beyond]) ok(r);
      const events = await eventsOf('session', session);
      expect(events).toHaveLength(138);
      const lines = json.stdout.split('\n');
      expect(lines.pop()).toBe('');
      const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(parsed.map((e) => e.seq)).toEqual(Array.from({ length: 138 }, (_, i) => i + 1));
      for (const [i, event] of parsed.entries()) {
        expect(Object.keys(event)).toEqual(['seq', 'stream', 'version', 'type', 'recordedAtMs', 'data']);
        const stored = events[i] as StoredEvent;
        expect(event).toMatchObject({
          seq: stored.seq,
          stream: stored.stream,
          version: stored.version,
          type: stored.type,
          recordedAtMs: stored.recordedAtMs,
        });
      }
      expect(parsed[0]?.type).toBe('SessionMetaSaved');
      expect(json.stdout).toBe(events.map((e) => `${eventToNdjson(e)}\n`).join(''));
      expect(after.stdout).toBe(
        events
          .slice(130)
          .map((e) => `${eventToNdjson(e)}\n`)
          .join(''),
      );
      expect(end.stdout).toBe('');
      expect(beyond.stdout).toBe('');
    },
    TIMEOUT,
  );

  test(
    'export writes the whole audit trail of every kind as NDJSON, one line per event',
    async () => {
      const databases = allDatabases();
      const results = await inParallel(
        databases.map(
          ({ path }) =>
            () =>
              runCli(['export', path]),
        ),
      );
      for (const [i, result] of results.entries()) {
        const { kind, path } = databases[i] as (typeof databases)[number];
        ok(result);
        const events = await eventsOf(kind, path);
        expect(events.length).toBeGreaterThan(0);
        expect(result.stdout.split('\n')).toHaveLength(events.length + 1);
        expect(result.stdout).toBe(events.map((e) => `${eventToNdjson(e)}\n`).join(''));
      }
      expect(results.map((r) => r.stdout.split('\n').length - 1)).toEqual([138, 138, 138, 20, 12, 4]);
    },
    TIMEOUT,
  );
});

describe('verify', () => {
  test(
    'a clean database of every kind verifies: exit 0 and one ok line naming the kind and the event count',
    async () => {
      const databases = allDatabases();
      const results = await inParallel(
        databases.map(
          ({ path }) =>
            () =>
              runCli(['verify', path]),
        ),
      );
      const counts = [138, 138, 138, 20, 12, 4];
      for (const [i, result] of results.entries()) {
        const { label } = databases[i] as (typeof databases)[number];
        ok(result);
        expect(result.stdout).toBe(`ok: ${label} projections equal the replay of ${counts[i]} events\n`);
      }
    },
    TIMEOUT,
  );

  test(
    'a projection row changed behind the store is a MISMATCH naming table and key: exit 1',
    async () => {
      const sessionCopy = copyDb(session);
      const processesCopy = copyDb(demo.processes);
      const raw = new Database(sessionCopy);
      const nodeSeq = raw.prepare('SELECT min(seq) FROM graph_nodes').pluck().get() as number;
      const usageSeq = raw.prepare('SELECT min(seq) FROM usage_deltas').pluck().get() as number;
      expect(raw.prepare('DELETE FROM graph_nodes WHERE seq = ?').run(nodeSeq).changes).toBe(1);
      expect(raw.prepare("UPDATE usage_deltas SET record = x'00' WHERE seq = ?").run(usageSeq).changes).toBe(1);
      // The event log itself is guarded: the same kind of edit there is refused by SQL triggers.
      expect(() => raw.prepare("UPDATE events SET type = 'Forged' WHERE seq = 1").run()).toThrow(/immutable/);
      raw.close();
      const rawP = new Database(processesCopy);
      expect(rawP.prepare("UPDATE processes SET status = 'failed' WHERE process_id = 'job-0'").run().changes).toBe(1);
      rawP.close();

      const [s, p] = await inParallel([() => runCli(['verify', sessionCopy]), () => runCli(['verify', processesCopy])]);
      const advice =
        'run `lash-store compact` only after investigating; rebuildProjections() restores the projections from the log\n';
      expect(s.stderr).toBe('');
      expect(s.stdout).toBe(
        `MISMATCH: 2 projection rows differ from the replayed log\n  graph_nodes ${nodeSeq}\n  usage_deltas ${usageSeq}\n${advice}`,
      );
      expect(s.status).toBe(1);
      expect(p.stderr).toBe('');
      expect(p.stdout).toBe(`MISMATCH: 1 projection rows differ from the replayed log\n  processes job-0\n${advice}`);
      expect(p.status).toBe(1);
    },
    TIMEOUT,
  );

  test(
    'a damaged blob is one stderr line naming the file and what to do: exit 1',
    async () => {
      const copy = copyDb(session);
      const raw = new Database(copy);
      const hash = raw.prepare('SELECT min(hash) FROM blobs').pluck().get() as string;
      raw.prepare("UPDATE blobs SET content = x'0102' WHERE hash = ?").run(hash);
      raw.close();
      const result = await runCli(['verify', copy]);
      expectRefusal(
        result,
        1,
        new RegExp(
          `${literal(copy)} is damaged \\(corrupt data in table blobs at key ${hash}: [^\\n]+\\); restore it from a backup, or delete it and start afresh — do not write to it`,
        ),
      );
    },
    TIMEOUT,
  );
});

describe('gc, vacuum, compact', () => {
  test(
    'gc deletes the blobs no root reaches, reports the counts, and the database still verifies',
    async () => {
      const copy = copyDb(session);
      const store = await Store.open(copy);
      const orphans = [
        await store.putBlob(new TextEncoder().encode('orphan one')),
        await store.putBlob(new TextEncoder().encode('orphan two')),
      ];
      await store.close();
      const first = await runCli(['gc', copy]);
      ok(first);
      expect(cells(first.stdout)).toEqual([
        ['roots', 'retained', 'dangling refs', 'deleted'],
        ['1', '3', '0', '2'],
      ]);
      const [again, verify] = await inParallel([() => runCli(['gc', copy]), () => runCli(['verify', copy])]);
      ok(again);
      expect(cells(again.stdout)[1]).toEqual(['1', '3', '0', '0']);
      ok(verify);
      expect(verify.stdout).toMatch(/^ok: session projections equal the replay of \d+ events\n$/);
      const reopened = await Store.openReadonly(copy);
      for (const ref of orphans) expect(await reopened.getBlob(ref)).toBeNull();
      expect((await reopened.readEvents()).at(-1)?.type).toBe('BlobsCollected');
      await reopened.close();
    },
    TIMEOUT,
  );

  test(
    'vacuum removes tombstoned nodes and settled turn inputs, reports the counts, and the database still verifies',
    async () => {
      const copy = copyDb(session);
      const store = await Store.open(copy);
      const nodes = ['research-agent:turn-0:user', 'research-agent:turn-0:assistant'];
      for (const id of nodes) expect(await store.loadNode(id)).not.toBeNull();
      await store.tombstoneNodes(nodes);
      await store.close();
      const first = await runCli(['vacuum', copy]);
      ok(first);
      expect(cells(first.stdout)).toEqual([
        ['nodes removed', 'turn-input tombstones removed'],
        ['2', '6'],
      ]);
      const [again, verify, inspect] = await inParallel([
        () => runCli(['vacuum', copy]),
        () => runCli(['verify', copy]),
        () => runCli(['inspect', copy]),
      ]);
      for (const r of [again, verify, inspect]) ok(r);
      expect(cells(again.stdout)[1]).toEqual(['0', '0']);
      expect(verify.stdout).toMatch(/^ok: session projections equal the replay of \d+ events\n$/);
      expect(row(inspect.stdout, 'graph_nodes')).toEqual(['graph_nodes', '48']);
      expect(row(inspect.stdout, 'pending_turn_inputs')).toEqual(['pending_turn_inputs', '0']);
      expect(row(inspect.stdout, 'Vacuumed')).toEqual(['Vacuumed', '1']);
    },
    TIMEOUT,
  );

  test(
    'compact --through --archive writes the folded events as NDJSON, deletes them, and the database still verifies',
    async () => {
      const copy = copyDb(demo.processes);
      const original = await eventsOf('processes', demo.processes);
      const archive = join(tempDir(), 'archive.ndjson');
      const result = await runCli(['compact', copy, '--through', '12', '--archive', archive]);
      ok(result);
      expect(result.stdout.split('\n')[0]?.trim().split(/ {2,}/)).toEqual(['snapshot seq', 'events deleted']);
      expect(result.stdout.split('\n')[1]?.trim().split(/ +/)).toEqual(['12', '12']);
      expect(result.stdout.split('\n').slice(2)).toEqual([`archived 12 events to ${archive} (fsynced before deleting)`, '']);
      expect(readFileSync(archive, 'utf8')).toBe(
        original
          .slice(0, 12)
          .map((e) => `${eventToNdjson(e)}\n`)
          .join(''),
      );

      const second = join(tempDir(), 'second.ndjson');
      const [verify, inspect, events, again] = await inParallel([
        () => runCli(['verify', copy]),
        () => runCli(['inspect', copy]),
        () => runCli(['events', copy, '--json']),
        () => runCli(['compact', copy, '--through', '5', '--archive', second]),
      ]);
      for (const r of [verify, inspect, events, again]) ok(r);
      // 8 events left and the EventLogCompacted audit event above them.
      expect(verify.stdout).toBe('ok: process registry projections equal the replay of 9 events\n');
      expect(inspect.stdout).toMatch(new RegExp(`^events: 9 \\(seq 13…21, last at ${ISO}\\), compacted through 12$`, 'm'));
      const lines = events.stdout.trim().split('\n');
      expect(lines.map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([13, 14, 15, 16, 17, 18, 19, 20, 21]);
      expect(JSON.parse(lines[8] as string)).toMatchObject({
        type: 'EventLogCompacted',
        data: { throughSeq: 12, deletedEventCount: 12, archivePath: archive },
      });
      expect(cells(again.stdout)).toEqual([
        ['snapshot seq', 'events deleted'],
        ['12', '0'],
        [`nothing to compact: no events up to 5 are left in the log; ${second} was not written`],
      ]);
      expect(existsSync(second)).toBe(false);
    },
    TIMEOUT,
  );

  test(
    'compact --through without --archive on a session: the head and projections survive, the log starts later',
    async () => {
      const copy = copyDb(session);
      const result = await runCli(['compact', copy, '--through', '100']);
      ok(result);
      expect(cells(result.stdout)).toEqual([
        ['snapshot seq', 'events deleted'],
        ['100', '100'],
      ]);
      const [verify, inspect] = await inParallel([() => runCli(['verify', copy]), () => runCli(['inspect', copy])]);
      expect(verify.stdout).toBe('ok: session projections equal the replay of 39 events\n');
      expect(verify.status).toBe(0);
      expect(inspect.stdout).toMatch(/, compacted through 100$/m);
      expect(inspect.stdout).toContain('session research-agent: head revision 25, 50 nodes, ');
    },
    TIMEOUT,
  );
});

describe('resolve-await', () => {
  test(
    'resolves a keyed promise from another process: accepted, then alreadyResolved; a forged key is unknownOrRevoked',
    async () => {
      const copy = copyDb(demo.effects);
      const host = await SqliteEffectHost.open(copy);
      const key: AwaitEventKey = await host.awaitEventKey(
        { kind: 'turn', sessionId: 'cli-session', turnId: 'cli-turn' },
        { kind: 'toolCompletion', toolCallId: 'cli-call' },
      );
      await host.close();
      const resolution = { kind: 'ok', payload: { done: true, by: 'lash-store' } };

      const accepted = await runCli(['resolve-await', copy, JSON.stringify(key), JSON.stringify(resolution)]);
      ok(accepted);
      expect(accepted.stdout).toBe('{"kind":"accepted"}\n');

      const forged = { ...key, signature: (key.signature.startsWith('0') ? '1' : '0') + key.signature.slice(1) };
      const [again, unknown] = await inParallel([
        () => runCli(['resolve-await', copy, JSON.stringify(key), '{"kind":"cancelled"}']),
        () => runCli(['resolve-await', copy, JSON.stringify(forged), JSON.stringify(resolution)]),
      ]);
      ok(again);
      expect(JSON.parse(again.stdout)).toEqual({ kind: 'alreadyResolved', terminal: resolution });
      expect(unknown.stdout).toBe('{"kind":"unknownOrRevoked"}\n');
      expect(unknown.stderr).toBe('lash-store: await-event key is invalid or revoked\n');
      expect(unknown.status).toBe(1);

      const reopened = await SqliteEffectHost.open(copy);
      expect(await reopened.peekAwaitEvent(key)).toEqual(resolution);
      expect((await reopened.verifyProjections()).ok).toBe(true);
      await reopened.close();
    },
    TIMEOUT,
  );
});
