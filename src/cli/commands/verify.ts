/** `lash-store verify <db>`: re-derive the projections from the log and compare; exit 1 on any mismatch or damage. */
import { findStorageDamage } from '../../crash/integrity.js';
import { isLashStoreError } from '../../errors.js';
import { color } from '../format.js';
import { type EventLogHandle, openAny } from '../open-db.js';

/** One line naming the file, what is wrong and what to do; exit status 1. */
function damaged(path: string, detail: string): number {
  process.stderr.write(
    `lash-store: ${path} is damaged (${detail}); restore it from a backup, or delete it and start afresh — do not write to it\n`,
  );
  return 1;
}

/**
 * Checks the file's storage (SQLite pages, blob hashes), then replays the log and compares the
 * projections; damage is one line naming the file and what to do. Returns the exit status.
 */
export async function verifyCommand(path: string): Promise<number> {
  let opened: { handle: EventLogHandle; label: string } | undefined;
  try {
    opened = await openAny(path, { readonly: true });
    const damage = findStorageDamage(path);
    if (damage) return damaged(path, damage.detail);
    const { handle, label } = opened;
    const report = await handle.verifyProjections();
    if (report.ok) {
      process.stdout.write(`${color.green('ok')}: ${label} projections equal the replay of ${report.eventCount} events\n`);
      return 0;
    }
    process.stdout.write(`${color.red('MISMATCH')}: ${report.mismatches.length} projection rows differ from the replayed log\n`);
    for (const m of report.mismatches.slice(0, 20)) process.stdout.write(`  ${m.table} ${m.key}\n`);
    if (report.mismatches.length > 20) process.stdout.write(`  … and ${report.mismatches.length - 20} more\n`);
    process.stdout.write(
      'run `lash-store compact` only after investigating; rebuildProjections() restores the projections from the log\n',
    );
    return 1;
  } catch (error) {
    if (isLashStoreError(error, 'CorruptData') || isLashStoreError(error, 'Backend')) return damaged(path, error.message);
    throw error;
  } finally {
    await opened?.handle.close();
  }
}
