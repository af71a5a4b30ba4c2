/**
 * `SqliteEffectHost`: the effect database facade (40-effects-triggers §1, §3, §4). It opens the
 * database, owns the signing secret and the host-wide state (owner id, lease-token counter, replay
 * mode), hands out scoped controllers and is itself an await-event resolver.
 */

import { randomBytes } from 'node:crypto';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { type Clock, systemClock } from '../clock.js';
import { DEFAULT_MAX_INFLATED_BLOB_BYTES } from '../codec.js';
import { ScopedRuntimeEffectController } from '../effects/controller.js';
import { EffectHostCore } from '../effects/host-core.js';
import { acquireNotifier } from '../effects/notifier.js';
import { reduceScope, scopeId, scopeKey } from '../effects/scope.js';
import { corruptData, EffectHostError, invalidArgument, toAreaError } from '../errors.js';
import { EventSourcedDatabase } from '../events/database.js';
import { checkLeaseTimings, LeaseTimings } from '../leases/timings.js';
import { normalizeCount } from '../numbers.js';
import { effectProjections } from '../projections/effect/spec.js';
import { EFFECT_APPLICATION_ID, EFFECT_SCHEMA_VERSION, type KindInfo } from '../sqlite/kinds.js';
import { type Db, openDatabase } from '../sqlite/open.js';
import type { DurabilityTier } from '../types/common.js';
import type {
  AwaitEventKey,
  AwaitEventResolver,
  AwaitEventWaitIdentity,
  AwaitEventWaitOptions,
  EffectHost,
  EffectHostOptions,
  ExecutionScope,
  Resolution,
  ResolveOutcome,
  ScopedEffectController,
} from '../types/effect.js';
import { EventLogFacade } from './event-log-facade.js';

/** The effect database kind. */
export const EFFECT_KIND: KindInfo = {
  kind: 'effectReplay',
  label: 'effect replay',
  schemaVersion: EFFECT_SCHEMA_VERSION,
  applicationId: EFFECT_APPLICATION_ID,
  ddlFolder: 'effect',
  errorClass: EffectHostError,
};

/** Counts host objects opened by this OS process (part of every owner id). */
let processWideCounter = 0;

const cores = new WeakMap<SqliteEffectHost, EffectHostCore>();

interface ResolvedOptions {
  clock: Clock;
  ttlMs: number;
  renewIntervalMs: number;
}

function resolveOptions(options: EffectHostOptions | undefined): ResolvedOptions {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw invalidArgument(EffectHostError, 'options', 'an object');
  }
  const o = options ?? {};
  const clock = o.clock ?? systemClock;
  if (typeof clock !== 'object' || clock === null || typeof clock.timestampMs !== 'function') {
    throw invalidArgument(EffectHostError, 'options.clock', 'a Clock');
  }
  const timings = o.leaseTimings ?? LeaseTimings.default();
  if (timings === null || typeof timings !== 'object')
    throw invalidArgument(EffectHostError, 'options.leaseTimings', 'lease timings');
  for (const member of ['ttlMs', 'renewIntervalMs'] as const) {
    const value = timings[member];
    if (typeof value !== 'number' || Number.isNaN(value)) {
      throw invalidArgument(EffectHostError, `options.leaseTimings.${member}`, 'a number');
    }
  }
  const checked = checkLeaseTimings(EffectHostError, timings.ttlMs, timings.renewIntervalMs);
  return { clock, ...checked };
}

/**
 * Inserts the 32-byte signing secret if absent and reads it back, in one IMMEDIATE transaction, so
 * concurrent first openers all use the one winning secret.
 */
function loadSecret(db: Db): Uint8Array {
  const read = db.transaction(() => {
    db.prepare('INSERT OR IGNORE INTO await_event_meta (singleton, signing_secret) VALUES (1, ?)').run(randomBytes(32));
    return db.prepare('SELECT signing_secret FROM await_event_meta WHERE singleton = 1').pluck().get() as Buffer | undefined;
  });
  const secret = read.immediate();
  if (!(secret instanceof Uint8Array) || secret.length !== 32) {
    throw corruptData(EffectHostError, 'await_event_meta', '1', 'signing secret is not 32 bytes');
  }
  return new Uint8Array(secret);
}

/** The effect replay journal, await-event keyed promises and turn-control substrate of one host. */
export class SqliteEffectHost extends EventLogFacade implements EffectHost, AwaitEventResolver {
  readonly #core: EffectHostCore;
  readonly #engine: EventSourcedDatabase;

  /** The engine behind the inherited event-log API. */
  protected eventLogEngine(): EventSourcedDatabase {
    return this.#engine;
  }

  private constructor(core: EffectHostCore) {
    super();
    this.#core = core;
    this.#engine = core.engine;
    cores.set(this, core);
  }

  static async #create(path: string, options: EffectHostOptions | undefined, tier: DurabilityTier): Promise<SqliteEffectHost> {
    const resolved = resolveOptions(options);
    const db = await openDatabase(path, EFFECT_KIND, { clock: resolved.clock });
    try {
      const secret = loadSecret(db);
      const engine = new EventSourcedDatabase(db, EFFECT_KIND, effectProjections, {
        clock: resolved.clock,
        maxInflatedBytes: DEFAULT_MAX_INFLATED_BLOB_BYTES,
      });
      const notifier = acquireNotifier(path === ':memory:' ? null : realpathSync(resolvePath(path)));
      processWideCounter++;
      const ownerId = `pid${process.pid}-${processWideCounter}-${resolved.clock.timestampMs()}-${randomBytes(6).toString('hex')}`;
      const core = new EffectHostCore({
        engine,
        secret,
        notifier,
        clock: resolved.clock,
        tier,
        ownerId,
        ttlMs: resolved.ttlMs,
        renewIntervalMs: resolved.renewIntervalMs,
      });
      return new SqliteEffectHost(core);
    } catch (error) {
      db.close();
      throw toAreaError(EffectHostError, error);
    }
  }

  /** Opens (creating if needed) the effect database at `path`; its folder must exist. Tier `'durable'`. */
  static async open(path: string, options?: EffectHostOptions): Promise<SqliteEffectHost> {
    if (typeof path !== 'string' || path === '' || path === ':memory:')
      throw invalidArgument(EffectHostError, 'path', 'a file path');
    return SqliteEffectHost.#create(path, options, 'durable');
  }

  /** An in-memory host whose journal and promises end with it (tier `'inline'`). */
  static async memory(options?: EffectHostOptions): Promise<SqliteEffectHost> {
    return SqliteEffectHost.#create(':memory:', options, 'inline');
  }

  /**
   * Opens the EXISTING effect database at `path`, resolves one key, closes (§4.6). A missing file is
   * `DatabaseNotFound` and nothing is created.
   */
  static async resolveAwaitEventAt(
    path: string,
    key: AwaitEventKey,
    resolution: Resolution,
    options?: EffectHostOptions,
  ): Promise<ResolveOutcome> {
    if (typeof path !== 'string' || path === '') throw invalidArgument(EffectHostError, 'path', 'a file path');
    // An empty file is no database either: opening it would initialise a fresh one.
    if (!existsSync(path) || statSync(path).size === 0)
      throw new EffectHostError('DatabaseNotFound', `effect replay database not found: ${path}`, { path });
    const host = await SqliteEffectHost.open(path, options);
    try {
      return await host.resolveAwaitEvent(key, resolution);
    } finally {
      await host.close();
    }
  }

  /** Ends the host: in-flight effects and awaits reject with `Closed` without writing. */
  async close(): Promise<void> {
    this.#core.close();
  }

  /** A controller journaling under `scope` (synchronous; throws `MissingExecutionScopeId`, or `Closed` after close). */
  scoped(scope: ExecutionScope): ScopedEffectController {
    this.#engine.assertOpen();
    const reduced = reduceScope(scope);
    const binding = { scope: reduced, scopeKey: scopeKey(reduced), scopeId: scopeId(reduced) };
    return {
      controller: new ScopedRuntimeEffectController(this.#core, binding),
      executionScope: scope,
      scopeId: binding.scopeId,
      turnId: reduced.kind === 'turn' ? reduced.turnId : null,
    };
  }

  /** Same as `scoped`; always returns a value for a valid scope. */
  scopedStatic(scope: ExecutionScope): ScopedEffectController {
    return this.scoped(scope);
  }

  // ---------------------------------------------------------------- AwaitEventResolver

  /** `'durable'` for `open`, `'inline'` for `memory`. */
  durabilityTier(): DurabilityTier {
    return this.#core.tier;
  }

  /** True exactly when the tier is `'durable'`. */
  allowsProcessLifetimeCompletionKeys(): boolean {
    return this.#core.tier === 'durable';
  }

  /** Mints the signed key of `(scope, wait)`; writes nothing. Revoked sessions reject. */
  async awaitEventKey(scope: ExecutionScope, wait: AwaitEventWaitIdentity): Promise<AwaitEventKey> {
    return this.#op(() => this.#core.mint(scope, wait));
  }

  /** First writer wins: `accepted`, `alreadyResolved` with the stored terminal, or `unknownOrRevoked`. */
  async resolveAwaitEvent(key: AwaitEventKey, resolution: Resolution): Promise<ResolveOutcome> {
    return this.#op(() => this.#core.resolve(key, resolution));
  }

  /** The stored terminal, null while pending; `AwaitEventUnknownOrRevoked` for a bad key. */
  async peekAwaitEvent(key: AwaitEventKey): Promise<Resolution | null> {
    return this.#op(() => this.#core.peek(key));
  }

  /** Waits for the terminal; cancellation and the deadline resolve ordinary keys, never turn-control ones. */
  async awaitAwaitEvent(key: AwaitEventKey, options?: AwaitEventWaitOptions): Promise<Resolution> {
    try {
      return await this.#core.await(key, options);
    } catch (error) {
      throw toAreaError(EffectHostError, error);
    }
  }

  /** Permanently revokes every promise of a session and wakes their waiters. Idempotent. */
  async revokeAwaitEventsForSession(sessionId: string): Promise<void> {
    return this.#op(() => this.#core.revoke(sessionId));
  }

  /** Resolves a session's pending ordinary waits with `cancelled`. Idempotent. */
  async cancelAwaitEventsForSession(sessionId: string): Promise<void> {
    return this.#op(() => this.#core.cancelSweep(sessionId));
  }

  async #op<R>(fn: () => R): Promise<R> {
    try {
      this.#engine.assertOpen();
      return fn();
    } catch (error) {
      throw toAreaError(EffectHostError, error);
    }
  }
}

/**
 * Testing only (`lash-event-store/testing`): sets the lease columns of every `in_progress` journal
 * row with `replayKey` (any scope) through an `EffectLeaseOverridden` event; omitted owner/token keep
 * their values. Returns the number of rows changed.
 */
export async function overrideEffectLease(
  host: SqliteEffectHost,
  replayKey: string,
  lease: { ownerId?: string; leaseToken?: string; leaseExpiresAtMs: number },
): Promise<number> {
  const core = cores.get(host);
  if (!core) throw invalidArgument(EffectHostError, 'host', 'a SqliteEffectHost');
  if (typeof replayKey !== 'string') throw invalidArgument(EffectHostError, 'replayKey', 'a string');
  if (lease === null || typeof lease !== 'object') throw invalidArgument(EffectHostError, 'lease', 'an object');
  const ownerId = lease.ownerId ?? null;
  const leaseToken = lease.leaseToken ?? null;
  if (ownerId !== null && typeof ownerId !== 'string') throw invalidArgument(EffectHostError, 'lease.ownerId', 'a string');
  if (leaseToken !== null && typeof leaseToken !== 'string')
    throw invalidArgument(EffectHostError, 'lease.leaseToken', 'a string');
  const expires = normalizeCount(EffectHostError, lease.leaseExpiresAtMs, 'lease.leaseExpiresAtMs');
  try {
    return core.overrideLease(replayKey, { ownerId, leaseToken, leaseExpiresAtMs: expires });
  } catch (error) {
    throw toAreaError(EffectHostError, error);
  }
}
