/**
 * The `lash-store` command line. Exit status: 0 success, 1 a check failed, 2 bad usage; a user
 * mistake is one line on stderr, never a stack trace.
 */
import { existsSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isLashStoreError } from '../errors.js';
import { Store } from '../stores/store.js';
import { runDemo } from './demo.js';

class UsageError extends Error {}

async function verify(path: string): Promise<number> {
  if (!existsSync(path)) throw new UsageError(`no such database file: ${path}`);
  const store = await Store.openReadonly(path);
  try {
    const report = await store.verifyProjections();
    if (report.ok) {
      process.stdout.write(`ok: projections equal the replay of ${report.eventCount} events\n`);
      return 0;
    }
    process.stdout.write(`MISMATCH: ${report.mismatches.length} rows differ from the replayed log\n`);
    for (const m of report.mismatches.slice(0, 20)) process.stdout.write(`  ${m.table} ${m.key}\n`);
    return 1;
  } finally {
    await store.close();
  }
}

/** Runs the CLI with `argv` (without node and script) and returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  let status = 0;
  const program = new Command('lash-store')
    .description('Inspect and exercise lash-event-store databases')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program
    .command('demo [dir]')
    .description('run an embedded agent-runtime workload under ./lash-demo (or dir) and verify it')
    .action(async (dir?: string) => {
      status = await runDemo(dir);
    });
  program
    .command('verify <db>')
    .description('re-derive the projections of a session database from its log and compare')
    .action(async (db: string) => {
      status = await verify(db);
    });
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
      return error.code === 'SchemaVersionMismatch' || error.code === 'DatabaseKindMismatch' ? 2 : 1;
    }
    throw error;
  }
}
