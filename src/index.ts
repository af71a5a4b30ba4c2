/**
 * lash-event-store: durable, auditable, replayable state for agent runtimes.
 * An event-sourced SQLite store: every command appends immutable events and updates its
 * projections in the same transaction.
 */
export {
  attachmentDurabilityTier,
  contentId,
  FileAttachmentStore,
  InMemoryAttachmentStore,
  NoopAttachmentManifest,
  reclaimUnreferencedAttachments,
  SessionAttachmentStore,
} from './attachments/index.js';
export { BlobArtifactDescriptor } from './blobs/descriptors.js';
export { type Clock, systemClock } from './clock.js';
export { DEFAULT_MAX_INFLATED_BLOB_BYTES } from './codec.js';
export { ProcessChangeCursor, ProcessEventAppendRequest } from './commands/process/builders.js';
export { ProcessListFilter } from './commands/process/list-filter.js';
export { originatorScopeId, ProcessRegistration, sessionScopeId } from './commands/process/registration.js';
export {
  type CampaignProgress,
  type ChildLauncher,
  type CrashCampaignOptions,
  type CrashCampaignReport,
  defaultChildLauncher,
  runCrashCampaign,
} from './crash/campaign.js';
export { findStorageDamage, type StorageDamage } from './crash/integrity.js';
export type {
  ChildContext,
  ChildWorkload,
  Findings,
  InFlightResolution,
  ModuleVerifier,
  OperationOutcome,
  OperationSpec,
  OpRecord,
  RecoveryContext,
  RetryOutcome,
  VerifierSetup,
  WorkloadModule,
} from './crash/module.js';
export { CRASH_MODULES } from './crash/modules.js';
export { formatCampaignReport } from './crash/report.js';
export { canonicalizeRuntimeEffectEnvelope, validateReplayedEffectEnvelope } from './effects/envelope.js';
export { awaitEventPromiseKey, parseAwaitEventKey, parseResolution } from './effects/keys.js';
export { scopeId, scopeKey, scopeSessionId } from './effects/scope.js';
export { ActiveTurnControl, TurnWorkDriver } from './effects/turn-control.js';
export {
  type AreaErrorClass,
  type DatabaseKind,
  EffectHostError,
  isLashStoreError,
  LashStoreError,
  ProcessRegistryError,
  StoreError,
  TriggerStoreError,
} from './errors.js';
export { FAULT_POINTS, type FaultPoint } from './events/fault.js';
export type {
  CompactOptions,
  CompactReport,
  EventsObservableOptions,
  ProjectionMismatch,
  ReadEventsOptions,
  StoredEvent,
  VerifyReport,
} from './events/types.js';
export type { JsonObject, JsonValue } from './json.js';
export { deriveBatchId } from './leases/ids.js';
export { defaultLivenessProbe, isDefinitelyDeadForClaimant, localProcessIdentity } from './leases/liveness.js';
export {
  processWakeSourceKey,
  queuedWorkCompletionOf,
  sessionCommandSourceKey,
  turnCommitHash,
  turnInputCompletionOf,
} from './leases/pure.js';
export {
  deriveQueuedWorkClaimLease,
  selectLeadingSessionCommand,
  selectTurnWorkClaimPrefix,
} from './leases/queue-selection.js';
export { completionOf, fenceOf, sameIncarnation } from './leases/session-lease.js';
export { LeaseTimings } from './leases/timings.js';
export {
  CURRENT_TRIGGER_MANIFEST_NAMESPACE,
  MODULE_ARTIFACT_NAMESPACE,
  PROCESS_ENV_NAMESPACE,
  RAW_ARTIFACT_NAMESPACE,
} from './projections/session/artifacts.js';
export { ensureSupportedRecordSchemaVersion } from './projections/session/records.js';
export {
  BUSY_TIMEOUT_MS,
  EFFECT_APPLICATION_ID,
  EFFECT_SCHEMA_VERSION,
  PROCESS_APPLICATION_ID,
  PROCESS_SCHEMA_VERSION,
  SESSION_APPLICATION_ID,
  SESSION_SCHEMA_VERSION,
  TRIGGER_APPLICATION_ID,
  TRIGGER_SCHEMA_VERSION,
} from './sqlite/kinds.js';
export { SqliteEffectHost } from './stores/effect-host.js';
export { PROCESS_REGISTRY_KIND, SqliteProcessRegistry } from './stores/process-registry.js';
export {
  deleteSessionFiles,
  isPrimarySessionDbName,
  processRuntimeSessionIds,
  SqliteSessionStoreFactory,
  safeSessionDbFileName,
} from './stores/session-store-factory.js';
export { Store } from './stores/store.js';
export { SqliteTriggerStore } from './stores/trigger-store.js';
export { SESSION_CHECKPOINT_SCHEMA_VERSION, SESSION_HEAD_META_SCHEMA_VERSION } from './stores/versions.js';
export { PROCESS_LEASE_SCHEMA_VERSION } from './stores/versions-process.js';
export {
  defaultTriggerSourceKey,
  deterministicDeliveryProcessId,
  deterministicOccurrenceId,
  deterministicSubscriptionId,
  emptyTriggerSourceKey,
  triggerCommandHash,
  triggerOccurrenceRequestHash,
  triggerOperationReceiptId,
  triggerOwnerNamespace,
  triggerSubscriptionDefinitionHash,
} from './triggers/identity.js';
export type * from './types/artifacts.js';
export type * from './types/attachments.js';
export type * from './types/common.js';
export type * from './types/effect.js';
export type * from './types/process.js';
export type * from './types/session.js';
export type * from './types/trigger.js';
