/** Projectors built from per-feature handler maps, so each feature owns the events it projects. */

import { type AreaErrorClass, corruptData } from '../errors.js';
import { EVENT_LOG_COMPACTED } from '../events/database.js';
import type { StoredEvent } from '../events/types.js';
import type { JsonValue } from '../json.js';
import type { Db } from '../sqlite/open.js';
import type { Projector } from './types.js';

/** Applies one event type's payload to the projection tables. */
export type EventHandler = (data: JsonValue, event: StoredEvent) => void;
/** Handlers by event type. */
export type HandlerMap = Record<string, EventHandler>;
/** Builds a feature's handlers bound to a connection. */
export type HandlerFactory = (db: Db) => HandlerMap;

/** Event types that are audit records only: no projection reads them. */
const AUDIT_ONLY = new Set([EVENT_LOG_COMPACTED]);

/** A projector dispatching on event type; an unknown type is corrupt data, never skipped. */
export function composeProjector(db: Db, cls: AreaErrorClass, factories: HandlerFactory[], auditOnly: string[] = []): Projector {
  const handlers: HandlerMap = {};
  for (const factory of factories) Object.assign(handlers, factory(db));
  const ignored = new Set([...AUDIT_ONLY, ...auditOnly]);
  return {
    apply(event: StoredEvent): void {
      const handler = handlers[event.type];
      if (handler) handler(event.data, event);
      else if (!ignored.has(event.type)) {
        throw corruptData(cls, 'events', String(event.seq), `unknown event type ${event.type}`);
      }
    },
  };
}
