/**
 * `replaceCurrentTriggerManifest` (20-blobs-attachments-lifecycle §5.3): in one transaction, read the
 * owner's previous manifest (damage there is `CorruptData` and changes nothing), store the new one
 * and move the pointer; the diff of subscription keys tells the caller what to (un)subscribe.
 */
import { messageOf } from '../../../attachments/errors.js';
import { BlobArtifactDescriptor } from '../../../blobs/descriptors.js';
import { corruptData, LashStoreError, StoreError } from '../../../errors.js';
import type { CommandTx } from '../../../events/database.js';
import {
  CURRENT_TRIGGER_MANIFEST_NAMESPACE,
  TRIGGER_MANIFEST_REPLACED,
  type TriggerManifestReplacedData,
} from '../../../projections/session/artifacts.js';
import type { CurrentTriggerManifest, TriggerManifestReplacement } from '../../../types/artifacts.js';
import { compareCodePoints, decodeCurrentTriggerManifest, encodeCurrentTriggerManifest } from './module-artifact.js';
import type { ArtifactContext } from './refs.js';

/** The owner's current manifest, or null; a dangling or undecodable one is `CorruptData` at its pointer. */
export function readCurrentTriggerManifest(ctx: ArtifactContext, ownerNamespace: string): CurrentTriggerManifest | null {
  const ref = ctx.refs.pointer(CURRENT_TRIGGER_MANIFEST_NAMESPACE, ownerNamespace);
  if (ref === null) return null;
  const key = `${CURRENT_TRIGGER_MANIFEST_NAMESPACE}/${ownerNamespace}`;
  const diagnostic = `current trigger manifest \`${ownerNamespace}\``;
  let bytes: Uint8Array | null;
  try {
    bytes = ctx.blobs.get(ref);
  } catch (error) {
    if (error instanceof LashStoreError && error.code === 'CorruptData') {
      throw corruptData(StoreError, 'artifact_refs', key, `${diagnostic} is undecodable: ${messageOf(error)}`, error);
    }
    throw error;
  }
  if (bytes === null) throw corruptData(StoreError, 'artifact_refs', key, `${diagnostic} points at a missing blob`);
  return decodeCurrentTriggerManifest(bytes, ownerNamespace);
}

function minus(a: readonly string[], b: readonly string[]): string[] {
  const drop = new Set(b);
  return a.filter((k) => !drop.has(k)).sort(compareCodePoints);
}

export function replaceTriggerManifestTx(
  ctx: ArtifactContext,
  tx: CommandTx,
  ownerNamespace: string,
  current: CurrentTriggerManifest,
): TriggerManifestReplacement {
  const previous = readCurrentTriggerManifest(ctx, ownerNamespace);
  const { ref } = ctx.blobs.put(BlobArtifactDescriptor.lashlangModule(), encodeCurrentTriggerManifest(current));
  if (ctx.refs.pointer(CURRENT_TRIGGER_MANIFEST_NAMESPACE, ownerNamespace) !== ref) {
    const data: TriggerManifestReplacedData = {
      ownerNamespace,
      previousModuleRef: previous?.moduleRef ?? null,
      currentModuleRef: current.moduleRef,
      blobRef: ref,
    };
    tx.emit({ stream: 'artifacts', type: TRIGGER_MANIFEST_REPLACED, data });
  }
  const keys = current.manifest.subscriptionKeys;
  const before = previous?.manifest.subscriptionKeys ?? null;
  return {
    previousModuleRef: previous?.moduleRef ?? null,
    currentModuleRef: current.moduleRef,
    diff: before === null ? { added: [], removed: [] } : { added: minus(keys, before), removed: minus(before, keys) },
  };
}
