// Simulated time for the real host: one event queue ordered by (time, insertion), a clock that
// reads the current event's time, and Timers (packages/server/src/timers.ts) per host
// incarnation. Nothing in a run reads real time or real timers, so a run is a function of its
// seed.
//
// How the asynchronous host is driven deterministically: `step()` runs ONE event, then waits
// for one real setImmediate. The simulated disk and network complete only through events, and
// the store (memory backend) and the host continue only through promise microtasks, which all
// run before that setImmediate; so when it fires, everything the event set off has run as far
// as it can until another event.
//
// Invariants: time never goes back; an event owned by a dead incarnation never runs (its
// timers, disk completions and deliveries die with it); the queue is bounded (EVENTS_PENDING_MAX:
// more is a simulator bug, not back-pressure).

import type { TimerHandle, Timers } from '../../../packages/server/src/timers.js';

/** Events queued at once; more means a runaway timer or message storm (a bug). */
export const EVENTS_PENDING_MAX = 200_000;

/** What owns an event: a host incarnation. Dead owners' events are skipped. */
export interface Owner {
  alive: boolean;
}

interface SimEvent {
  readonly atMs: number;
  readonly seq: number;
  readonly owner: Owner | null;
  readonly run: () => void;
  cancelled: boolean;
}

class SimTimer implements TimerHandle {
  event: SimEvent | null = null;
  unref(): void {
    // Simulated time never holds a process open.
  }
}

export class SimWorld {
  private nowMsValue = 0;
  private nextSeq = 0;
  /** A binary min-heap on (atMs, seq). */
  private readonly heap: SimEvent[] = [];
  eventsRun = 0;

  get nowMs(): number {
    return this.nowMsValue;
  }

  readonly clock = (): number => this.nowMsValue;

  get pending(): number {
    return this.heap.length;
  }

  /** Queues `run` at `atMs` (not before now) for `owner` (null: the world's own). */
  at(atMs: number, owner: Owner | null, run: () => void): SimEvent {
    if (this.heap.length >= EVENTS_PENDING_MAX) throw new Error(`assertion: more than ${EVENTS_PENDING_MAX} simulated events pending`);
    const ev: SimEvent = { atMs: Math.max(atMs, this.nowMsValue), seq: this.nextSeq++, owner, run, cancelled: false };
    this.push(ev);
    return ev;
  }

  /**
   * Runs the next event; false when none is due by `untilMs`. Before answering false it lets
   * pending microtasks run once (a caller may have just started work that queues an event).
   */
  async step(untilMs: number): Promise<boolean> {
    for (let drained = false; ; ) {
      const ev = this.heap[0];
      if (ev === undefined || ev.atMs > untilMs) {
        if (drained) return false;
        await drain();
        drained = true;
        continue;
      }
      this.pop();
      if (ev.cancelled || (ev.owner !== null && !ev.owner.alive)) continue;
      this.nowMsValue = ev.atMs;
      this.eventsRun++;
      ev.run();
      await drain();
      return true;
    }
  }

  /** Runs every event due by `untilMs`, then moves the clock there. */
  async runUntil(untilMs: number): Promise<void> {
    while (await this.step(untilMs));
    this.nowMsValue = Math.max(this.nowMsValue, untilMs);
  }

  /** Timers whose callbacks die with `owner`. */
  timersFor(owner: Owner): Timers {
    const world = this;
    const arm = (t: SimTimer, fn: () => void, delayMs: number, repeatMs: number | null): void => {
      t.event = world.at(world.nowMsValue + Math.max(1, delayMs), owner, () => {
        if (repeatMs !== null) arm(t, fn, repeatMs, repeatMs);
        else t.event = null;
        fn();
      });
    };
    const clear = (handle: TimerHandle): void => {
      const t = handle as SimTimer;
      if (t.event !== null) t.event.cancelled = true;
      t.event = null;
    };
    return {
      setTimeout(fn, delayMs) {
        const t = new SimTimer();
        arm(t, fn, delayMs, null);
        return t;
      },
      clearTimeout: clear,
      setInterval(fn, intervalMs) {
        const t = new SimTimer();
        arm(t, fn, intervalMs, Math.max(1, intervalMs));
        return t;
      },
      clearInterval: clear,
      setImmediate(fn) {
        world.at(world.nowMsValue, owner, fn);
      },
    };
  }

  private push(ev: SimEvent): void {
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i] as SimEvent, h[p] as SimEvent)) break;
      [h[i], h[p]] = [h[p] as SimEvent, h[i] as SimEvent];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (last === undefined || h.length === 0) return;
    h[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l] as SimEvent, h[m] as SimEvent)) m = l;
      if (r < h.length && before(h[r] as SimEvent, h[m] as SimEvent)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m] as SimEvent, h[i] as SimEvent];
      i = m;
    }
  }
}

/** Resolves once every microtask queued so far (and those they queue) has run. */
function drain(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}
