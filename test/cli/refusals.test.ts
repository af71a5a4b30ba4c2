/**
 * `lash-store` refusing what it must not open or write, end to end: a missing file, a folder, a
 * file that is not SQLite, a SQLite file that is not a lash database, a lash database of the wrong
 * kind, an unsupported schema version, an archive that would overwrite a file, a demo or campaign
 * folder that is a file. Each is one `lash-store:` line on stderr, no stack trace, and exit 2 —
 * except where `resolve-await` follows its spec (40-effects-triggers §4.6: a schema or kind
 * refusal exits 1) — and the refused file is left exactly as it was.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, test } from 'vitest';
import { ProcessRegistration, SqliteEffectHost, SqliteProcessRegistry, SqliteTriggerStore, Store } from '../../src/index.js';
import { type CliResult, copyDb, expectRefusal, inParallel, literal, runCli, tempDir } from '../support/cli.js';

const TIMEOUT = 120_000;
/** The commands that take one database file. */
const DB_COMMANDS: Array<(db: string) => string[]> = [
  (db) => ['inspect', db],
  (db) => ['events', db],
  (db) => ['events', db, '--follow'],
  (db) => ['verify', db],
  (db) => ['export', db],
  (db) => ['gc', db],
  (db) => ['vacuum', db],
  (db) => ['compact', db, '--through', '1'],
];
/** One command per way in: a read-only open, a follow, a session-only read-write open, a compaction. */
const SOME_DB_COMMANDS = [0, 2, 5, 7].map((i) => DB_COMMANDS[i] as (db: string) => string[]);
const KEY = JSON.stringify({
  scope: { kind: 'turn', sessionId: 's', turnId: 't' },
  wait: { kind: 'toolCompletion', toolCallId: 'c' },
  keyId: '0'.repeat(64),
  signature: '0'.repeat(64),
});
const RESOLUTION = '{"kind":"ok","payload":{"done":true}}';
const resolveAwait = (db: string) => ['resolve-await', db, KEY, RESOLUTION];

let dir: string;
const db = { session: '', processes: '', effects: '', triggers: '' };

beforeAll(async () => {
  dir = tempDir();
  db.session = join(dir, 'session.db');
  db.processes = join(dir, 'processes.db');
  db.effects = join(dir, 'effects.db');
  db.triggers = join(dir, 'triggers.db');
  const stores = [
    await Store.open(db.session),
    await SqliteProcessRegistry.open(db.processes),
    await SqliteEffectHost.open(db.effects),
    await SqliteTriggerStore.open(db.triggers),
  ];
  for (const store of stores) await store.close();
}, TIMEOUT);

/** Runs every `args` list at once and checks each refusal. */
async function expectAll(cases: Array<[args: string[], status: 1 | 2, message: string | RegExp]>): Promise<void> {
  const results = await inParallel(
    cases.map(
      ([args]) =>
        () =>
          runCli(args),
    ),
  );
  for (const [i, [, status, message]] of cases.entries()) expectRefusal(results[i] as CliResult, status, message);
}

/** A plain SQLite database with a table and the given `application_id`. */
function plainSqlite(name: string, applicationId: number): string {
  const path = join(dir, name);
  const raw = new Database(path);
  raw.exec('CREATE TABLE notes (body TEXT)');
  raw.pragma(`application_id = ${applicationId}`);
  raw.close();
  return path;
}

/** A copy of `path` whose schema version is `version`. */
function withSchemaVersion(path: string, version: number): string {
  const copy = copyDb(path);
  const raw = new Database(copy);
  raw.pragma(`user_version = ${version}`);
  raw.close();
  return copy;
}

describe('files that are no lash database', () => {
  test(
    'a missing file, a folder, a text file, an empty file',
    async () => {
      const missing = join(dir, 'missing.db');
      const text = join(dir, 'notes.txt');
      writeFileSync(text, 'not a database\n');
      const empty = join(dir, 'empty.db');
      writeFileSync(empty, '');
      await expectAll([
        ...DB_COMMANDS.map((c): [string[], 2, string] => [c(missing), 2, `no such database file: ${missing}`]),
        ...SOME_DB_COMMANDS.map((c): [string[], 2, string] => [c(dir), 2, `not a file: ${dir}`]),
        ...SOME_DB_COMMANDS.map((c): [string[], 2, string] => [
          c(text),
          2,
          `cannot read ${text} as a SQLite database: file is not a database`,
        ]),
        [['inspect', empty], 2, `${empty} is not a lash database (no kind marker)`],
        // resolve-await: a path with no database file is bad usage; nothing is created.
        [resolveAwait(missing), 2, `effect replay database not found: ${missing}`],
        [resolveAwait(empty), 2, `effect replay database not found: ${empty}`],
        [resolveAwait(dir), 2, `not a file: ${dir}`],
        // A file that is there but no SQLite database is refused by the open: exit 1 (§4.6).
        [resolveAwait(text), 1, `${text}: store backend error: file is not a database`],
      ]);
      expect(readFileSync(text, 'utf8')).toBe('not a database\n');
      expect(readFileSync(empty, 'utf8')).toBe('');
    },
    TIMEOUT,
  );

  test(
    'a SQLite database with no lash kind marker, or a foreign one',
    async () => {
      const unmarked = plainSqlite('plain.db', 0);
      const foreign = plainSqlite('foreign.db', 0x12345678);
      const before = [readFileSync(unmarked), readFileSync(foreign)];
      await expectAll([
        ...DB_COMMANDS.map((c): [string[], 2, string] => [c(unmarked), 2, `${unmarked} is not a lash database (no kind marker)`]),
        ...SOME_DB_COMMANDS.map((c): [string[], 2, string] => [
          c(foreign),
          2,
          `${foreign} is not a lash database (application_id 305419896, unknown)`,
        ]),
        [
          resolveAwait(unmarked),
          1,
          'Unsupported lash effect replay schema: this binary supports schema version 1, but the database reports version 0. There is no migration chain — delete the effect replay database and start fresh.',
        ],
      ]);
      expect(readFileSync(unmarked).equals(before[0] as Buffer)).toBe(true);
      expect(readFileSync(foreign).equals(before[1] as Buffer)).toBe(true);
    },
    TIMEOUT,
  );
});

describe('lash databases the command cannot take', () => {
  test(
    'the wrong kind: session maintenance on other kinds, resolve-await on a session or a registry',
    async () => {
      const mismatch = (found: number, label: string) =>
        `Not a lash effect replay database: its application_id is ${found} (${label}), expected 1282631749. Open it with the matching store.`;
      await expectAll([
        [['gc', db.processes], 2, `gc applies to session databases; ${db.processes} is a process registry database`],
        [['gc', db.triggers], 2, `gc applies to session databases; ${db.triggers} is a trigger store database`],
        [['vacuum', db.effects], 2, `vacuum applies to session databases; ${db.effects} is an effect replay database`],
        [['vacuum', db.processes], 2, `vacuum applies to session databases; ${db.processes} is a process registry database`],
        [resolveAwait(db.session), 1, mismatch(0x4c736853, 'lash session')],
        [resolveAwait(db.processes), 1, mismatch(0x4c736850, 'lash process registry')],
      ]);
    },
    TIMEOUT,
  );

  test(
    'an unsupported schema version, whichever the kind; the file is left as it was',
    async () => {
      const unsupported = (label: string, found: number) =>
        `Unsupported lash ${label} schema: this binary supports schema version 1, but the database reports version ${found}. There is no migration chain — delete the ${label} database and start fresh.`;
      const session = withSchemaVersion(db.session, 2);
      const processes = withSchemaVersion(db.processes, 7);
      const effects = withSchemaVersion(db.effects, 2);
      const triggers = withSchemaVersion(db.triggers, 2);
      const files = [session, processes, effects, triggers];
      const before = files.map((f) => readFileSync(f));
      await expectAll([
        ...DB_COMMANDS.map((c): [string[], 2, string] => [c(session), 2, unsupported('session', 2)]),
        [['verify', processes], 2, unsupported('process registry', 7)],
        [['events', processes, '--json'], 2, unsupported('process registry', 7)],
        [['compact', processes, '--through', '1'], 2, unsupported('process registry', 7)],
        [['export', effects], 2, unsupported('effect replay', 2)],
        [['inspect', triggers], 2, unsupported('trigger store', 2)],
        [resolveAwait(effects), 1, unsupported('effect replay', 2)],
      ]);
      for (const [i, file] of files.entries()) expect(readFileSync(file).equals(before[i] as Buffer), file).toBe(true);
    },
    TIMEOUT,
  );
});

describe('output locations the command must not use', () => {
  test(
    'compact --archive onto an existing file or into a missing folder; nothing is compacted',
    async () => {
      const copy = copyDb(db.processes);
      const registry = await SqliteProcessRegistry.open(copy);
      await registry.registerProcess(
        ProcessRegistration.create('p', { kind: 'external', metadata: null }, 'externallyOwned', {
          originator: { kind: 'host', scope: null },
          causedBy: null,
        }),
      );
      await registry.close();
      const existing = join(dir, 'earlier-archive.ndjson');
      writeFileSync(existing, '{"seq":1}\n');
      const missingFolder = join(dir, 'no-such-folder', 'archive.ndjson');
      await expectAll([
        [
          ['compact', copy, '--through', '1', '--archive', existing],
          2,
          `--archive ${existing} already exists: name a new file (an archive is never overwritten)`,
        ],
        [
          ['compact', copy, '--through', '1', '--archive', dir],
          2,
          `--archive ${dir} already exists: name a new file (an archive is never overwritten)`,
        ],
        [
          ['compact', copy, '--through', '1', '--archive', missingFolder],
          2,
          `--archive ${missingFolder}: no such folder ${join(dir, 'no-such-folder')}`,
        ],
      ]);
      expect(readFileSync(existing, 'utf8')).toBe('{"seq":1}\n');
      const reopened = await SqliteProcessRegistry.open(copy);
      expect((await reopened.readEvents()).map((e) => e.seq)).toEqual([1]);
      await reopened.close();
    },
    TIMEOUT,
  );

  test(
    'demo and crash-campaign --dir on a file, or below one; crash-campaign --dir on a folder in use',
    async () => {
      const file = join(dir, 'a-file');
      writeFileSync(file, 'keep me\n');
      const used = tempDir();
      writeFileSync(join(used, 'old.db'), '');
      await expectAll([
        [['demo', file], 2, `${file} is not a folder`],
        [
          ['demo', join(file, 'sub')],
          2,
          new RegExp(`cannot write the demo databases under ${literal(join(file, 'sub'))}: ENOTDIR: not a directory, .+`),
        ],
        [['crash-campaign', '--kills', '1', '--dir', file], 2, `${file} is not a folder`],
        [
          ['crash-campaign', '--kills', '1', '--dir', used],
          2,
          `${used} is not empty: a campaign needs a fresh folder (it checks every event from the first one)`,
        ],
      ]);
      expect(readFileSync(file, 'utf8')).toBe('keep me\n');
    },
    TIMEOUT,
  );
});
