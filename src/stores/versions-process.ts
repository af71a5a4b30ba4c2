/** Record schema versions of the process registry database (30-process-registry §2.4). */
export { PROCESS_SCHEMA_VERSION } from '../sqlite/kinds.js';
/** Version stamped on every `ProcessLease`. */
export const PROCESS_LEASE_SCHEMA_VERSION = 1;
