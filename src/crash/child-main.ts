/**
 * Entry point of a crash-campaign child process (`node dist/src/crash/child-main.js`, or with
 * `--import tsx` from the sources): reads its configuration from `LASH_CRASH_CHILD` and runs.
 */
import { CHILD_CONFIG_ENV, type ChildConfig, runCrashChild } from './child.js';

const raw = process.env[CHILD_CONFIG_ENV];
if (!raw) {
  process.stderr.write(`${CHILD_CONFIG_ENV} is not set: this script is started by a crash campaign\n`);
  process.exit(2);
}
await runCrashChild(JSON.parse(raw) as ChildConfig);
