/**
 * `events$`: every committed event after a cursor, in seq order, then live. Events committed through
 * this handle are pushed right after their transaction commits (no polling); events committed by
 * other connections or OS processes are found by polling `PRAGMA data_version`, which changes only
 * when another connection commits — a one-row pragma, so idle polling costs almost nothing.
 */
import { Observable, type Subscriber } from 'rxjs';
import type { EventLog } from '../events/log.js';
import type { StoredEvent } from '../events/types.js';
import type { Db } from '../sqlite/open.js';

const PAGE = 500;

/** Default interval at which other connections' commits are looked for. */
export const DEFAULT_POLL_INTERVAL_MS = 50;

interface Listener {
  onLocal(events: readonly StoredEvent[]): void;
  complete(): void;
}

/** The live event feed of one handle. */
export class EventFeed {
  readonly #listeners = new Set<Listener>();
  #closed = false;

  constructor(
    private readonly db: Db,
    private readonly log: EventLog,
  ) {}

  /** Called after a transaction commits with the events it appended. */
  publish(events: readonly StoredEvent[]): void {
    if (events.length === 0) return;
    for (const listener of this.#listeners) listener.onLocal(events);
  }

  /** Completes every subscriber; called by the handle's `close()`. */
  close(): void {
    this.#closed = true;
    for (const listener of [...this.#listeners]) listener.complete();
    this.#listeners.clear();
  }

  /** The observable of `events$`. */
  events$(afterSeq = 0, pollIntervalMs = DEFAULT_POLL_INTERVAL_MS): Observable<StoredEvent> {
    return new Observable<StoredEvent>((subscriber: Subscriber<StoredEvent>) => {
      if (this.#closed) {
        subscriber.complete();
        return;
      }
      let last = Math.max(0, Math.floor(afterSeq));
      let dataVersion = this.db.pragma('data_version', { simple: true }) as number;
      const drain = (): void => {
        for (;;) {
          const batch = this.log.read(last, PAGE);
          for (const event of batch) {
            last = event.seq;
            subscriber.next(event);
          }
          if (batch.length < PAGE) return;
        }
      };
      const guarded = (fn: () => void): void => {
        if (subscriber.closed || this.#closed) return;
        try {
          fn();
        } catch (error) {
          subscriber.error(error);
        }
      };
      const listener: Listener = {
        onLocal: (events) =>
          guarded(() => {
            const first = events[0] as StoredEvent;
            if (first.seq === last + 1) {
              for (const event of events) {
                last = event.seq;
                subscriber.next(event);
              }
            } else if (first.seq > last) {
              drain();
            }
          }),
        complete: () => subscriber.complete(),
      };
      guarded(drain);
      this.#listeners.add(listener);
      const timer = setInterval(
        () =>
          guarded(() => {
            const now = this.db.pragma('data_version', { simple: true }) as number;
            if (now !== dataVersion) {
              dataVersion = now;
              drain();
            }
          }),
        Math.max(1, pollIntervalMs),
      );
      return () => {
        clearInterval(timer);
        this.#listeners.delete(listener);
      };
    });
  }
}
