/**
 * The trigger part of the demo: a session subscribes to CI build failures in a `SqliteTriggerStore`,
 * an occurrence arrives, and the store reserves one delivery (a process to start) for it.
 */
import type { SqliteTriggerStore, TriggerDeliveryReservation } from '../../index.js';

/** What the trigger workload did. */
export interface TriggerTally {
  subscriptions: number;
  occurrences: number;
  deliveries: TriggerDeliveryReservation[];
}

const sessionId = 'review-agent';

export async function runTriggers(store: SqliteTriggerStore): Promise<TriggerTally> {
  const ownerScope = { kind: 'session' as const, sessionId };
  const registered = await store.executeCommand('demo:subscribe-ci', {
    kind: 'register',
    ownerScope,
    actor: { kind: 'session', scope: { sessionId, agentFrameId: null } },
    draft: {
      subscriptionKey: 'ci-failures',
      envRef: `process-env:${sessionId}`,
      wakeTarget: { sessionId, agentFrameId: null },
      name: 'triage-ci-failure',
      sourceType: 'ci.build.finished',
      sourceKey: 'repo:main',
      source: { repo: 'main' },
      payloadSchema: {
        type: 'object',
        properties: { status: { type: 'string' }, build: { type: 'integer' } },
        required: ['status', 'build'],
        additionalProperties: false,
      },
      target: { kind: 'engine', engineKind: 'lashlang', payload: { process: 'triage' } },
      targetIdentity: { kind: 'lashlang', label: 'triage', definition: { processName: 'triage' } },
      eventTypes: [],
      inputTemplate: { event: { kind: 'event' } },
      targetLabel: 'triage',
    },
  });
  if (registered.kind !== 'ok') throw new Error(`trigger registration failed: ${JSON.stringify(registered)}`);
  const ingress = await store.ingestOccurrence({
    sourceType: 'ci.build.finished',
    sourceKey: 'repo:main',
    payload: { status: 'failed', build: 1042 },
    idempotencyKey: 'ci:build-1042',
    source: { repo: 'main' },
  });
  const deliveries = await store.listDeliveriesByOccurrenceId(ingress.occurrence.occurrenceId);
  return { subscriptions: (await store.listSubscriptions({ sessionId })).records.length, occurrences: 1, deliveries };
}
