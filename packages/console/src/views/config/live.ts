// Live data for the configuration-center and audit views, without polling: a watch on a
// prefix says WHICH keys changed, and a coalescing reloader re-reads only what they affect.
// Invariants: at most one reload runs at a time per view; changes arriving meanwhile are
// merged and trigger exactly one more reload after it (so the view converges on the newest
// state and a burst of N events costs at most two reads, not N); reloads are started at most
// once per animation frame. The watch is opened (and registered) BEFORE the first read, so no
// change between the read and the watch can be missed.
import { bytesToString, isKiteError, type KiteClient } from '@kite/client/browser';

/** What a view reloads; `all` after a watch had to be restarted (history compacted). */
export type Changed = ReadonlySet<string> | 'all';

// Read off globalThis: this module is also type-checked (and unit-tested) without the DOM library.
const raf = (globalThis as { requestAnimationFrame?: (f: () => void) => number }).requestAnimationFrame;
const nextFrame: (f: () => void) => void = raf !== undefined ? (f) => void raf.call(globalThis, f) : (f) => void setTimeout(f, 0);

/**
 * Watches every key under `prefix` from now on and reports changed keys, batched per frame.
 * `onReady` runs once the watch is registered (load the initial state there). Returns stop().
 */
export function watchPrefix(
  client: KiteClient,
  prefix: string,
  handlers: { onReady(): void; onChanged(changed: Changed): void; onError(err: unknown): void },
): () => void {
  const ac = new AbortController();
  let pending: Set<string> | 'all' | null = null;
  const flush = (): void => {
    const p = pending;
    pending = null;
    if (p !== null && !ac.signal.aborted) handlers.onChanged(p);
  };
  const note = (key: string | 'all'): void => {
    const first = pending === null;
    if (key === 'all') pending = 'all';
    else if (pending === null) pending = new Set([key]);
    else if (pending !== 'all') pending.add(key);
    if (first) nextFrame(flush);
  };
  void (async () => {
    let firstRegistration = true;
    while (!ac.signal.aborted) {
      const w = client.watch(prefix, { prefix: true, signal: ac.signal });
      try {
        await w.ready;
        if (firstRegistration) handlers.onReady();
        else note('all');
        firstRegistration = false;
        for await (const batch of w) for (const e of batch.events) note(bytesToString(e.kv.key));
        return; // canceled
      } catch (err) {
        if (ac.signal.aborted) return;
        // The history the watch needed is gone: watch from now and re-read everything.
        if (isKiteError(err, 'Compacted')) continue;
        handlers.onError(err);
        return;
      }
    }
  })();
  return () => ac.abort();
}

/**
 * Runs `load(what)` for requested work, one run at a time, merging requests made while a run
 * is in flight into the next run.
 */
export class Coalescer<W> {
  private waiting: Set<W> | null = null;
  private running = false;
  private stopped = false;

  constructor(private readonly load: (what: ReadonlySet<W>) => Promise<void>, private readonly onError: (err: unknown) => void) {}

  request(what: Iterable<W>): void {
    if (this.stopped) return;
    const w = (this.waiting ??= new Set());
    for (const x of what) w.add(x);
    if (!this.running) void this.drain();
  }

  stop(): void {
    this.stopped = true;
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting !== null && this.waiting.size > 0 && !this.stopped) {
        const what = this.waiting;
        this.waiting = null;
        try {
          await this.load(what);
        } catch (err) {
          if (!this.stopped) this.onError(err);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
