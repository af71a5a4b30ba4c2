/**
 * Session database file naming and removal (20-blobs-attachments-lifecycle §6.2, §6.3, §6.6), used
 * by the process registry's prune to delete process-owned session stores. One implementation serves
 * both: it lives with the session store factory, and this module keeps the registry's import path.
 */
export { deleteSessionFiles, processRuntimeSessionIds, safeSessionDbFileName } from './session-store-factory.js';
