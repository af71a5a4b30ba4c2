/**
 * A crash-campaign child: opens the campaign's databases with every workload module and runs the
 * seeded workload until the parent (or an armed fault point) SIGKILLs it, reporting every operation
 * on file descriptor 3 (`begin` before, `ack`/`fail` after).
 */
import { isLashStoreError } from '../errors.js';
import { localProcessIdentity } from '../leases/liveness.js';
import type { ChildContext, ChildWorkload, OperationOutcome, OperationSpec } from './module.js';
import { crashModulesNamed } from './modules.js';
import { Prng } from './prng.js';
import { digestOf, sendMessage, toWire } from './protocol.js';

/** The environment variable carrying a child's configuration (JSON). */
export const CHILD_CONFIG_ENV = 'LASH_CRASH_CHILD';

/** What a child is told to do. */
export interface ChildConfig {
  dir: string;
  seed: string;
  round: number;
  child: number;
  hostId: string;
  /** Workload module names (all when empty). */
  modules: string[];
  /** Weights to favour, e.g. `compaction` when a compaction fault point is armed. */
  focus: string[];
  /** A guard only: a child normally dies long before. */
  maxSteps: number;
}

/** Runs the workload until killed; returns only after `maxSteps` steps (a parent that stopped killing). */
export async function runCrashChild(config: ChildConfig): Promise<void> {
  const rng = new Prng(config.seed);
  const identity = localProcessIdentity(
    `crash-child-${config.child}`,
    `r${config.round}c${config.child}p${process.pid}`,
    config.hostId,
  );
  let counter = 0;
  const ctx: ChildContext = {
    dir: config.dir,
    rng,
    identity,
    hostId: config.hostId,
    round: config.round,
    child: config.child,
    focus: new Set(config.focus),
    nextOpId: () => `r${config.round}c${config.child}o${counter++}`,
    async run<T>(spec: OperationSpec<T>): Promise<OperationOutcome<T>> {
      sendMessage({
        t: 'begin',
        id: spec.id,
        module: spec.module,
        db: spec.db,
        op: spec.op,
        digest: digestOf(spec.args),
        args: toWire(spec.args),
      });
      let value: T;
      try {
        value = await spec.exec();
      } catch (error) {
        const expected = spec.expectedError?.(error) ?? false;
        const code = isLashStoreError(error) ? error.code : 'Error';
        const message = error instanceof Error ? error.message : String(error);
        sendMessage({ t: 'fail', id: spec.id, code, message, expected });
        return { ok: false, error, expected };
      }
      sendMessage({ t: 'ack', id: spec.id, result: toWire(spec.summarize(value)) });
      return { ok: true, value };
    },
    violation: (message) => sendMessage({ t: 'violation', message }),
  };
  const workloads: ChildWorkload[] = [];
  for (const module of crashModulesNamed(config.modules)) workloads.push(await module.openChild(ctx));
  const weights: Record<string, number> = {};
  workloads.forEach((w, i) => {
    weights[String(i)] = w.weight;
  });
  sendMessage({ t: 'ready', pid: process.pid });
  for (let step = 0; step < config.maxSteps; step++) {
    const workload = workloads[Number(rng.weighted(weights))] as ChildWorkload;
    await workload.step();
  }
  for (const w of workloads) await w.close();
}
