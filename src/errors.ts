/**
 * Typed errors. Every error the library throws on purpose is a `LashStoreError` with a string `code`;
 * the variant's fields are properties of the error object so callers can branch on data, not text.
 * Messages keep the texts of the spec because callers match on them.
 */

/** The database kinds, as named in `DatabaseKindMismatch` / `SchemaVersionMismatch` errors. */
export type DatabaseKind = 'session' | 'processRegistry' | 'effectReplay' | 'triggerStore';

/** Base class of every error the library throws on purpose. */
export class LashStoreError extends Error {
  readonly code: string;
  constructor(code: string, message: string, fields: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    Object.assign(this, fields);
  }
}

/** Errors of the session store, blobs, attachments and the factory. */
export class StoreError extends LashStoreError {}
/** Errors of the process registry. */
export class ProcessRegistryError extends LashStoreError {}
/** Errors of the effect host. */
export class EffectHostError extends LashStoreError {}
/** Errors of the trigger store. */
export class TriggerStoreError extends LashStoreError {}

/** A constructor of one of the area error classes. */
export type AreaErrorClass = new (
  code: string,
  message: string,
  fields?: Record<string, unknown>,
  options?: { cause?: unknown },
) => LashStoreError;

/** True when `error` is a `LashStoreError`, optionally with the given `code`. */
export function isLashStoreError(error: unknown, code?: string): error is LashStoreError & Record<string, unknown> {
  return error instanceof LashStoreError && (code === undefined || error.code === code);
}

/** `CorruptData`: a stored row, blob or event cannot be decoded. Nothing is skipped silently. */
export function corruptData(cls: AreaErrorClass, table: string, key: string, detail: string, cause?: unknown): LashStoreError {
  return new cls('CorruptData', `corrupt data in table ${table} at key ${key}: ${detail}`, { table, key, detail }, { cause });
}

/** `Backend`: any SQLite or I/O failure, keeping the original error as `cause`. */
export function backendError(cls: AreaErrorClass, detail: string, cause?: unknown): LashStoreError {
  return new cls('Backend', `store backend error: ${detail}`, { detail }, { cause });
}

/** `InvalidArgument`: a `NaN` number, a wrong type, or a non-JSON value where only JSON is stored. */
export function invalidArgument(cls: AreaErrorClass, argument: string, expected: string): LashStoreError {
  return new cls('InvalidArgument', `invalid \`${argument}\`: expected ${expected}`, { argument, expected });
}

const CLOSED_MESSAGES: Record<DatabaseKind, string> = {
  session: 'store is closed',
  processRegistry: 'process registry is closed',
  effectReplay: 'effect host is closed',
  triggerStore: 'trigger store is closed',
};

/** `Closed`: a call after `close()`. */
export function closedError(cls: AreaErrorClass, kind: DatabaseKind): LashStoreError {
  return new cls('Closed', CLOSED_MESSAGES[kind]);
}

/**
 * Wraps anything thrown by the driver into the area's `Backend` error; typed errors pass unchanged
 * so a command that rolls back still rejects with its own code.
 */
export function toAreaError(cls: AreaErrorClass, error: unknown): LashStoreError {
  if (error instanceof LashStoreError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return backendError(cls, detail, error);
}
