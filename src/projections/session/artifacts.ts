/**
 * Projection of artifact refs (20-blobs-attachments-lifecycle §5) onto `artifact_refs`: named,
 * overwritable pointers into `blobs`. The blob rows themselves are a side table written in the same
 * transaction; the events carry only the refs.
 */
import type { Statement } from 'better-sqlite3';
import { corruptData, StoreError } from '../../errors.js';
import type { Db } from '../../sqlite/open.js';
import type { HandlerMap } from '../handlers.js';
import { payload } from './events.js';

export const ARTIFACT_REF_SET = 'ArtifactRefSet';
export const TRIGGER_MANIFEST_REPLACED = 'TriggerManifestReplaced';

/** Namespaces of `artifact_refs` (stored data: the spelling is fixed). */
export const MODULE_ARTIFACT_NAMESPACE = 'lashlang_module';
export const RAW_ARTIFACT_NAMESPACE = 'lashlang_artifact';
export const PROCESS_ENV_NAMESPACE = 'process_execution_env';
export const CURRENT_TRIGGER_MANIFEST_NAMESPACE = 'lashlang_trigger_manifest';

/** A pointer `(namespace, artifactRef)` now names `blobRef`. */
export interface ArtifactRefSetData {
  namespace: string;
  artifactRef: string;
  blobRef: string;
}

/** The current trigger manifest of `ownerNamespace` now lives at `blobRef`. */
export interface TriggerManifestReplacedData {
  ownerNamespace: string;
  previousModuleRef: string | null;
  currentModuleRef: string;
  blobRef: string;
}

/** Handlers for the artifact-ref events. */
export function artifactHandlers(db: Db): HandlerMap {
  const upsert = db.prepare(
    `INSERT INTO artifact_refs (namespace, artifact_ref, blob_ref) VALUES (?, ?, ?)
     ON CONFLICT (namespace, artifact_ref) DO UPDATE SET blob_ref = excluded.blob_ref`,
  );
  return {
    [ARTIFACT_REF_SET]: (data) => {
      const d = payload<ArtifactRefSetData>(data);
      upsert.run(d.namespace, d.artifactRef, d.blobRef);
    },
    [TRIGGER_MANIFEST_REPLACED]: (data) => {
      const d = payload<TriggerManifestReplacedData>(data);
      upsert.run(CURRENT_TRIGGER_MANIFEST_NAMESPACE, d.ownerNamespace, d.blobRef);
    },
  };
}

/** Pointer lookups. */
export class ArtifactRefReads {
  readonly #pointer: Statement;

  constructor(db: Db) {
    this.#pointer = db.prepare('SELECT blob_ref FROM artifact_refs WHERE namespace = ? AND artifact_ref = ?').pluck();
  }

  /** The blob ref `(namespace, artifactRef)` names, or null. */
  pointer(namespace: string, artifactRef: string): string | null {
    const ref = this.#pointer.get(namespace, artifactRef) as unknown;
    if (ref === undefined) return null;
    if (typeof ref !== 'string') {
      throw corruptData(StoreError, 'artifact_refs', `${namespace}/${artifactRef}`, 'blob_ref is not text');
    }
    return ref;
  }
}
