/**
 * `lash-store crash-campaign` end to end, from the TypeScript sources: children start with
 * `node --import tsx` (the default launcher for sources), the report is printed, the exit status
 * says whether anything was lost or diverged; usage mistakes exit 2 with one line.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { campaignDir } from './support.js';

function capture(): { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
  return { out: () => out, err: () => err };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('lash-store crash-campaign', () => {
  test('runs a small campaign with tsx children and prints a passing report', async () => {
    const dir = join(campaignDir(), 'campaign');
    const io = capture();
    const status = await main(['crash-campaign', '--kills', '2', '--seed', 'cli', '--dir', dir]);
    vi.restoreAllMocks();
    expect(io.out()).toMatch(/^kills {15}2 /m);
    expect(io.out()).toMatch(/^lost {16}0$/m);
    expect(io.out()).toMatch(/^divergences {9}0$/m);
    expect(io.out()).toMatch(/^result {14}PASS$/m);
    expect(io.out()).toContain('beforeAppend');
    expect(status).toBe(0);
  }, 180_000);

  test('--json prints the report as JSON', async () => {
    const dir = join(campaignDir(), 'campaign');
    const io = capture();
    const status = await main(['crash-campaign', '--kills', '1', '--children', '1', '--seed', 'json', '--dir', dir, '--json']);
    vi.restoreAllMocks();
    const report = JSON.parse(io.out()) as {
      ok: boolean;
      kills: number;
      seed: string;
      faultPoints: Record<string, { fired: number }>;
    };
    expect(report).toMatchObject({ ok: true, kills: 1, seed: 'json' });
    expect(report.faultPoints.beforeAppend?.fired).toBe(1);
    expect(status).toBe(0);
  }, 180_000);

  test('a folder that is not empty is refused with exit status 2', async () => {
    const dir = campaignDir();
    mkdirSync(join(dir, 'sessions'));
    writeFileSync(join(dir, 'sessions', 'old.db'), '');
    const io = capture();
    const status = await main(['crash-campaign', '--kills', '1', '--dir', dir]);
    vi.restoreAllMocks();
    expect(status).toBe(2);
    expect(io.err()).toBe(
      `lash-store: ${dir} is not empty: a campaign needs a fresh folder (it checks every event from the first one)\n`,
    );
  });

  test('a kill count that is not a positive integer is refused with exit status 2', async () => {
    const io = capture();
    const status = await main(['crash-campaign', '--kills', 'many']);
    vi.restoreAllMocks();
    expect(status).toBe(2);
    expect(io.err()).toBe("lash-store: --kills must be a positive integer, got 'many'\n");
  });
});
