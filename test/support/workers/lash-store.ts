/**
 * The `lash-store` command line as a child process: `node lash-store.js <args…>` (compiled by
 * `compiled.ts`). It does what `bin/lash-store.js` does, from the sources instead of `dist/`.
 */
import { main } from '../../../src/cli/main.js';

// A closed pipe (`lash-store events db | head`) ends the command quietly, as Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
