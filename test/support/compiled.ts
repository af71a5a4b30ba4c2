/**
 * Plain-JS copies of the sources for worker threads and child processes.
 *
 * A worker or child cannot load the TypeScript sources cheaply: `--import tsx` is not honoured for a
 * worker's entry on Node 20, and registering tsx inside each worker costs about a second of CPU, so
 * sixteen openers would take half a minute. Instead the sources and the worker scripts are
 * transpiled once (TypeScript `transpileModule`, no type check — `npm test` type-checks them) into
 * `node_modules/.cache/lash-event-store-tests`, mirroring the repository layout, so relative imports,
 * `better-sqlite3` and the package root holding `drizzle/` resolve as they do from the sources.
 * Files are rewritten only when their source is newer, each through a rename, so test files that
 * run in parallel can share the cache.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OUT = join(ROOT, 'node_modules', '.cache', 'lash-event-store-tests');
const FOLDERS = ['src', join('test', 'support', 'workers')];

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function outputOf(source: string): string {
  return join(OUT, relative(ROOT, source)).replace(/\.ts$/, '.js');
}

function writeAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}

let ready: Promise<void> | undefined;

async function compileAll(): Promise<void> {
  const stale = FOLDERS.flatMap((folder) => tsFiles(join(ROOT, folder))).filter((source) => {
    const output = outputOf(source);
    return !existsSync(output) || statSync(output).mtimeMs < statSync(source).mtimeMs;
  });
  const marker = join(OUT, 'package.json');
  if (!existsSync(marker)) writeAtomically(marker, '{ "type": "module" }\n');
  if (stale.length === 0) return;
  const ts = (await import('typescript')).default;
  for (const source of stale) {
    const { outputText } = ts.transpileModule(readFileSync(source, 'utf8'), {
      fileName: source,
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        isolatedModules: true,
        verbatimModuleSyntax: false,
      },
    });
    writeAtomically(outputOf(source), outputText);
  }
}

/** The absolute path of the compiled JS for `source` (a path relative to the repository root). */
export async function compiledScript(source: string): Promise<string> {
  ready ??= compileAll();
  await ready;
  const output = outputOf(join(ROOT, source));
  if (!existsSync(output)) throw new Error(`no compiled script for ${source}`);
  return output;
}
