/**
 * The `RuntimeEffectController` a host hands out per execution scope (40-effects-triggers §3.4).
 * It journals under its scope's `scopeKey` and delegates the keyed promises to the host's store.
 */
import type { DurabilityTier } from '../types/common.js';
import type {
  AwaitEventKey,
  AwaitEventWaitIdentity,
  AwaitEventWaitOptions,
  BoundaryReason,
  ExecuteEffectOptions,
  ExecutionScope,
  Resolution,
  ResolveOutcome,
  RuntimeEffectController,
  RuntimeEffectEnvelope,
  RuntimeEffectLocalExecutor,
  RuntimeEffectOutcome,
  SegmentProgress,
} from '../types/effect.js';
import type { EffectHostCore, ScopeBinding } from './host-core.js';

/** A controller bound to one execution scope of one host. */
export class ScopedRuntimeEffectController implements RuntimeEffectController {
  readonly #core: EffectHostCore;
  readonly #binding: ScopeBinding;

  constructor(core: EffectHostCore, binding: ScopeBinding) {
    this.#core = core;
    this.#binding = binding;
  }

  /** The host's tier: `'durable'` for file hosts, `'inline'` for memory hosts. */
  durabilityTier(): DurabilityTier {
    return this.#core.tier;
  }

  /** True exactly when the tier is `'durable'`. */
  allowsProcessLifetimeCompletionKeys(): boolean {
    return this.#core.tier === 'durable';
  }

  /** Runs or replays one journaled effect under this controller's scope (§3.4.4). */
  executeEffect(
    envelope: RuntimeEffectEnvelope,
    localExecutor: RuntimeEffectLocalExecutor,
    options?: ExecuteEffectOptions,
  ): Promise<RuntimeEffectOutcome> {
    return this.#core.execute(this.#binding, envelope, localExecutor, options);
  }

  /** Turns on host-wide replay mode (permanent). */
  startReplay(): void {
    this.#core.startReplay();
  }

  /** Independent effects of one host run concurrently. */
  supportsConcurrentEffects(): boolean {
    return true;
  }

  /** The SQLite journal never asks for a segment boundary. */
  wantsSegmentBoundary(_progress: SegmentProgress): BoundaryReason | null {
    return null;
  }

  /** Mints a key (no write). */
  async awaitEventKey(scope: ExecutionScope, wait: AwaitEventWaitIdentity): Promise<AwaitEventKey> {
    return this.#core.mint(scope, wait);
  }

  /** First writer wins. */
  async resolveAwaitEvent(key: AwaitEventKey, resolution: Resolution): Promise<ResolveOutcome> {
    return this.#core.resolve(key, resolution);
  }

  /** The stored terminal, or null while pending. */
  async peekAwaitEvent(key: AwaitEventKey): Promise<Resolution | null> {
    return this.#core.peek(key);
  }

  /** Waits for the key's terminal. */
  awaitAwaitEvent(key: AwaitEventKey, options?: AwaitEventWaitOptions): Promise<Resolution> {
    return this.#core.await(key, options);
  }

  /** Permanently revokes a session's promises. */
  async revokeAwaitEventsForSession(sessionId: string): Promise<void> {
    this.#core.revoke(sessionId);
  }

  /** Cancels a session's pending ordinary waits. */
  async cancelAwaitEventsForSession(sessionId: string): Promise<void> {
    this.#core.cancelSweep(sessionId);
  }
}
