/**
 * Turn control (40-effects-triggers §4.7), built only on keyed promises: per foreground turn a
 * cancellation gate (`turnCancelGate`) and a terminal publication (`turnTerminal`) in scope
 * `turn(sessionId, turnId)`. The gate's first writer decides whether a cancel or the completion
 * seal won; the terminal's first publication stays authoritative.
 */
import { systemClock } from '../clock.js';
import { EffectHostError, invalidArgument, isLashStoreError } from '../errors.js';
import type { JsonValue } from '../json.js';
import { normalizeCount } from '../numbers.js';
import type {
  AwaitEventKey,
  AwaitEventResolver,
  EffectHost,
  ExecutionScope,
  Resolution,
  RuntimeEffectController,
  RuntimeEffectEnvelope,
  TurnAddress,
  TurnCancellationEvidence,
  TurnCancelPeekIdentity,
  TurnCancelReceipt,
  TurnCancelRequest,
  TurnGateTerminal,
  TurnTerminal,
} from '../types/effect.js';
import { storedJson } from './keys.js';
import { reduceScope } from './scope.js';
import { sleepFor } from './timing.js';

const PEEK_EFFECT_IDS: Record<TurnCancelPeekIdentity, string> = {
  startGate: 'turn_cancel.start_gate',
  postAbortGate: 'turn_cancel.post_abort_gate',
};

/** Validates an address and returns its turn scope. */
function turnScope(address: unknown, path = 'address'): ExecutionScope & { kind: 'turn' } {
  if (address === null || typeof address !== 'object' || Array.isArray(address))
    throw invalidArgument(EffectHostError, path, 'an object');
  const a = address as Record<string, unknown>;
  return reduceScope({ kind: 'turn', sessionId: a.sessionId, turnId: a.turnId }, path) as ExecutionScope & { kind: 'turn' };
}

function nullableString(value: unknown, path: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw invalidArgument(EffectHostError, path, 'a string');
  return value;
}

class DecodeError extends Error {}

function decodeEvidence(value: unknown, path: string): TurnCancellationEvidence {
  const e = value as Record<string, unknown> | null;
  if (e === null || typeof e !== 'object' || Array.isArray(e)) throw new DecodeError(`${path} is not an object`);
  if (typeof e.requestId !== 'string') throw new DecodeError(`${path}.requestId is not a string`);
  for (const member of ['origin', 'reason'] as const) {
    if (e[member] !== undefined && e[member] !== null && typeof e[member] !== 'string')
      throw new DecodeError(`${path}.${member} is not a string`);
  }
  return {
    requestId: e.requestId,
    origin: (e.origin as string | undefined) ?? null,
    reason: (e.reason as string | undefined) ?? null,
  };
}

/** Decodes the gate's terminal: `cancelRequested` with its evidence, or `completionSealed`. */
function decodeGate(resolution: Resolution): TurnGateTerminal {
  if (resolution.kind !== 'ok') {
    throw new EffectHostError(
      'TurnCancelGateInvalidTerminal',
      `turn cancellation gate resolved with ${JSON.stringify(resolution)}`,
    );
  }
  const p = resolution.payload as Record<string, unknown> | null;
  try {
    if (p === null || typeof p !== 'object' || Array.isArray(p)) throw new DecodeError('payload is not an object');
    if (p.kind === 'completionSealed') return { kind: 'completionSealed' };
    if (p.kind === 'cancelRequested')
      return { kind: 'cancelRequested', cancellation: decodeEvidence(p.cancellation, 'cancellation') };
    throw new DecodeError(`unknown gate terminal kind ${JSON.stringify(p.kind)}`);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    throw new EffectHostError('TurnCancelGateDecode', `invalid turn cancellation gate terminal: ${error.message}`);
  }
}

function decodeTerminalPayload(p: unknown): TurnTerminal {
  const t = p as Record<string, unknown> | null;
  if (t === null || typeof t !== 'object' || Array.isArray(t)) throw new DecodeError('payload is not an object');
  if (t.kind === 'failed') {
    if (t.error === undefined) throw new DecodeError('failed terminal has no error');
    return { kind: 'failed', error: t.error as JsonValue };
  }
  if (t.kind !== 'committed') throw new DecodeError(`unknown terminal kind ${JSON.stringify(t.kind)}`);
  if (t.outcome === undefined) throw new DecodeError('committed terminal has no outcome');
  const cancellation =
    t.cancellation === undefined || t.cancellation === null ? null : decodeEvidence(t.cancellation, 'cancellation');
  const revision = t.sessionRevision;
  if (revision !== undefined && revision !== null && typeof revision !== 'number')
    throw new DecodeError('sessionRevision is not a number');
  return {
    kind: 'committed',
    outcome: t.outcome as JsonValue,
    cancellation,
    sessionRevision: (revision as number | undefined) ?? null,
  };
}

/** Decodes the terminal promise's resolution for `scope`. */
function decodeTerminal(scope: { sessionId: string; turnId: string }, resolution: Resolution): TurnTerminal {
  if (resolution.kind !== 'ok') {
    throw new EffectHostError(
      'TurnTerminalInvalidResolution',
      `terminal result for turn \`${scope.turnId}\` in session \`${scope.sessionId}\` resolved with ${JSON.stringify(resolution)}`,
    );
  }
  try {
    return decodeTerminalPayload(resolution.payload);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    throw new EffectHostError(
      'TurnTerminalDecode',
      `invalid terminal result for turn \`${scope.turnId}\` in session \`${scope.sessionId}\`: ${error.message}`,
    );
  }
}

/** A `TurnTerminal` to publish, checked and normalized (absent optional members become null). */
function terminalInput(value: unknown): TurnTerminal {
  let t: TurnTerminal;
  try {
    t = decodeTerminalPayload(value);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    throw invalidArgument(EffectHostError, 'terminal', `a TurnTerminal (${error.message})`);
  }
  return storedJson(t, 'turn terminal', 'terminal') as unknown as TurnTerminal;
}

/** The caller side of turn control: request a cancel, attach to a terminal. */
export class TurnWorkDriver {
  readonly #host: EffectHost;

  /** A driver over any effect host (`SqliteEffectHost` or another implementation). */
  constructor(effectHost: EffectHost) {
    if (effectHost === null || typeof effectHost !== 'object' || typeof effectHost.awaitEventKey !== 'function') {
      throw invalidArgument(EffectHostError, 'effectHost', 'an EffectHost');
    }
    this.#host = effectHost;
  }

  /** Resolves the turn's gate with a cancel request; the first request (or the completion seal) wins. */
  async requestCancel(request: TurnCancelRequest): Promise<TurnCancelReceipt> {
    if (request === null || typeof request !== 'object') throw invalidArgument(EffectHostError, 'request', 'an object');
    const scope = turnScope(request.address, 'request.address');
    if (typeof request.requestId !== 'string' || request.requestId.trim() === '') {
      throw new EffectHostError('InvalidTurnCancelRequest', 'turn cancellation requires a non-empty request id');
    }
    const evidence: TurnCancellationEvidence = {
      requestId: request.requestId,
      origin: nullableString(request.origin, 'request.origin'),
      reason: nullableString(request.reason, 'request.reason'),
    };
    const durabilityTier = this.#host.durabilityTier();
    let key: AwaitEventKey;
    try {
      key = await this.#host.awaitEventKey(scope, { kind: 'turnCancelGate' });
    } catch (error) {
      if (isLashStoreError(error, 'AwaitEventUnknownOrRevoked')) return { durabilityTier, outcome: { kind: 'unknownOrRevoked' } };
      throw error;
    }
    const gate: TurnGateTerminal = { kind: 'cancelRequested', cancellation: evidence };
    const outcome = await this.#host.resolveAwaitEvent(key, { kind: 'ok', payload: gate as unknown as JsonValue });
    switch (outcome.kind) {
      case 'accepted':
        return { durabilityTier, outcome: { kind: 'requested', cancellation: evidence } };
      case 'unknownOrRevoked':
        return { durabilityTier, outcome: { kind: 'unknownOrRevoked' } };
      case 'alreadyResolved': {
        const stored = decodeGate(outcome.terminal);
        return {
          durabilityTier,
          outcome:
            stored.kind === 'cancelRequested'
              ? { kind: 'alreadyRequested', cancellation: stored.cancellation }
              : { kind: 'completionWonRace' },
        };
      }
    }
  }

  /** Waits (without cancellation or deadline) for the turn's published terminal. */
  async awaitTerminal(address: TurnAddress): Promise<TurnTerminal> {
    return this.#awaitTerminal(address, null);
  }

  /** As `awaitTerminal`, bounded by `ms`; timing out never resolves or poisons the promise. */
  async awaitTerminalWithTimeout(address: TurnAddress, ms: number): Promise<TurnTerminal> {
    const bound = normalizeCount(EffectHostError, ms, 'ms');
    return this.#awaitTerminal(address, bound >= Number.MAX_SAFE_INTEGER ? null : bound);
  }

  async #awaitTerminal(address: TurnAddress, timeoutMs: number | null): Promise<TurnTerminal> {
    const scope = turnScope(address);
    const key = await this.#host.awaitEventKey(scope, { kind: 'turnTerminal' });
    if (timeoutMs === null) return decodeTerminal(scope, await this.#host.awaitAwaitEvent(key));
    const stop = new AbortController();
    const timer = new AbortController();
    sleepFor(systemClock, timeoutMs, timer.signal).then(
      () => stop.abort(),
      () => undefined,
    );
    try {
      return decodeTerminal(scope, await this.#host.awaitAwaitEvent(key, { signal: stop.signal }));
    } catch (error) {
      // A turn-control wait stopped by its signal writes nothing: the timeout only stops this caller.
      if (stop.signal.aborted && isLashStoreError(error, 'TurnControlWaitCancelled')) {
        throw new EffectHostError(
          'TurnTerminalAwaitTimeout',
          `timed out awaiting terminal for turn \`${scope.turnId}\` in session \`${scope.sessionId}\` after ${timeoutMs} ms`,
        );
      }
      throw error;
    } finally {
      timer.abort(null);
    }
  }
}

/** The owner side of turn control for one running turn. */
export class ActiveTurnControl {
  readonly #scope: ExecutionScope & { kind: 'turn' };
  readonly #gateKey: AwaitEventKey;
  readonly #terminalKey: AwaitEventKey;
  readonly #localCancelOrigin: string | null;
  #evidence: TurnCancellationEvidence | null = null;

  private constructor(
    scope: ExecutionScope & { kind: 'turn' },
    gateKey: AwaitEventKey,
    terminalKey: AwaitEventKey,
    origin: string | null,
  ) {
    this.#scope = scope;
    this.#gateKey = gateKey;
    this.#terminalKey = terminalKey;
    this.#localCancelOrigin = origin;
  }

  /** Validates the address and mints both keys (no writes). */
  static async create(
    resolver: AwaitEventResolver,
    address: TurnAddress,
    options?: { localCancelOrigin?: string | null },
  ): Promise<ActiveTurnControl> {
    const scope = turnScope(address);
    const origin = nullableString(options?.localCancelOrigin, 'options.localCancelOrigin');
    const gateKey = await resolver.awaitEventKey(scope, { kind: 'turnCancelGate' });
    const terminalKey = await resolver.awaitEventKey(scope, { kind: 'turnTerminal' });
    return new ActiveTurnControl(scope, gateKey, terminalKey, origin);
  }

  #remember(gate: TurnGateTerminal): TurnCancellationEvidence | null {
    if (gate.kind === 'cancelRequested') this.#evidence = gate.cancellation;
    return gate.kind === 'cancelRequested' ? gate.cancellation : null;
  }

  /**
   * Seals the gate before the final commit: the cancel evidence when a cancel won (or this turn was
   * cancelled locally), null when the completion seal won.
   */
  async settleBeforeCommit(resolver: AwaitEventResolver, locallyCancelled: boolean): Promise<TurnCancellationEvidence | null> {
    if (this.#evidence !== null) return this.#evidence;
    const proposed: TurnGateTerminal = locallyCancelled
      ? {
          kind: 'cancelRequested',
          cancellation: { requestId: `internal:${this.#scope.turnId}`, origin: this.#localCancelOrigin, reason: null },
        }
      : { kind: 'completionSealed' };
    const outcome = await resolver.resolveAwaitEvent(this.#gateKey, { kind: 'ok', payload: proposed as unknown as JsonValue });
    switch (outcome.kind) {
      case 'accepted':
        return this.#remember(proposed);
      case 'alreadyResolved':
        return this.#remember(decodeGate(outcome.terminal));
      case 'unknownOrRevoked':
        throw new EffectHostError(
          'TurnControlUnknownOrRevoked',
          `turn \`${this.#scope.turnId}\` in session \`${this.#scope.sessionId}\` was revoked before final commit`,
        );
    }
  }

  /** Publishes the turn's terminal; the first publication stays authoritative (idempotent). */
  async publishTerminal(resolver: AwaitEventResolver, terminal: TurnTerminal): Promise<void> {
    const t = terminalInput(terminal);
    const outcome = await resolver.resolveAwaitEvent(this.#terminalKey, { kind: 'ok', payload: t as unknown as JsonValue });
    if (outcome.kind === 'unknownOrRevoked') {
      throw new EffectHostError(
        'TurnTerminalUnknownOrRevoked',
        `terminal promise for turn \`${this.#scope.turnId}\` in session \`${this.#scope.sessionId}\` was revoked`,
      );
    }
  }

  /** Waits for the gate: the cancel evidence, or null when the completion seal won; `signal` stops only the wait. */
  async awaitCancel(resolver: AwaitEventResolver, signal: AbortSignal): Promise<TurnCancellationEvidence | null> {
    return this.#remember(decodeGate(await resolver.awaitAwaitEvent(this.#gateKey, { signal })));
  }

  /** A journaled peek of the gate on `controller` (replays on re-drive): the evidence, or null. */
  async observePendingCancel(
    controller: RuntimeEffectController,
    identity: TurnCancelPeekIdentity,
  ): Promise<TurnCancellationEvidence | null> {
    const effectId = PEEK_EFFECT_IDS[identity];
    if (effectId === undefined) throw invalidArgument(EffectHostError, 'identity', "'startGate' or 'postAbortGate'");
    const envelope: RuntimeEffectEnvelope = {
      invocation: {
        scope: { sessionId: this.#scope.sessionId, turnId: this.#scope.turnId },
        subject: { kind: 'effect', effectId, effectKind: 'peekAwaitEvent' },
        replay: { key: effectId },
      },
      command: { kind: 'peekAwaitEvent', key: this.#gateKey },
    };
    const outcome = await controller.executeEffect(envelope, { kind: 'unavailable' });
    if (outcome === null || typeof outcome !== 'object' || outcome.kind !== 'peekAwaitEvent') {
      throw new EffectHostError('TurnControlPeekOutcome', `${effectId} returned a non-peek runtime effect outcome`);
    }
    const resolution = outcome.resolution as Resolution | null | undefined;
    if (resolution === null || resolution === undefined) return null;
    return this.#remember(decodeGate(resolution));
  }
}
