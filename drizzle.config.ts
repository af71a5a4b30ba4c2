/**
 * drizzle-kit configuration. Each database kind has its own schema file and DDL folder;
 * `LASH_DB_KIND` picks one (default: session). `scripts/check-drizzle.mjs` regenerates every kind
 * and fails when `drizzle/` is out of date with `schema/`.
 */
import { defineConfig } from 'drizzle-kit';

const kind = process.env.LASH_DB_KIND ?? 'session';

export default defineConfig({
  dialect: 'sqlite',
  schema: `./schema/${kind}.ts`,
  out: `./drizzle/${kind}`,
});
