/** Lease timings shared by every lease lane (10-session-store §4.6). */
import { type AreaErrorClass, StoreError } from '../errors.js';

/** A lease TTL and the interval at which its owner renews it (TTL ≥ 3 × renew interval). */
export class LeaseTimings {
  readonly ttlMs: number;
  readonly renewIntervalMs: number;

  /** Floors both values, then rejects a TTL or interval below 1 ms or a TTL under 3 × the interval. */
  constructor(ttlMs: number, renewIntervalMs: number) {
    const checked = checkLeaseTimings(StoreError, ttlMs, renewIntervalMs);
    this.ttlMs = checked.ttlMs;
    this.renewIntervalMs = checked.renewIntervalMs;
  }

  /** Timings with the renew interval at a third of the TTL. */
  static fromTtl(ttlMs: number): LeaseTimings {
    return new LeaseTimings(ttlMs, Math.floor(Math.floor(ttlMs) / 3));
  }

  /** 30 s TTL, renewed every 10 s. */
  static default(): LeaseTimings {
    return new LeaseTimings(30_000, 10_000);
  }
}

/**
 * The `LeaseTimings` rules with the caller's error class (the effect host reports them as
 * `EffectHostError`): floors both values and returns them, or throws `TtlTooSmall`,
 * `RenewIntervalTooSmall` or `TtlRenewRatioTooSmall`.
 */
export function checkLeaseTimings(
  cls: AreaErrorClass,
  ttlMs: number,
  renewIntervalMs: number,
): { ttlMs: number; renewIntervalMs: number } {
  const ttl = Math.floor(ttlMs);
  const renew = Math.floor(renewIntervalMs);
  if (!(ttl >= 1)) throw new cls('TtlTooSmall', 'lease ttl must be at least 1ms');
  if (!(renew >= 1)) throw new cls('RenewIntervalTooSmall', 'lease renew interval must be at least 1ms');
  if (ttl < 3 * renew) {
    throw new cls(
      'TtlRenewRatioTooSmall',
      `lease ttl (${ttl}ms) must be at least 3x the renew interval (${renew}ms) so an owner can miss renewals without losing a live lease`,
      { ttlMs: ttl, renewIntervalMs: renew },
    );
  }
  return { ttlMs: ttl, renewIntervalMs: renew };
}
