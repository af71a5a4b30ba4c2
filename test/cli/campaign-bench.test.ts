/**
 * `lash-store crash-campaign` and `lash-store bench` as OS processes. The campaign runs tiny (one
 * kill, one child) and its databases are checked with `lash-store verify`. The quick bench takes
 * about half a minute and needs `bench/node_modules`, so here it is only refused: with a bad round
 * count, and from an installation with no `bench/` or with `bench/` not installed.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { expectRefusal, inParallel, packageCopy, runCli, tempDir } from '../support/cli.js';

const TIMEOUT = 120_000;

function dbFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.db'))
    .map((name) => join(dir, name))
    .sort();
}

describe('crash-campaign', () => {
  test(
    'a one-kill campaign passes, prints its report (or JSON), and leaves databases that verify',
    async () => {
      const dir = join(tempDir(), 'campaign');
      const [text, json] = await inParallel(
        [
          () => runCli(['crash-campaign', '--kills', '1', '--children', '1', '--seed', 'cli-e2e', '--dir', dir]),
          () => runCli(['crash-campaign', '--kills', '1', '--children', '1', '--seed', 'cli-json', '--json']),
        ],
        2,
      );
      expect(text.stderr).toBe('');
      expect(text.status).toBe(0);
      expect(text.stdout).toMatch(/^seed {16}cli-e2e {3}\(rerun with --seed "cli-e2e"\)$/m);
      expect(text.stdout).toContain(`\nfolder              ${dir}\n`);
      expect(text.stdout).toMatch(/^kills {15}1 /m);
      expect(text.stdout).toMatch(/^rounds {14}1 × 1 children; modules: session, process, effect, trigger$/m);
      expect(text.stdout).toMatch(/^lost {16}0$/m);
      expect(text.stdout).toMatch(/^divergences {9}0$/m);
      expect(text.stdout).toMatch(/^result {14}PASS$/m);

      expect(json.stderr).toBe('');
      expect(json.status).toBe(0);
      const report = JSON.parse(json.stdout) as {
        ok: boolean;
        kills: number;
        seed: string;
        dir: string;
        childrenPerRound: number;
      };
      expect(report).toMatchObject({ ok: true, kills: 1, seed: 'cli-json', childrenPerRound: 1 });
      // Without --dir the campaign ran in a temporary folder, removed after the pass.
      expect(existsSync(report.dir)).toBe(false);

      // Every database the campaign's child wrote and survived its SIGKILL verifies clean.
      const files = dbFiles(dir);
      expect(files.map((f) => relative(dir, f))).toEqual([
        'effects/effects.db',
        'process/registry.db',
        'sessions/alpha.db',
        'sessions/beta.db',
        'sessions/gamma.db',
        'triggers/triggers.db',
      ]);
      const verified = await inParallel(files.map((f) => () => runCli(['verify', f])));
      for (const result of verified) {
        expect(result.stderr).toBe('');
        expect(result.stdout).toMatch(
          /^ok: (session|process registry|effect replay|trigger store) projections equal the replay of \d+ events\n$/,
        );
        expect(result.status).toBe(0);
      }
    },
    TIMEOUT,
  );
});

describe('bench', () => {
  test(
    'is refused with one line and exit 2: bad --rounds, no bench/ in the installation, bench/ not installed',
    async () => {
      const [bare, uninstalled] = await Promise.all([packageCopy({ benchSources: false }), packageCopy({ benchSources: true })]);
      const [rounds, noBench, notInstalled] = await inParallel([
        () => runCli(['bench', '--rounds', 'x']),
        () => runCli(['bench'], { entry: bare }),
        () => runCli(['bench', '--rounds', '2'], { entry: uninstalled }),
      ]);
      expectRefusal(rounds, 2, '--rounds must be a positive integer, got x');
      expectRefusal(
        noBench,
        2,
        'lash-store bench runs the suite in bench/ of a source checkout, which this installation does not include',
      );
      expectRefusal(
        notInstalled,
        2,
        'bench/ is not installed: run `npm --prefix bench ci --ignore-scripts` once (the quick subset needs no peer library build), or `npm run bench` for the whole suite',
      );
    },
    TIMEOUT,
  );
});
