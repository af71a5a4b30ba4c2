/**
 * The `lash-store` command line. Exit status: 0 success, 1 a check failed, 2 bad usage; a user
 * mistake (missing file, wrong database kind, unsupported schema version) is one line on stderr,
 * never a stack trace. Each command's module is loaded when the command runs, so `--help` and a
 * usage mistake do not pay for loading the stores.
 */
import { Command, CommanderError } from 'commander';
import { isLashStoreError } from '../errors.js';
import type { BenchOptions } from './commands/bench.js';
import type { CrashCampaignCliOptions } from './commands/crash-campaign.js';
import type { EventsOptions } from './commands/events.js';
import { UsageError } from './errors.js';

const USER_MISTAKES = new Set(['SchemaVersionMismatch', 'DatabaseKindMismatch', 'InvalidArgument']);

/** Runs the CLI with `argv` (without node and script) and returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  let status = 0;
  const set = async (work: Promise<number>) => {
    status = await work;
  };
  const program = new Command('lash-store')
    .description('Run, inspect and maintain lash-event-store databases')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program
    .command('demo [dir]')
    .description('run an embedded agent-runtime workload under ./lash-demo (or dir), then verify it')
    .action((dir?: string) => set(import('./demo.js').then((m) => m.runDemo(dir))));
  program
    .command('inspect <db>')
    .description('what a database holds: log, projections, head, leases')
    .action((db: string) => set(import('./commands/inspect.js').then((m) => m.inspectCommand(db))));
  program
    .command('events <db>')
    .description('print the audit trail')
    .option('--follow', 'keep printing events committed later, by any process')
    .option('--after <seq>', 'start after this event sequence number')
    .option('--json', 'print NDJSON, one event per line')
    .action((db: string, options: EventsOptions) =>
      set(import('./commands/events.js').then((m) => m.eventsCommand(db, options))),
    );
  program
    .command('verify <db>')
    .description('re-derive the projections from the log and compare (exit 1 on mismatch)')
    .action((db: string) => set(import('./commands/verify.js').then((m) => m.verifyCommand(db))));
  program
    .command('export <db>')
    .description('the whole audit trail as NDJSON on stdout')
    .action((db: string) => set(import('./commands/export.js').then((m) => m.exportCommand(db))));
  program
    .command('gc <db>')
    .description('delete blobs no retained root reaches')
    .action((db: string) => set(import('./commands/maintenance.js').then((m) => m.gcCommand(db))));
  program
    .command('vacuum <db>')
    .description('physically delete tombstoned nodes and terminal turn inputs')
    .action((db: string) => set(import('./commands/maintenance.js').then((m) => m.vacuumCommand(db))));
  program
    .command('compact <db>')
    .description('snapshot the projections and delete the events up to --through')
    .requiredOption('--through <seq>', 'last event sequence number to fold into the snapshot')
    .option('--archive <file>', 'write the deleted events to this NDJSON file first (fsynced)')
    .action((db: string, options: { through?: string; archive?: string }) =>
      set(import('./commands/maintenance.js').then((m) => m.compactCommand(db, options))),
    );
  program
    .command('crash-campaign')
    .description('SIGKILL child processes mid-write and at every fault point, then prove nothing acknowledged was lost')
    .option('--kills <n>', 'child processes to kill (default 50)')
    .option('--seed <seed>', 'campaign seed; the same seed gives the same plan (default: the current time)')
    .option('--dir <folder>', 'empty folder for the databases (default: a temporary folder, removed after a pass)')
    .option('--children <n>', 'child processes running at once in each round (default 2)')
    .option('--json', 'print the report as JSON')
    .action((options: CrashCampaignCliOptions) =>
      set(import('./commands/crash-campaign.js').then((m) => m.crashCampaignCommand(options))),
    );
  program
    .command('resolve-await <effect-db> <key-json> <resolution-json>')
    .description('resolve a durable keyed promise of an effect database (exit 1 when the key is unknown or revoked)')
    .action((db: string, key: string, resolution: string) =>
      set(import('./commands/resolve-await.js').then((m) => m.resolveAwaitCommand(db, key, resolution))),
    );
  program
    .command('bench')
    .description('run the quick benchmark subset (ours + raw SQLite, no peers) of bench/ and print its table')
    .option('--rounds <n>', 'interleaved rounds (default 1)')
    .action((options: BenchOptions) => set(import('./commands/bench.js').then((m) => m.benchCommand(options))));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return status;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof UsageError) {
      process.stderr.write(`lash-store: ${error.message}\n`);
      return 2;
    }
    if (isLashStoreError(error)) {
      process.stderr.write(`lash-store: ${error.message}\n`);
      return USER_MISTAKES.has(error.code) ? 2 : 1;
    }
    throw error;
  }
}
