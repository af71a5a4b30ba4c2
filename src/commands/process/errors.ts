/** `ProcessRegistryError` constructors with the messages and fields of 30-process-registry App. A. */
import { ProcessRegistryError } from '../../errors.js';
import { canonicalJson } from '../../json.js';
import type { ProcessCompletionAuthority, ProcessExternalRef } from '../../types/process.js';

const E = ProcessRegistryError;

export function unknownProcess(processId: string): ProcessRegistryError {
  return new E('UnknownProcess', `unknown process \`${processId}\``, { processId });
}

export function invalidRegistration(processId: string, message: string, eventType: string | null = null): ProcessRegistryError {
  return new E('InvalidRegistration', message, { processId, eventType });
}

export function registrationHashConflict(processId: string, existingHash: string, newHash: string): ProcessRegistryError {
  return new E(
    'RegistrationHashConflict',
    `process \`${processId}\` registration hash conflict: existing ${existingHash}, new ${newHash}`,
    {
      processId,
      existingHash,
      newHash,
    },
  );
}

export function externalRefConflict(
  processId: string,
  existing: ProcessExternalRef,
  requested: ProcessExternalRef,
): ProcessRegistryError {
  return new E(
    'ExternalRefConflict',
    `process \`${processId}\` external ref conflict: existing ${canonicalJson(existing)}, new ${canonicalJson(requested)}`,
    { processId, existing, requested },
  );
}

export function handleNotGranted(processId: string, sessionId: string): ProcessRegistryError {
  return new E('HandleNotGranted', `process handle \`${processId}\` is not granted to session \`${sessionId}\``, {
    processId,
    sessionId,
  });
}

export function replayKeyConflict(processId: string, replayKey: string): ProcessRegistryError {
  return new E(
    'ReplayKeyConflict',
    `process \`${processId}\` event replay key \`${replayKey}\` conflicts with an existing event`,
    {
      processId,
      replayKey,
    },
  );
}

export function undeclaredEventType(processId: string, eventType: string): ProcessRegistryError {
  return new E('UndeclaredEventType', `process \`${processId}\` emitted undeclared event type \`${eventType}\``, {
    processId,
    eventType,
  });
}

export function replayKeyRequired(processId: string, eventType: string): ProcessRegistryError {
  return new E('ReplayKeyRequired', `process \`${processId}\` event \`${eventType}\` requires a deterministic replay key`, {
    processId,
    eventType,
  });
}

export function invalidPayload(processId: string, eventType: string, detail: string): ProcessRegistryError {
  return new E('InvalidPayload', `invalid \`${eventType}\` payload: ${detail}`, { processId, eventType, detail });
}

export function selectorFailed(processId: string, pointer: string | null): ProcessRegistryError {
  const message =
    pointer === null
      ? 'failed or cancelled terminal events must declare await output'
      : `payload pointer \`${pointer}\` did not match`;
  return new E('SelectorFailed', message, { processId, pointer });
}

export function alreadyTerminal(processId: string): ProcessRegistryError {
  return new E('AlreadyTerminal', `process \`${processId}\` is already terminal`, { processId });
}

const AUTHORITY_LABELS: Record<ProcessCompletionAuthority['kind'], string> = {
  externalOwner: 'external-owner',
  workflowKey: 'workflow-key',
  reconciledAbandon: 'reconciled-abandon',
};

/** The label of an authority used in error texts. */
export function authorityLabel(authority: ProcessCompletionAuthority): string {
  return AUTHORITY_LABELS[authority.kind];
}

export function authorityRejected(
  processId: string,
  authority: ProcessCompletionAuthority,
  reason: string,
): ProcessRegistryError {
  const label = authorityLabel(authority);
  return new E('AuthorityRejected', `process \`${processId}\` cannot be completed with ${label} authority: ${reason}`, {
    processId,
    authority: label,
    reason,
  });
}

export function leaseExpired(processId: string): ProcessRegistryError {
  return new E('LeaseExpired', `process lease for \`${processId}\` is missing or expired`, { processId });
}

export function terminalRejectsAbandon(processId: string): ProcessRegistryError {
  return new E('TerminalRejectsAbandon', `terminal process \`${processId}\` cannot accept an abandon request`, { processId });
}

export function terminalRejectsWait(processId: string): ProcessRegistryError {
  return new E('TerminalRejectsWait', `terminal process \`${processId}\` cannot enter a wait state`, { processId });
}

export function segmentHandoverConflict(processId: string, segmentOrdinal: number): ProcessRegistryError {
  return new E('SegmentHandoverConflict', `process \`${processId}\` segment ${segmentOrdinal} handover conflict`, {
    processId,
    segmentOrdinal,
  });
}

export function invalidListFilter(key: string | null, message: string): ProcessRegistryError {
  return new E('InvalidListFilter', message, { key });
}
