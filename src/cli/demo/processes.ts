/**
 * The process part of the demo: background jobs in a `SqliteProcessRegistry`, registered, watched
 * (`watchProcess`), awaited (`awaitTerminal`), reporting progress events and completing.
 */
import { type ProcessAwaitOutput, ProcessRegistration, type SqliteProcessRegistry } from '../../index.js';

/** What the process workload did. */
export interface ProcessTally {
  registered: number;
  events: number;
  completed: number;
  watchUpdates: number;
  awaited: ProcessAwaitOutput[];
}

const progress = { name: 'job.progress', payloadSchema: {}, semantics: { terminal: null, wake: null } };

/** Runs `count` background jobs to completion on `registry`; calls `tick` after each. */
export async function runProcesses(registry: SqliteProcessRegistry, count: number, tick: () => void): Promise<ProcessTally> {
  const tally: ProcessTally = { registered: 0, events: 0, completed: 0, watchUpdates: 0, awaited: [] };
  const jobs = Array.from({ length: count }, (_, i) => `job-${i}`);
  const watched: Promise<void>[] = [];
  const terminals: Promise<ProcessAwaitOutput>[] = [];
  for (const id of jobs) {
    await registry.registerProcess(
      ProcessRegistration.withExtraEventTypes(
        ProcessRegistration.create(id, { kind: 'external', metadata: { command: `npm test --shard=${id}` } }, 'externallyOwned', {
          originator: { kind: 'session', scope: { sessionId: 'coding-agent', agentFrameId: null } },
          causedBy: null,
        }),
        [progress],
      ),
    );
    tally.registered++;
    // A UI watching the job sees its current record, then every change, until it is terminal.
    watched.push(
      new Promise((resolve, reject) => {
        registry.watchProcess(id).subscribe({ next: () => tally.watchUpdates++, error: reject, complete: resolve });
      }),
    );
    terminals.push(registry.awaitTerminal(id, { signal: AbortSignal.timeout(30_000) }));
  }
  for (const [i, id] of jobs.entries()) {
    for (let step = 1; step <= 3; step++) {
      await registry.appendEvent(id, {
        eventType: 'job.progress',
        payload: { step, of: 3 },
        replay: { key: `${id}:progress:${step}` },
        wakeTargetScope: null,
      });
      tally.events++;
    }
    await registry.completeProcess(
      id,
      { kind: 'success', value: { passed: 40 + i, failed: 0 }, control: null },
      { kind: 'externalOwner', grantedTo: 'demo-runner' },
    );
    tally.completed++;
    tick();
  }
  tally.awaited = await Promise.all(terminals);
  await Promise.all(watched);
  return tally;
}
