/**
 * `lash-store` usage, end to end: `--help` of every subcommand, and every kind of bad call —
 * unknown subcommand or option, missing argument or option, an option value that is not what it
 * must be. Bad usage exits 2 with commander's error line and the help hint, or with one
 * `lash-store:` line; never a stack trace, never output on stdout.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { Store } from '../../src/index.js';
import { type CliResult, expectCommanderError, expectRefusal, inParallel, runCli, tempDir } from '../support/cli.js';

const TIMEOUT = 120_000;

/** Each subcommand: its usage line after `lash-store `, and its options besides `-h, --help`. */
const COMMANDS: Array<[name: string, usage: string, options: string[]]> = [
  ['demo', 'demo [options] [dir]', []],
  ['inspect', 'inspect [options] <db>', []],
  ['events', 'events [options] <db>', ['--follow', '--after <seq>', '--json']],
  ['verify', 'verify [options] <db>', []],
  ['export', 'export [options] <db>', []],
  ['gc', 'gc [options] <db>', []],
  ['vacuum', 'vacuum [options] <db>', []],
  ['compact', 'compact [options] <db>', ['--through <seq>', '--archive <file>']],
  ['crash-campaign', 'crash-campaign [options]', ['--kills <n>', '--seed <seed>', '--dir <folder>', '--children <n>', '--json']],
  ['resolve-await', 'resolve-await [options] <effect-db> <key-json> <resolution-json>', []],
  ['bench', 'bench [options]', ['--rounds <n>']],
];

let session: string;

beforeAll(async () => {
  session = join(tempDir(), 'session.db');
  const store = await Store.open(session);
  await store.close();
}, TIMEOUT);

describe('--help', () => {
  test(
    'every subcommand prints its usage, description and options on stdout and exits 0',
    async () => {
      const results = await inParallel([
        ...COMMANDS.map(
          ([name]) =>
            () =>
              runCli([name, '--help']),
        ),
        () => runCli(['help', 'compact']),
        () => runCli(['--help']),
      ]);
      const top = results[COMMANDS.length + 1] as CliResult;
      expect(top.stderr).toBe('');
      expect(top.status).toBe(0);
      expect(top.stdout.split('\n')[0]).toBe('Usage: lash-store [options] [command]');
      const listed = top.stdout
        .slice(top.stdout.indexOf('Commands:'))
        .split('\n')
        .slice(1)
        .filter(Boolean)
        .map((l) => l.trim().split(/ {2,}/));
      expect(listed.map(([signature]) => signature?.split(' ')[0])).toEqual([...COMMANDS.map(([name]) => name), 'help']);
      for (const [i, [name, usage, options]] of COMMANDS.entries()) {
        const result = results[i] as CliResult;
        expect(result.stderr, name).toBe('');
        expect(result.status, name).toBe(0);
        const lines = result.stdout.split('\n');
        expect(lines[0]).toBe(`Usage: lash-store ${usage}`);
        expect(lines[1]).toBe('');
        // The description (wrapped at 80 columns here) is the one the command list shows.
        const description = lines.slice(2, lines.indexOf('', 2)).join(' ');
        expect(description, name).toBe(listed[i]?.[1]);
        const flags = lines.slice(lines.indexOf('Options:') + 1).filter((l) => /^ {2}-/.test(l));
        expect(
          flags.map((l) => l.trim().split(/ {2,}/)[0]),
          name,
        ).toEqual([...options, '-h, --help']);
      }
      const helpCompact = results[COMMANDS.length] as CliResult;
      expect(helpCompact.status).toBe(0);
      expect(helpCompact.stdout).toBe((results[COMMANDS.findIndex(([n]) => n === 'compact')] as CliResult).stdout);
    },
    TIMEOUT,
  );

  test('no subcommand at all prints the usage on stderr and exits 2', async () => {
    const result = await runCli([]);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')[0]).toBe('Usage: lash-store [options] [command]');
    expect(result.stderr).toContain('\nCommands:\n');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.status).toBe(2);
  });
});

describe('bad calls commander rejects: its error line and the help hint, exit 2', () => {
  const cases: Array<[args: string[], message: string]> = [
    [['frob'], "unknown command 'frob'"],
    [['inspect'], "missing required argument 'db'"],
    [['events'], "missing required argument 'db'"],
    [['verify'], "missing required argument 'db'"],
    [['export'], "missing required argument 'db'"],
    [['gc'], "missing required argument 'db'"],
    [['vacuum'], "missing required argument 'db'"],
    [['compact', '--through', '1'], "missing required argument 'db'"],
    [['resolve-await', 'effects.db', '{}'], "missing required argument 'resolution-json'"],
    [
      ['resolve-await', 'effects.db', '{}', '{}', 'extra'],
      "too many arguments for 'resolve-await'. Expected 3 arguments but got 4.",
    ],
    [['inspect', 'a.db', 'b.db'], "too many arguments for 'inspect'. Expected 1 argument but got 2."],
    [['compact', 'session.db'], "required option '--through <seq>' not specified"],
    [['events', 'session.db', '--after'], "option '--after <seq>' argument missing"],
    [['inspect', 'session.db', '--bogus'], "unknown option '--bogus'"],
    [['crash-campaign', '--kills'], "option '--kills <n>' argument missing"],
  ];
  test(
    'unknown subcommand or option, missing or extra argument, missing option or option value',
    async () => {
      const results = await inParallel(
        cases.map(
          ([args]) =>
            () =>
              runCli(args),
        ),
      );
      for (const [i, [, message]] of cases.entries()) expectCommanderError(results[i] as CliResult, message);
    },
    TIMEOUT,
  );
});

describe('bad option values: one lash-store line, exit 2', () => {
  test(
    'sequence numbers, counts and rounds that are not what they must be',
    async () => {
      const seq = (option: string, value: string) => `${option} expects an event sequence number (0 or more), got '${value}'`;
      const cases: Array<[args: string[], message: string]> = [
        [['compact', session, '--through', 'abc'], seq('--through', 'abc')],
        [['compact', session, '--through', '-1'], seq('--through', '-1')],
        [['compact', session, '--through', ''], seq('--through', '')],
        [['compact', session, '--through', '1.5'], seq('--through', '1.5')],
        [['events', session, '--after', '-1'], seq('--after', '-1')],
        [['events', session, '--after', '1e3'], seq('--after', '1e3')],
        [['events', session, '--follow', '--after', 'x'], seq('--after', 'x')],
        [['crash-campaign', '--kills', '0'], "--kills must be a positive integer, got '0'"],
        [['crash-campaign', '--kills', 'many'], "--kills must be a positive integer, got 'many'"],
        [['crash-campaign', '--children', '0'], "--children must be a positive integer, got '0'"],
        [['bench', '--rounds', '0'], '--rounds must be a positive integer, got 0'],
      ];
      const results = await inParallel(
        cases.map(
          ([args]) =>
            () =>
              runCli(args),
        ),
      );
      for (const [i, [, message]] of cases.entries()) expectRefusal(results[i] as CliResult, 2, message);
    },
    TIMEOUT,
  );
});
