/**
 * Validation of the turn-input store's arguments: bad input is `InvalidArgument` naming the exact
 * path, before anything is read or written, and a normalized copy comes back.
 */
import type { JsonValue } from '../../../json.js';
import type {
  CheckpointKind,
  InputItem,
  PendingTurnInputCancelTarget,
  PendingTurnInputDraft,
  TurnInput,
  TurnInputClaimMode,
  TurnInputIngress,
} from '../../../types/session.js';
import { v } from '../inputs.js';
import type { TurnInputClaimRef } from './abandon.js';

const BOUNDARIES = ['afterWork', 'beforeCompletion'] as const;

export function checkpointKindInput(value: unknown, path: string): CheckpointKind {
  return v.oneOf(value, path, BOUNDARIES);
}

export function ingressInput(value: unknown, path: string): TurnInputIngress {
  const o = v.object(value, path);
  const kind = v.oneOf(o.kind, `${path}.kind`, ['activeTurn', 'nextTurn'] as const);
  if (kind === 'nextTurn') return { kind };
  return {
    kind,
    turnId: v.string(o.turnId, `${path}.turnId`),
    minBoundary:
      o.minBoundary === undefined || o.minBoundary === null
        ? 'afterWork'
        : v.oneOf(o.minBoundary, `${path}.minBoundary`, BOUNDARIES),
  };
}

function itemInput(value: unknown, path: string): InputItem {
  const o = v.object(value, path);
  const kind = v.oneOf(o.kind, `${path}.kind`, ['text', 'attachment'] as const);
  if (kind === 'text') v.string(o.text, `${path}.text`);
  else if (o.source === undefined) v.fail(`${path}.source`, 'a JSON value');
  return v.jsonObject(o, path) as unknown as InputItem;
}

/** A `TurnInput`: its items are checked, everything else round-trips as given (absent → null). */
export function turnInputInput(value: unknown, path: string): TurnInput {
  const o = v.object(value, path);
  const items = v.array(o.items, `${path}.items`).map((item, i) => itemInput(item, `${path}.items[${i}]`));
  const rest = v.jsonObject(o, path);
  const out: { [key: string]: JsonValue } = {
    ...rest,
    items: items as unknown as JsonValue,
    protocolTurnOptions: v.nullableJson(o.protocolTurnOptions, `${path}.protocolTurnOptions`),
    traceTurnId: v.nullableString(o.traceTurnId, `${path}.traceTurnId`),
  };
  return out as unknown as TurnInput;
}

export function turnInputDraftInput(value: unknown, path: string): PendingTurnInputDraft {
  const o = v.object(value, path);
  return {
    sessionId: v.string(o.sessionId, `${path}.sessionId`),
    inputId: v.nullableString(o.inputId, `${path}.inputId`),
    sourceKey: v.nullableString(o.sourceKey, `${path}.sourceKey`),
    ingress: ingressInput(o.ingress, `${path}.ingress`),
    input: turnInputInput(o.input, `${path}.input`),
  };
}

export function cancelTargetInput(value: unknown, path: string): PendingTurnInputCancelTarget {
  const o = v.object(value, path);
  return { kind: v.oneOf(o.kind, `${path}.kind`, ['inputId', 'sourceKey'] as const), value: v.string(o.value, `${path}.value`) };
}

function claimModeInput(value: unknown, path: string): TurnInputClaimMode {
  const o = v.object(value, path);
  const kind = v.oneOf(o.kind, `${path}.kind`, ['activeTurn', 'nextTurn'] as const);
  if (kind === 'nextTurn') return { kind };
  return {
    kind,
    turnId: v.string(o.turnId, `${path}.turnId`),
    checkpoint: checkpointKindInput(o.checkpoint, `${path}.checkpoint`),
  };
}

/** The parts of a `TurnInputClaim` that an abandon uses. */
export function turnInputClaimInput(value: unknown, path: string): TurnInputClaimRef {
  const o = v.object(value, path);
  return {
    sessionId: v.string(o.sessionId, `${path}.sessionId`),
    claimId: v.string(o.claimId, `${path}.claimId`),
    leaseToken: v.string(o.leaseToken, `${path}.leaseToken`),
    mode: claimModeInput(o.mode, `${path}.mode`),
  };
}
