/**
 * `lash-store crash-campaign [--kills N] [--seed S] [--dir D]`: SIGKILL real child processes in the
 * middle of real writes and at every fault point, then prove from the data that nothing acknowledged
 * was lost and nothing diverged. Prints the report; exit status 1 on any violation.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCrashCampaign } from '../../crash/campaign.js';
import { formatCampaignReport } from '../../crash/report.js';
import { UsageError } from '../errors.js';

/** Options as commander parses them. */
export interface CrashCampaignCliOptions {
  kills?: string;
  seed?: string;
  dir?: string;
  children?: string;
  json?: boolean;
}

function positive(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 1) throw new UsageError(`--${name} must be a positive integer, got '${value}'`);
  return parsed;
}

/** Runs the campaign and prints its report; returns the exit status (1 on any lost or diverging data). */
export async function crashCampaignCommand(options: CrashCampaignCliOptions): Promise<number> {
  const kills = positive(options.kills, 'kills', 50);
  const children = positive(options.children, 'children', 2);
  const seed = options.seed ?? String(Date.now());
  let dir: string;
  let temporary = false;
  if (options.dir !== undefined) {
    dir = resolve(options.dir);
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`${dir} is not a folder`);
    if (existsSync(dir) && readdirSync(dir).length > 0) {
      throw new UsageError(`${dir} is not empty: a campaign needs a fresh folder (it checks every event from the first one)`);
    }
    mkdirSync(dir, { recursive: true });
  } else {
    dir = mkdtempSync(join(tmpdir(), 'lash-crash-'));
    temporary = true;
  }
  const progress = process.stderr.isTTY === true;
  const report = await runCrashCampaign({
    kills,
    seed,
    dir,
    children,
    onRound: (p) => {
      const line = `crash campaign: ${p.kills}/${p.targetKills} kills, ${p.acknowledged} acknowledged, lost ${p.lost}, divergences ${p.divergences}`;
      // A terminal gets one updating line; a log file gets a line every ten rounds.
      if (progress) process.stderr.write(`\r${line}`);
      else if (p.round % 10 === 9) process.stderr.write(`${line}\n`);
    },
    onFinding: (message) => process.stderr.write(`${progress ? '\n' : ''}${message}\n`),
  });
  if (progress) process.stderr.write('\n');
  if (temporary && report.ok) rmSync(dir, { recursive: true, force: true });
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatCampaignReport(report));
  if (!report.ok && temporary) process.stdout.write(`the databases are kept in ${dir} for inspection\n`);
  return report.ok ? 0 : 1;
}
