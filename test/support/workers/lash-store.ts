/** The `lash-store` command line as a child process: `node lash-store.js <args…>` (compiled by `compiled.ts`). */
import { main } from '../../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
