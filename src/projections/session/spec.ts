/** The session database's projections: which tables replay owns and which handlers fill them. */
import { StoreError } from '../../errors.js';
import { composeProjector, type HandlerFactory } from '../handlers.js';
import type { ProjectionSpec } from '../types.js';
import { artifactHandlers } from './artifacts.js';
import { attachmentHandlers } from './attachments.js';
import { BLOB_STORED, BLOBS_COLLECTED } from './events.js';
import { headHandlers } from './head.js';
import { leaseHandlers } from './leases.js';
import { queuedWorkHandlers } from './queued-work.js';
import { turnInputHandlers } from './turn-input.js';

/**
 * Feature handler factories. Later features (queued work, turn input, attachments, artifacts)
 * register theirs here; each owns its event types.
 */
export const sessionHandlerFactories: HandlerFactory[] = [
  headHandlers,
  leaseHandlers,
  queuedWorkHandlers,
  turnInputHandlers,
  attachmentHandlers,
  artifactHandlers,
];

/** Projection tables of the session database, with their primary keys. */
export const sessionProjections: ProjectionSpec = {
  tables: [
    { name: 'session_head', key: ['id'] },
    { name: 'graph_nodes', key: ['seq'] },
    { name: 'usage_deltas', key: ['seq'] },
    { name: 'session_meta', key: ['id'] },
    { name: 'runtime_turn_commits', key: ['session_id', 'turn_id'] },
    { name: 'session_execution_leases', key: ['session_id'] },
    { name: 'sequence_counters', key: ['name'] },
    { name: 'queued_work_batches', key: ['batch_id'] },
    { name: 'queued_work_items', key: ['batch_id', 'ordinal'] },
    { name: 'pending_turn_inputs', key: ['input_id'] },
    { name: 'attachment_manifest', key: ['session_id', 'attachment_id'] },
    { name: 'artifact_refs', key: ['namespace', 'artifact_ref'] },
  ],
  createProjector: (db) => composeProjector(db, StoreError, sessionHandlerFactories, [BLOBS_COLLECTED, BLOB_STORED]),
};
