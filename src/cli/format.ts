/**
 * Output for people: aligned tables, human sizes and durations, colour only on a TTY and never when
 * `NO_COLOR` is set.
 */
import pc from 'picocolors';

// picocolors also turns colour on whenever `CI` is set, which would put escape codes into piped
// output; the rule here is: NO_COLOR wins, FORCE_COLOR forces, otherwise only a terminal gets colour.
const colourOn =
  !('NO_COLOR' in process.env) &&
  ('FORCE_COLOR' in process.env || (process.stdout.isTTY === true && process.env.TERM !== 'dumb'));

/** Colour functions that are no-ops unless colour is on. */
export const color = pc.createColors(colourOn);

/** `1.2 KiB`, `3.4 MiB`, … */
export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** `850 ms`, `2.4 s`, `3 min 5 s`. */
export function humanDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** An ISO timestamp for epoch milliseconds. */
export function isoTime(ms: number): string {
  return Number.isFinite(ms) && ms >= 0 && ms < 8.64e15 ? new Date(ms).toISOString() : String(ms);
}

/** Renders rows as an aligned table; numeric columns are right-aligned. */
export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = rows.map((r) => r.map((c) => String(c)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[], head = false) =>
    r
      .map((c, i) => {
        const w = widths[i] ?? 0;
        const padded = numeric[i] ? c.padStart(w) : c.padEnd(w);
        return head ? color.bold(padded) : padded;
      })
      .join('  ')
      .trimEnd();
  return [line(headers, true), ...cells.map((r) => line(r))].join('\n') + '\n';
}
