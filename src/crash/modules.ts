/**
 * The workload modules a campaign runs by default, one per store kind that has landed. A new store
 * adds its module here (child side + verifier) and every campaign covers it from then on.
 */

import { effectWorkloadModule } from './effect-workload.js';
import type { WorkloadModule } from './module.js';
import { processWorkloadModule } from './process-workload.js';
import { openSessionChild } from './session-child.js';
import { SESSION_MODULE } from './session-shared.js';
import { openSessionVerifier } from './session-verifier.js';
import { triggerWorkloadModule } from './trigger-workload.js';

/** The session store: leases, commits, queued work, blobs, checkpoints, metadata, compaction. */
export const sessionWorkloadModule: WorkloadModule = {
  name: SESSION_MODULE,
  openVerifier: openSessionVerifier,
  openChild: openSessionChild,
};

/** Every module, by name. */
export const CRASH_MODULES: readonly WorkloadModule[] = [
  sessionWorkloadModule,
  processWorkloadModule,
  effectWorkloadModule,
  triggerWorkloadModule,
];

/** The modules named (all when `names` is empty); an unknown name is an error. */
export function crashModulesNamed(names: readonly string[]): WorkloadModule[] {
  if (names.length === 0) return [...CRASH_MODULES];
  return names.map((name) => {
    const found = CRASH_MODULES.find((m) => m.name === name);
    if (!found)
      throw new Error(`unknown crash workload module '${name}' (known: ${CRASH_MODULES.map((m) => m.name).join(', ')})`);
    return found;
  });
}
