#!/usr/bin/env node
// The lash-store command line; the code lives in dist/src/cli (built by `npm run build`).
import { main } from '../dist/src/cli/main.js';

// A closed pipe (`lash-store events db | head`) ends the command quietly, as Unix tools do.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
