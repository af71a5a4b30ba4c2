/** `lash-store events <db> [--follow] [--after N] [--json]`: the audit trail, optionally live. */
import { eventToNdjson } from '../../events/ndjson.js';
import type { StoredEvent } from '../../events/types.js';
import { sequenceNumber } from '../errors.js';
import { color, isoTime } from '../format.js';
import { openAny } from '../open-db.js';

export interface EventsOptions {
  follow?: boolean;
  after?: string;
  json?: boolean;
}

function summary(event: StoredEvent): string {
  const text = JSON.stringify(event.data, (_k, v) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v));
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}

/** Prints events after `--after` (default 0); with `--follow`, keeps printing new ones until SIGINT or SIGTERM (exit 0). */
export async function eventsCommand(path: string, options: EventsOptions): Promise<number> {
  const after = options.after === undefined ? 0 : sequenceNumber(options.after, '--after');
  const { handle } = await openAny(path, { readonly: true });
  const print = (event: StoredEvent) => {
    if (options.json) process.stdout.write(`${eventToNdjson(event)}\n`);
    else {
      process.stdout.write(
        `${color.dim(String(event.seq).padStart(6))}  ${color.dim(isoTime(event.recordedAtMs))}  ${event.stream.padEnd(24)}  ${color.cyan(event.type.padEnd(32))}  ${summary(event)}\n`,
      );
    }
  };
  if (!options.follow) {
    try {
      for (const event of await handle.readEvents({ afterSeq: after })) print(event);
      return 0;
    } finally {
      await handle.close();
    }
  }
  // SIGINT and SIGTERM end the follow quietly: unsubscribe, close the database, exit status 0. The
  // handlers go in before the first event is printed, so a signal sent once output appears is caught.
  return new Promise<number>((resolve, reject) => {
    let subscription: { unsubscribe(): void } | undefined;
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      subscription?.unsubscribe();
      handle.close().then(() => resolve(0), reject);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    subscription = handle.events$({ afterSeq: after, pollIntervalMs: 50 }).subscribe({
      next: print,
      error: (error: unknown) => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void handle.close().finally(() => reject(error));
      },
      complete: () => resolve(0),
    });
  });
}
