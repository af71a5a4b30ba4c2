/**
 * `lash-store resolve-await <effect-db> <key-json> <resolution-json>` (40-effects-triggers §4.6):
 * resolves one durable keyed promise from another OS process. Prints the `ResolveOutcome` as one
 * line of compact JSON. Exit 0 for `accepted` / `alreadyResolved`; 1 for `unknownOrRevoked` and for
 * a schema refusal; 2 for bad usage (unparsable JSON, no such file) — nothing is created or written.
 */
import { existsSync, statSync } from 'node:fs';
import { parseAwaitEventKey, parseResolution } from '../../effects/keys.js';
import { isLashStoreError } from '../../errors.js';
import { SqliteEffectHost } from '../../stores/effect-host.js';
import { UsageError } from '../errors.js';

const USAGE_CODES = new Set([
  'InvalidAwaitEventKeyJson',
  'InvalidResolutionJson',
  'DatabaseNotFound',
  'InvalidArgument',
  'Encode',
]);

export async function resolveAwaitCommand(path: string, keyJson: string, resolutionJson: string): Promise<number> {
  try {
    // A folder is a path with no database file, like a missing one (a usage error, nothing written).
    if (existsSync(path) && !statSync(path).isFile()) throw new UsageError(`not a file: ${path}`);
    const key = parseAwaitEventKey(keyJson);
    const resolution = parseResolution(resolutionJson);
    const outcome = await SqliteEffectHost.resolveAwaitEventAt(path, key, resolution);
    process.stdout.write(`${JSON.stringify(outcome)}\n`);
    if (outcome.kind === 'unknownOrRevoked') {
      process.stderr.write('lash-store: await-event key is invalid or revoked\n');
      return 1;
    }
    return 0;
  } catch (error) {
    if (isLashStoreError(error) && USAGE_CODES.has(error.code)) throw new UsageError(error.message);
    if (isLashStoreError(error)) {
      // A backend failure (e.g. a file that is no SQLite database) names the file it was about.
      const where = error.code === 'Backend' ? `${path}: ` : '';
      process.stderr.write(`lash-store: ${where}${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
