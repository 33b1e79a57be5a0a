// The timers the host loop and its deadlines use, as one injectable interface: the real ones
// by default; the host simulation (test/sim/real-host) passes timers driven by simulated time,
// so a run is a function of its seed. Together with the MonotonicClock (clock.ts) this is all
// the time the host sees.

/** A timer handle; only ever handed back to the same Timers' clear calls. */
export interface TimerHandle {
  /** Lets a process exit while the timer is armed (a no-op under simulated time). */
  unref(): void;
}

export interface Timers {
  setTimeout(fn: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  setInterval(fn: () => void, intervalMs: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
  /** Runs `fn` after the current turn's microtasks and pending I/O callbacks. */
  setImmediate(fn: () => void): void;
}

export const nodeTimers: Timers = {
  setTimeout: (fn, delayMs) => setTimeout(fn, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  setInterval: (fn, intervalMs) => setInterval(fn, intervalMs),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
  setImmediate: (fn) => void setImmediate(fn),
};
