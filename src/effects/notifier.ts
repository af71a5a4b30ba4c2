/**
 * In-process wake-ups of await-event waiters (40-effects-triggers §4.5): one RxJS `Subject` per
 * effect database per OS process, keyed by the file's resolved absolute path and shared by every
 * host opened on it; a `memory()` host gets its own. The rows are the source of truth: a wake only
 * makes waiters re-inspect sooner.
 */
import { Subject } from 'rxjs';

/** A key id, or null for "every waiter of the database" (revoke, cancel sweep). */
export type Wake = string | null;

interface Shared {
  subject: Subject<Wake>;
  refs: number;
}

const byPath = new Map<string, Shared>();

/** A reference to a database's notifier; `release()` once when the host closes. */
export interface NotifierRef {
  readonly subject: Subject<Wake>;
  release(): void;
}

/** The notifier of the file at `absolutePath`, or a private one when null (memory databases). */
export function acquireNotifier(absolutePath: string | null): NotifierRef {
  if (absolutePath === null) {
    const subject = new Subject<Wake>();
    return { subject, release: () => subject.complete() };
  }
  let shared = byPath.get(absolutePath);
  if (!shared) {
    shared = { subject: new Subject<Wake>(), refs: 0 };
    byPath.set(absolutePath, shared);
  }
  shared.refs++;
  const entry = shared;
  let released = false;
  return {
    subject: entry.subject,
    release: () => {
      if (released) return;
      released = true;
      entry.refs--;
      if (entry.refs === 0 && byPath.get(absolutePath) === entry) byPath.delete(absolutePath);
    },
  };
}
