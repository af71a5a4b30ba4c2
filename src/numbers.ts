/**
 * The package-wide number rule (00-overview §2): any JS number except `NaN` is accepted; values are
 * floored, negatives behave as 0, and `>= Number.MAX_SAFE_INTEGER` means "no bound" / "far future".
 */
import { type AreaErrorClass, invalidArgument } from './errors.js';

/** The value meaning "no bound" after normalization. */
export const NO_BOUND = Number.MAX_SAFE_INTEGER;

/** Rejects `NaN` and non-numbers with `InvalidArgument`, then floors, clamps to [0, MAX_SAFE_INTEGER]. */
export function normalizeCount(cls: AreaErrorClass, value: unknown, argument: string): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw invalidArgument(cls, argument, 'a number');
  if (value >= NO_BOUND) return NO_BOUND;
  if (value <= 0) return 0;
  return Math.floor(value);
}

/** `a + b` clamped to `Number.MAX_SAFE_INTEGER` (a lease expiring then never expires by time). */
export function clampedAdd(a: number, b: number): number {
  const sum = a + b;
  return Math.min(sum, NO_BOUND);
}
