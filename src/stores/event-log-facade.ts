/**
 * The event-log API (00-overview §3.1) every store facade offers. It is the same five calls on the
 * engine for every database kind, so the facades inherit it instead of each repeating it.
 */
import type { Observable } from 'rxjs';
import type { EventSourcedDatabase } from '../events/database.js';
import type {
  CompactOptions,
  CompactReport,
  EventsObservableOptions,
  ReadEventsOptions,
  StoredEvent,
  VerifyReport,
} from '../events/types.js';

/** Base class of the store facades: the event-log API over the facade's engine. */
export abstract class EventLogFacade {
  /** The engine of this handle. */
  protected abstract eventLogEngine(): EventSourcedDatabase;

  /** Committed events after `afterSeq` (default 0), optionally of one stream. */
  async readEvents(options?: ReadEventsOptions): Promise<StoredEvent[]> {
    const engine = this.eventLogEngine();
    return engine.op(() => engine.readEvents(options));
  }

  /** Every committed event after `afterSeq`, then live; completes when the handle closes. */
  events$(options?: EventsObservableOptions): Observable<StoredEvent> {
    const engine = this.eventLogEngine();
    engine.assertOpen();
    return engine.events$(options);
  }

  /** Drops and re-derives every projection from the latest snapshot and the log. */
  async rebuildProjections(): Promise<{ eventCount: number }> {
    const engine = this.eventLogEngine();
    return engine.op(() => engine.rebuildProjections());
  }

  /** Re-derives the projections into a scratch database and reports every difference. */
  async verifyProjections(): Promise<VerifyReport> {
    const engine = this.eventLogEngine();
    return engine.op(() => engine.verifyProjections());
  }

  /** Snapshots projections as of `throughSeq`, optionally archives the events, then deletes them. */
  async compactEventLog(options: CompactOptions): Promise<CompactReport> {
    const engine = this.eventLogEngine();
    return engine.op(() => engine.compactEventLog(options));
  }
}
