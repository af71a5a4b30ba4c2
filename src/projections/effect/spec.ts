/** The effect database's projections: which tables replay owns and which handlers fill them. */
import { EffectHostError } from '../../errors.js';
import { composeProjector } from '../handlers.js';
import type { ProjectionSpec } from '../types.js';
import { awaitEventHandlers } from './await-events.js';
import { journalHandlers } from './journal.js';

/** Projection tables of the effect database (`await_event_meta` is not one: it holds the secret). */
export const effectProjections: ProjectionSpec = {
  tables: [
    { name: 'runtime_effect_replay', key: ['scope_key', 'replay_key'] },
    { name: 'await_event_waits', key: ['key_id'] },
    { name: 'await_event_revoked_sessions', key: ['session_id'] },
  ],
  createProjector: (db) => composeProjector(db, EffectHostError, [journalHandlers, awaitEventHandlers]),
};
