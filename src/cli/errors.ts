/** A mistake in how the command was called: exit status 2, one line on stderr. */
export class UsageError extends Error {}

/**
 * An event sequence number given on the command line (`--after`, `--through`): decimal digits only,
 * so `''`, `-1`, `1.5`, `1e3` or `0x10` are refused rather than read as some other number.
 */
export function sequenceNumber(value: string, option: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed)) {
    throw new UsageError(`${option} expects an event sequence number (0 or more), got '${value}'`);
  }
  return parsed;
}
