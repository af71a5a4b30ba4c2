/**
 * One focused campaign per fault point: a single child armed with the point, killed there, then the
 * recovery. Besides the campaign's own checks (nothing acknowledged lost, projections equal to the
 * log, no partial commit, feed without skips or repeats), each point decides whether the operation
 * in flight had committed: a kill before the commit leaves no trace of it and its retry commits; a
 * kill after the commit leaves all of it and its retry replays or conflicts as the spec says.
 */
import { describe, expect, test } from 'vitest';
import { type CrashCampaignReport, runCrashCampaign } from '../../src/crash/campaign.js';
import { FAULT_POINTS, type FaultPoint } from '../../src/index.js';
import { campaignDir, compiledLauncher } from './support.js';

/** Points inside the transaction or before the compaction's delete: the in-flight operation never commits. */
const BEFORE_COMMIT: readonly FaultPoint[] = [
  'beforeAppend',
  'afterAppendBeforeProjection',
  'afterProjectionBeforeCommit',
  'insideBlobWrite',
  'compactBeforeArchiveFsync',
  'compactAfterArchiveFsync',
];

/**
 * Single-transaction operations whose history tells for sure whether they had committed (an effect
 * execution is several transactions, so a point "after commit" may follow only its claim).
 */
const DECIDABLE = new Set(['commit', 'compact', 'enqueue', 'saveMeta', 'putAttachment', 'append', 'command', 'ingest']);

async function focused(point: FaultPoint, attempt: number): Promise<CrashCampaignReport> {
  return runCrashCampaign({
    kills: 1,
    children: 1,
    faultPoints: [point],
    seed: `focus:${point}:${attempt}`,
    dir: campaignDir(),
    launcher: await compiledLauncher(),
  });
}

describe('each fault point, alone', () => {
  for (const point of FAULT_POINTS) {
    test(`a kill at ${point} loses nothing and its in-flight operation retries as specified`, async () => {
      // A single child's workload is a function of its seed, so the operation the point interrupts is
      // too; take the first seed whose interrupted operation leaves a decidable trace.
      let report = await focused(point, 0);
      for (let attempt = 1; attempt < 6 && !DECIDABLE.has(report.inFlight[0]?.op ?? ''); attempt++) {
        expect(report.violations).toEqual([]);
        report = await focused(point, attempt);
      }
      expect(report.violations).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.faultPoints[point]).toEqual({ armed: 1, fired: 1 });
      expect(report.operations.acknowledged).toBeGreaterThan(0);
      // The point fires inside a reported operation: exactly one was in flight, and recovery resolved it.
      expect(report.operations.inFlightAtKill).toBe(1);
      expect(report.inFlight).toHaveLength(1);
      const inFlight = report.inFlight[0] as CrashCampaignReport['inFlight'][number];
      expect(DECIDABLE.has(inFlight.op), `interrupted ${inFlight.op}`).toBe(true);
      if (BEFORE_COMMIT.includes(point)) {
        expect(inFlight.committedBeforeKill).toBe(false);
        expect(['committed', 'conflicted']).toContain(inFlight.outcome);
      } else {
        expect(inFlight.committedBeforeKill).toBe(true);
        expect(['replayed', 'conflicted', 'idempotent']).toContain(inFlight.outcome);
      }
      if (point.startsWith('compact')) {
        // The compaction had not deleted anything; its retry does, and its archive is complete.
        expect(inFlight).toMatchObject({ op: 'compact', committedBeforeKill: false, outcome: 'committed' });
      }
    }, 180_000);
  }
});
