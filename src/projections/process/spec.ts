/** The process registry's projections: which tables replay owns and which handlers fill them. */
import { ProcessRegistryError } from '../../errors.js';
import { composeProjector } from '../handlers.js';
import type { ProjectionSpec } from '../types.js';
import { processHandlers } from './handlers.js';

/** Projection tables with their primary keys; `processes` first so snapshot restores satisfy the foreign keys. */
export const processProjections: ProjectionSpec = {
  tables: [
    { name: 'processes', key: ['process_id'] },
    { name: 'process_events', key: ['process_id', 'sequence'] },
    { name: 'process_wake_acks', key: ['process_id', 'sequence'] },
    { name: 'process_handle_grants', key: ['scope_id', 'process_id'] },
    { name: 'process_leases', key: ['process_id'] },
    { name: 'process_segment_handovers', key: ['process_id', 'segment_ordinal'] },
  ],
  createProjector: (db) => composeProjector(db, ProcessRegistryError, [processHandlers]),
};
