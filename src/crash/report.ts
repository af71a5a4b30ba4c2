/** Plain-text rendering of a crash-campaign report, as `lash-store crash-campaign` prints it. */
import { FAULT_POINTS } from '../events/fault.js';
import type { CrashCampaignReport } from './campaign.js';

function n(counters: Record<string, number>, name: string): number {
  return counters[name] ?? 0;
}

/** The report as aligned lines: figures first, then every recorded violation. */
export function formatCampaignReport(report: CrashCampaignReport): string {
  const c = report.counters;
  const k = report.killsByCause;
  const o = report.operations;
  const lines: string[] = [];
  const row = (label: string, value: string | number) => lines.push(`${label.padEnd(20)}${value}`);
  row('seed', `${report.seed}   (rerun with --seed ${JSON.stringify(report.seed)})`);
  row('folder', report.dir);
  row(
    'kills',
    `${report.kills}  (at fault points ${k.faultPoint}, timed ${k.timed}, during start-up ${k.startup}, safety ${k.safety})`,
  );
  row('rounds', `${report.rounds} × ${report.childrenPerRound} children; modules: ${report.modules.join(', ')}`);
  row(
    'operations',
    `${o.begun} begun, ${o.acknowledged} acknowledged, ${o.failedAsExpected} refused as specified, ${o.inFlightAtKill} in flight at a kill`,
  );
  row('lost', report.lost);
  row('divergences', report.divergences);
  row(
    'recoveries',
    `${n(c, 'recoveries.rounds')} rounds, ${n(c, 'recoveries.databases')} database reopenings, ` +
      `${n(c, 'recoveries.leaseReclaims')} dead-holder lease reclaims by the campaign, ${n(c, 'recoveries.leaseReclaimsByChildren')} by children`,
  );
  const committed = report.inFlight.filter((f) => f.committedBeforeKill === true).length;
  const notCommitted = report.inFlight.filter((f) => f.committedBeforeKill === false).length;
  row(
    'in flight at kills',
    `${report.inFlight.length} resolved: ${committed} had committed, ${notCommitted} had not, ${report.inFlight.length - committed - notCommitted} cannot be told apart`,
  );
  row(
    'in-flight retries',
    `${n(c, 'retries.replayed')} replayed the stored result, ${n(c, 'retries.committed')} committed, ` +
      `${n(c, 'retries.conflicted')} conflicted as specified, ${n(c, 'retries.idempotent')} idempotent, ` +
      `${n(c, 'retries.notRetried')} left to the lease reclaim`,
  );
  row(
    'events',
    `${n(c, 'events.total')} appended, ${n(c, 'events.compacted')} compacted into archives, ` +
      `${n(c, 'events.delivered')} delivered by events$ (${n(c, 'events.compactedBeforeDelivery')} compacted before delivery)`,
  );
  if (report.modules.includes('session')) {
    row(
      'turn inputs',
      `${n(c, 'turnInputs.enqueued')} enqueued, ${n(c, 'turnInputs.claimed')} claimed, ` +
        `${n(c, 'turnInputs.completed')} completed by commits, ${n(c, 'turnInputs.deferred')} deferred by interrupts, ` +
        `${n(c, 'turnInputs.abandoned')} given back by abandons, ${n(c, 'turnInputs.cancelled')} cancelled`,
    );
    row(
      'maintenance',
      `${n(c, 'queuedWork.cancelled')} batches cancelled, ${n(c, 'nodes.tombstoned')} nodes tombstoned; ` +
        `vacuums deleted ${n(c, 'vacuum.nodes')} nodes and ${n(c, 'vacuum.inputs')} terminal inputs`,
    );
    row(
      'attachments',
      `${n(c, 'attachments.intents')} intents, ${n(c, 'attachments.adopted')} adopted by commits ` +
        `(${n(c, 'attachments.adoptedByTurn')} by their turn's stamp), ${n(c, 'attachments.reconciled')} orphan intents reconciled`,
    );
  }
  lines.push(`${'fault point'.padEnd(32)}armed  fired`);
  for (const point of FAULT_POINTS) {
    const f = report.faultPoints[point];
    lines.push(`  ${point.padEnd(30)}${String(f.armed).padStart(5)}  ${String(f.fired).padStart(5)}`);
  }
  const byOp = Object.entries(report.acknowledgedByOp)
    .sort((a, b) => b[1] - a[1])
    .map(([op, count]) => `${op} ${count}`)
    .join(', ');
  row('acknowledged by op', byOp || 'none');
  const m = report.machine;
  row(
    'wall time',
    `${(report.wallMs / 1000).toFixed(1)} s on ${m.cpus} × ${m.cpuModel}, ${m.platform}, node ${m.node}, ${m.memoryGiB} GiB`,
  );
  row('result', report.ok ? 'PASS' : 'FAIL');
  for (const v of report.violations) lines.push(`  ${v}`);
  if (report.violations.length < report.lost + report.divergences) {
    lines.push(`  … and ${report.lost + report.divergences - report.violations.length} more`);
  }
  return `${lines.join('\n')}\n`;
}
