/** Shapes of artifact refs and the lashlang module artifact store (20-blobs-attachments-lifecycle §1, §5). */
import type { JsonValue } from '../json.js';

/** The trigger subscription keys a module declares. */
export interface TriggerKeyManifest {
  subscriptionKeys: string[];
}

/** An opaque JSON object with a content-derived `moduleRef` (e.g. `lashlang:v1:sha256:<hex>`). */
export interface ModuleArtifact {
  moduleRef: string;
  triggerKeyManifest?: TriggerKeyManifest | null;
  [field: string]: JsonValue | TriggerKeyManifest | undefined;
}

/** The trigger manifest currently installed for an owner namespace. */
export interface CurrentTriggerManifest {
  moduleRef: string;
  manifest: TriggerKeyManifest;
}

/** What replacing the current trigger manifest changed; `added`/`removed` sorted ascending, no duplicates. */
export interface TriggerManifestReplacement {
  previousModuleRef: string | null;
  currentModuleRef: string;
  diff: { added: string[]; removed: string[] };
}
