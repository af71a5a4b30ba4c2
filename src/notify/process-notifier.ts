/**
 * In-process change notifications of one process registry handle (30-process-registry §3.12).
 * Notifications carry no data — observers re-read the registry. They are published only after a
 * transaction has committed, for exactly the processes whose change sequence it bumped, plus one
 * store-wide notification. A per-process channel exists only while something observes that process.
 */

type Listener = () => void;

/** The notification hub of one registry handle. */
export class ProcessNotifier {
  readonly #perProcess = new Map<string, Set<Listener>>();
  readonly #storeWide = new Set<Listener>();
  readonly #closeListeners = new Set<Listener>();
  #closed = false;

  /** True once `close()` ran. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Number of processes that currently have a channel (observed processes only). */
  get observedProcessCount(): number {
    return this.#perProcess.size;
  }

  /** Listens to one process's notifications; the returned function detaches. */
  onProcess(processId: string, listener: Listener): () => void {
    let set = this.#perProcess.get(processId);
    if (!set) {
      set = new Set();
      this.#perProcess.set(processId, set);
    }
    set.add(listener);
    return () => {
      const current = this.#perProcess.get(processId);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) this.#perProcess.delete(processId);
    };
  }

  /** Listens to the store-wide notification (one per committed change). */
  onStore(listener: Listener): () => void {
    this.#storeWide.add(listener);
    return () => this.#storeWide.delete(listener);
  }

  /** Called once when the handle closes. */
  onClose(listener: Listener): () => void {
    if (this.#closed) {
      listener();
      return () => {};
    }
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  /** Publishes after a commit: each changed process, then the store-wide channel. */
  publish(processIds: Iterable<string>): void {
    if (this.#closed) return;
    let any = false;
    for (const id of processIds) {
      any = true;
      const set = this.#perProcess.get(id);
      if (set) for (const listener of [...set]) listener();
    }
    if (any) for (const listener of [...this.#storeWide]) listener();
  }

  /** Ends every wait: pending awaits reject with `Closed`, observables complete. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const listeners = [...this.#closeListeners];
    this.#closeListeners.clear();
    for (const listener of listeners) listener();
    this.#perProcess.clear();
    this.#storeWide.clear();
  }
}
