/** What a database kind tells the generic replay machinery about its projections. */
import type { StoredEvent } from '../events/types.js';
import type { Db } from '../sqlite/open.js';

/** Applies events to projection tables; the same code runs for live commands and for replay. */
export interface Projector {
  apply(event: StoredEvent): void;
}

/** A projection table and the columns that identify a row (its primary key), in order. */
export interface ProjectionTable {
  name: string;
  key: string[];
}

/** The projections of one database kind. */
export interface ProjectionSpec {
  /** Every projection table; rebuild clears them and replay refills them. */
  tables: readonly ProjectionTable[];
  /** Prepares a projector bound to `db` (the live connection or a scratch one). */
  createProjector(db: Db): Projector;
}
