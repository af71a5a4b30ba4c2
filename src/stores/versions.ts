/** Record schema versions of the session database (10-session-store §2.3). */
export { SESSION_SCHEMA_VERSION } from '../sqlite/kinds.js';
/** Version stamped on every checkpoint manifest. */
export const SESSION_CHECKPOINT_SCHEMA_VERSION = 1;
/** Version stamped on the head record. */
export const SESSION_HEAD_META_SCHEMA_VERSION = 1;
