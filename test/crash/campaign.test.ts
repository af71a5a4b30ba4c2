/**
 * The CI crash campaign: at least 50 SIGKILLed child processes, two at a time on one set of
 * databases, every fault point armed in turn and the rest killed at seeded moments; after every
 * round the databases are reopened and checked, and at the end every acknowledged operation is
 * checked again against the final state.
 */
import { expect, test } from 'vitest';
import { runCrashCampaign } from '../../src/crash/campaign.js';
import { FAULT_POINTS } from '../../src/index.js';
import { campaignDir, compiledLauncher } from './support.js';

test('50 kills across every fault point: nothing acknowledged lost, nothing diverged', async () => {
  const report = await runCrashCampaign({ kills: 50, seed: 'ci', dir: campaignDir(), launcher: await compiledLauncher() });
  expect(report.violations).toEqual([]);
  expect(report.lost).toBe(0);
  expect(report.divergences).toBe(0);
  expect(report.ok).toBe(true);
  expect(report.kills).toBe(50);
  for (const point of FAULT_POINTS) expect(report.faultPoints[point].fired, point).toBeGreaterThan(0);
  expect(report.killsByCause.timed).toBeGreaterThan(0);
  // The workload really ran: commits, leases, queue, blobs, compactions, pending turn input (enqueue,
  // every claim kind, abandon, cancel by id or key and by suffix), queued-work cancels, node
  // tombstones, vacuums, attachments (puts, reclamation) and process wakes and waits (wake appends,
  // wake acks, wait set and clear) were acknowledged.
  for (const op of [
    'commit',
    'claimLease',
    'enqueue',
    'putBlob',
    'putCheckpoint',
    'saveMeta',
    'compact',
    'enqueueInput',
    'claimActiveInputs',
    'claimNextInputs',
    'claimCheckpointWork',
    'abandonInputs',
    'putAttachment',
    'reclaimAttachments',
    'cancelInputs',
    'cancelInputSuffix',
    'cancelWork',
    'tombstoneNodes',
    'vacuum',
    'appendWake',
    'ackWake',
    'setWait',
    'clearWait',
  ]) {
    expect(report.acknowledgedByOp[op] ?? 0, op).toBeGreaterThan(0);
  }
  // …and reached the log: inputs were claimed, completed by commits, deferred by interrupts and given
  // back; attachments were adopted by commits, both listed explicitly and stamped by their turn.
  for (const counter of [
    'turnInputs.claimed',
    'turnInputs.completed',
    'turnInputs.deferred',
    'turnInputs.abandoned',
    'turnInputs.cancelled',
    'queuedWork.cancelled',
    'nodes.tombstoned',
    'vacuum.inputs',
    'attachments.adopted',
    'attachments.adoptedByTurn',
  ]) {
    expect(report.counters[counter] ?? 0, counter).toBeGreaterThan(0);
  }
  // Killed holders' leases were reclaimed at once, and in-flight operations were retried.
  expect(report.counters['recoveries.leaseReclaims'] ?? 0).toBeGreaterThan(0);
  expect(report.inFlight.length).toBeGreaterThan(0);
  expect(report.counters['events.delivered']).toBe(report.counters['events.total']);
}, 600_000);
