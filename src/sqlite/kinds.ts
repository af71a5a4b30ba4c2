/**
 * The four database kinds: their schema version constants, `application_id` markers and the labels
 * used in the schema-gate messages.
 */
import type { AreaErrorClass, DatabaseKind } from '../errors.js';

/** Session database `user_version`. */
export const SESSION_SCHEMA_VERSION = 1;
/** Process registry database `user_version`. */
export const PROCESS_SCHEMA_VERSION = 1;
/** Effect replay database `user_version`. */
export const EFFECT_SCHEMA_VERSION = 1;
/** Trigger store database `user_version`. */
export const TRIGGER_SCHEMA_VERSION = 1;

/** `application_id` markers ('LshS', 'LshP', 'LshE', 'LshT'). */
export const SESSION_APPLICATION_ID = 0x4c736853;
export const PROCESS_APPLICATION_ID = 0x4c736850;
export const EFFECT_APPLICATION_ID = 0x4c736845;
export const TRIGGER_APPLICATION_ID = 0x4c736854;

/** SQLite busy timeout of every read-write handle. */
export const BUSY_TIMEOUT_MS = 15_000;

/** What the lifecycle code needs to know about a database kind. */
export interface KindInfo {
  readonly kind: DatabaseKind;
  /** `{kind}` in messages: `session`, `process registry`, … */
  readonly label: string;
  readonly schemaVersion: number;
  readonly applicationId: number;
  /** Folder under `drizzle/` holding the generated DDL. */
  readonly ddlFolder: string;
  readonly errorClass: AreaErrorClass;
}

const LABELS_BY_APPLICATION_ID = new Map<number, string>([
  [SESSION_APPLICATION_ID, 'lash session'],
  [PROCESS_APPLICATION_ID, 'lash process registry'],
  [EFFECT_APPLICATION_ID, 'lash effect replay'],
  [TRIGGER_APPLICATION_ID, 'lash trigger store'],
]);

/** `{foundLabel}` of the `DatabaseKindMismatch` message. */
export function applicationIdLabel(id: number): string {
  if (id === 0) return 'unmarked';
  return LABELS_BY_APPLICATION_ID.get(id) ?? 'unknown';
}
