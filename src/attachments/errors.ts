/**
 * The `StoreError` variants of the attachment, artifact and factory area (20-blobs-attachments-lifecycle
 * §0.1), with the exact message texts callers match on.
 */
import { backendError, StoreError } from '../errors.js';

/** The message of any thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `NotFound`: the attachment does not exist (or the session holds no ref to it). */
export function attachmentNotFound(id: string): StoreError {
  return new StoreError('NotFound', `attachment \`${id}\` was not found`, { id });
}

/** `Io`: a file-system failure of the file attachment store. */
export function attachmentIo(path: string, cause: unknown): StoreError {
  const error = cause instanceof Error ? cause : new Error(String(cause));
  return new StoreError('Io', `attachment store I/O failed at ${path}: ${error.message}`, { path, cause: error });
}

/** `ManifestRecordFailed`: the manifest refused a write the facade needed. */
export function manifestRecordFailed(detail: string, cause?: unknown): StoreError {
  return new StoreError('ManifestRecordFailed', `attachment manifest write failed: ${detail}`, { detail }, { cause });
}

/** `Backend` raised by an attachment store, the session facade or reclamation. */
export function attachmentBackend(detail: string, cause?: unknown): StoreError {
  return new StoreError('Backend', `attachment store backend failed: ${detail}`, { detail }, { cause });
}

/** `ArtifactEncode`: a module artifact or trigger manifest that cannot be stored. */
export function artifactEncode(detail: string): StoreError {
  return new StoreError('ArtifactEncode', `failed to encode lashlang artifact: ${detail}`, { detail });
}

/** `InvalidSessionId`: a session id with a lone surrogate. */
export function invalidSessionId(sessionId: string): StoreError {
  return new StoreError('InvalidSessionId', 'session id is not well-formed Unicode', { sessionId });
}

/** `Backend`: the configured process registry cannot prove owners dead, so reconciliation refuses. */
export function registryUnavailable(reason: string, cause?: unknown): StoreError {
  return backendError(StoreError, `configured Lash process registry is not available: ${reason}`, cause) as StoreError;
}
