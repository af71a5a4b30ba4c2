/** `lash-store verify <db>`: re-derive the projections from the log and compare; exit 1 on any mismatch. */
import { color } from '../format.js';
import { openAny } from '../open-db.js';

export async function verifyCommand(path: string): Promise<number> {
  const { handle, label } = await openAny(path, { readonly: true });
  try {
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
  } finally {
    await handle.close();
  }
}
