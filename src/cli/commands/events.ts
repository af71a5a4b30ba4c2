/** `lash-store events <db> [--follow] [--after N] [--json]`: the audit trail, optionally live. */
import { eventToNdjson } from '../../events/ndjson.js';
import type { StoredEvent } from '../../events/types.js';
import { UsageError } from '../errors.js';
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

/** Prints events after `--after` (default 0); with `--follow`, keeps printing new ones until SIGINT. */
export async function eventsCommand(path: string, options: EventsOptions): Promise<number> {
  const after = options.after === undefined ? 0 : Number(options.after);
  if (!Number.isInteger(after) || after < 0) throw new UsageError(`--after expects a sequence number, got ${options.after}`);
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
  return new Promise<number>((resolve, reject) => {
    const subscription = handle.events$({ afterSeq: after, pollIntervalMs: 50 }).subscribe({
      next: print,
      error: (error: unknown) => {
        void handle.close().finally(() => reject(error));
      },
      complete: () => resolve(0),
    });
    const stop = () => {
      subscription.unsubscribe();
      void handle.close().then(() => resolve(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
