/**
 * `SqliteSessionStoreFactory` (20-blobs-attachments-lifecycle §6): one session database per session
 * id under a root folder — deterministic, injective, root-confined file names; create (metadata
 * seeded once, never overwritten), open-existing, delete (database, `-wal`, `-shm`); and the
 * attachment root set: a sweep over every primary session database of the root that reconciles
 * dead intents and collects live refs. An unreadable primary aborts the sweep, because it might
 * hold live refs.
 */
import { mkdir, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidSessionId, messageOf, registryUnavailable } from '../attachments/errors.js';
import { systemClock } from '../clock.js';
import { sessionMetaInput } from '../commands/session/inputs.js';
import { backendError, invalidArgument, LashStoreError, StoreError } from '../errors.js';
import { sha256Hex } from '../json.js';
import { normalizeCount } from '../numbers.js';
import type { ProcessOwnerRegistry, SessionStoreCreateRequest, SessionStoreFactory } from '../types/attachments.js';
import type { DurabilityTier } from '../types/common.js';
import type { AttachmentId, SessionMeta, StoreOptions } from '../types/session.js';
import { Store } from './store.js';

const SAFE_CHAR = /^[A-Za-z0-9_-]$/;
const MAX_SAFE_LENGTH = 80;
const REGISTRY_PROBE_ID = 'lash-attachment-gc-registry-probe';
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The warning an unwired factory emits once at construction (20 §6.1). */
export const UNWIRED_PROCESS_REGISTRY_WARNING =
  'SQLite attachment GC process-owner liveness is not wired; process-owned intents will be retained indefinitely. Pass options.processRegistry to SqliteSessionStoreFactory.';

function isWellFormed(id: string): boolean {
  return !/\p{Cs}/u.test(id);
}

function sessionIdInput(sessionId: unknown): string {
  if (typeof sessionId !== 'string') throw invalidArgument(StoreError, 'sessionId', 'a string');
  if (!isWellFormed(sessionId)) throw invalidSessionId(sessionId);
  return sessionId;
}

/**
 * The file name of a session's database: every code point outside ASCII `A–Z a–z 0–9 - _` becomes
 * `_`, leading/trailing `_` are trimmed (empty → `session`), the result is cut to 80 characters,
 * and the first 16 hex characters of the SHA-256 of the original id make it unique:
 * `{safe}-{hash16}.db`. Throws `InvalidSessionId` for an id with a lone surrogate.
 */
export function safeSessionDbFileName(sessionId: string): string {
  const id = sessionIdInput(sessionId);
  let safe = '';
  for (const ch of id) safe += SAFE_CHAR.test(ch) ? ch : '_';
  safe = safe.replace(/^_+/, '').replace(/_+$/, '');
  if (safe === '') safe = 'session';
  safe = safe.slice(0, MAX_SAFE_LENGTH);
  return `${safe}-${sha256Hex(id).slice(0, 16)}.db`;
}

/**
 * Whether `name` is a primary session database file: it ends in `.db`, its stem is non-empty and
 * contains no `.db` (so `{primary}.effects.db` and `{primary}-wal` are not primary).
 */
export function isPrimarySessionDbName(name: string): boolean {
  if (typeof name !== 'string' || !name.endsWith('.db')) return false;
  const stem = name.slice(0, -3);
  return stem !== '' && !stem.includes('.db');
}

/** The session ids whose stores a process owns: `process-env:{id}` and `process-session-turn:{id}`. */
export function processRuntimeSessionIds(processId: string): string[] {
  if (typeof processId !== 'string') throw invalidArgument(StoreError, 'processId', 'a string');
  return [`process-env:${processId}`, `process-session-turn:${processId}`];
}

/**
 * Removes a session's database, `-wal` and `-shm` under `root`, in that order; missing files are
 * fine, any other failure is `Backend`. Idempotent; other sidecar databases are left alone.
 */
export async function deleteSessionFiles(root: string, sessionId: string): Promise<void> {
  if (typeof root !== 'string' || root === '') throw invalidArgument(StoreError, 'root', 'a directory path');
  const db = join(root, safeSessionDbFileName(sessionId));
  for (const path of [db, `${db}-wal`, `${db}-shm`]) {
    try {
      await unlink(path);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') continue;
      throw backendError(StoreError, `remove session store ${path}: ${messageOf(error)}`, error);
    }
  }
}

/** Validates a create request and builds the meta that seeds a new database. */
function seedMetaOf(request: unknown, now: number): SessionMeta {
  if (request === null || typeof request !== 'object')
    throw invalidArgument(StoreError, 'request', 'a SessionStoreCreateRequest');
  const r = request as Record<string, unknown>;
  const sessionId = sessionIdInput(r.sessionId);
  const policy = r.policy as { model?: { id?: unknown } } | null | undefined;
  const model = policy !== null && typeof policy === 'object' ? policy.model : undefined;
  const modelId = model !== null && typeof model === 'object' ? model.id : undefined;
  if (typeof modelId !== 'string') throw invalidArgument(StoreError, 'request.policy.model.id', 'a string');
  let cwd: string | null;
  try {
    cwd = process.cwd();
  } catch {
    cwd = null;
  }
  let createdAt: string;
  try {
    createdAt = new Date(now).toISOString();
  } catch {
    throw invalidArgument(StoreError, 'clock.timestampMs()', 'a time that fits an ISO date');
  }
  return sessionMetaInput({
    sessionId,
    sessionName: sessionId,
    createdAt,
    model: modelId,
    cwd,
    relation: r.relation ?? { kind: 'root' },
  });
}

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown }).code;
}

/** The session store factory: one SQLite database per session under `root`. */
export class SqliteSessionStoreFactory implements SessionStoreFactory {
  readonly #root: string;
  readonly #options: StoreOptions;
  readonly #registry: ProcessOwnerRegistry | null;

  /**
   * Every store the factory opens receives `options` unchanged. Without `options.processRegistry`
   * process-owned intents can never be proven dead, which the constructor warns about once. It
   * does not touch the file system.
   */
  constructor(root: string, options?: StoreOptions) {
    if (typeof root !== 'string' || root === '') throw invalidArgument(StoreError, 'root', 'a directory path');
    this.#root = root;
    this.#options = { ...(options ?? {}) };
    const registry = this.#options.processRegistry ?? null;
    if (registry !== null && typeof registry.tryGetProcess !== 'function') {
      throw invalidArgument(StoreError, 'processRegistry', 'a process registry with tryGetProcess');
    }
    this.#registry = registry;
    if (registry === null) process.emitWarning(UNWIRED_PROCESS_REGISTRY_WARNING, { code: 'LASH_ATTACHMENT_GC_UNWIRED' });
  }

  /** The database path of `sessionId`: `root/{safeSessionDbFileName(sessionId)}`. */
  pathForSession(sessionId: string): string {
    return join(this.#root, safeSessionDbFileName(sessionId));
  }

  /** `'durable'`: every store the factory opens lives in a file. */
  durabilityTier(): DurabilityTier {
    return 'durable';
  }

  /**
   * Creates (or opens) the session's database and seeds its metadata when it has none; existing
   * metadata is never overwritten. The caller owns and closes the returned store.
   */
  async createStore(request: SessionStoreCreateRequest): Promise<Store> {
    const meta = seedMetaOf(request, (this.#options.clock ?? systemClock).timestampMs());
    const path = this.pathForSession(meta.sessionId);
    try {
      await mkdir(this.#root, { recursive: true });
    } catch (error) {
      throw backendError(StoreError, `create session store directory ${this.#root}: ${messageOf(error)}`, error);
    }
    const store = await Store.open(path, this.#options);
    try {
      await store.saveSessionMetaIfAbsent(meta);
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  /** `null` when the session's database file does not exist; otherwise exactly `createStore`. */
  async openExistingStore(request: SessionStoreCreateRequest): Promise<Store | null> {
    const meta = seedMetaOf(request, 0);
    const path = this.pathForSession(meta.sessionId);
    try {
      await stat(path);
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return null;
      throw backendError(StoreError, `stat session store ${path}: ${messageOf(error)}`, error);
    }
    return this.createStore(request);
  }

  /** Removes the session's database, `-wal` and `-shm`; idempotent. Open handles are not closed. */
  async deleteSession(sessionId: string): Promise<void> {
    return deleteSessionFiles(this.#root, sessionIdInput(sessionId));
  }

  /**
   * The attachment ids live at `cutoffEpochMs` over every primary session database of the root.
   * Reconciles first: each store forgets its aged dead-owner intents before its refs are listed.
   */
  async liveAttachmentRefs(cutoffEpochMs: number): Promise<Set<AttachmentId>> {
    const cutoff = normalizeCount(StoreError, cutoffEpochMs, 'cutoffEpochMs');
    await this.#probeRegistry();
    const live = new Set<AttachmentId>();
    for (const path of await this.#primaryDatabases(true)) {
      const store = await this.#openForSweep(path, 'attachment GC aborted');
      try {
        await store.forgetAgedUncommittedIntents(cutoff);
        for (const id of await store.listAllRefs()) live.add(id);
      } finally {
        await store.close();
      }
    }
    return live;
  }

  /** Whether any session database still has a row for `id` that survives reconciliation at `cutoffEpochMs`. Read-only. */
  async hasLiveAttachmentRef(id: AttachmentId, cutoffEpochMs: number): Promise<boolean> {
    if (typeof id !== 'string') throw invalidArgument(StoreError, 'id', 'a string');
    const cutoff = normalizeCount(StoreError, cutoffEpochMs, 'cutoffEpochMs');
    await this.#probeRegistry();
    for (const path of await this.#primaryDatabases(false)) {
      const store = await this.#openForSweep(path, 'attachment GC root re-check aborted');
      try {
        if (await store.hasLiveRefForId(id, cutoff)) return true;
      } finally {
        await store.close();
      }
    }
    return false;
  }

  /** Step 1 of discovery: a configured registry must answer before any database is opened. */
  async #probeRegistry(): Promise<void> {
    if (this.#registry === null) return;
    try {
      await this.#registry.tryGetProcess(REGISTRY_PROBE_ID);
    } catch (error) {
      throw registryUnavailable(messageOf(error), error);
    }
  }

  /** Primary database paths of the root in ascending name order; sidecars skipped (with a warning when asked). */
  async #primaryDatabases(warnOnSidecars: boolean): Promise<string[]> {
    let raw: Buffer[];
    try {
      raw = await readdir(this.#root, { encoding: 'buffer' });
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return [];
      throw backendError(StoreError, `read session store directory ${this.#root}: ${messageOf(error)}`, error);
    }
    const names: string[] = [];
    for (const bytes of raw) {
      try {
        names.push(strictUtf8.decode(bytes));
      } catch {
        // Not valid UTF-8: never a name this factory wrote.
      }
    }
    // Code unit order equals code point order for these names except across surrogates; sort by UTF-8 bytes.
    names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const paths: string[] = [];
    for (const name of names) {
      if (!name.endsWith('.db')) continue;
      const path = join(this.#root, name);
      if (!isPrimarySessionDbName(name)) {
        if (warnOnSidecars) {
          process.emitWarning(`attachment GC skipped sidecar database ${path}`, { code: 'LASH_ATTACHMENT_GC_SIDECAR' });
        }
        continue;
      }
      paths.push(path);
    }
    return paths;
  }

  async #openForSweep(path: string, context: string): Promise<Store> {
    try {
      return await Store.open(path, this.#options);
    } catch (error) {
      const detail = error instanceof LashStoreError ? error.message : messageOf(error);
      throw backendError(StoreError, `${context}: session database ${path} could not be opened: ${detail}`, error);
    }
  }
}
