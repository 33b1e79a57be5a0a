// Time helpers for the runner: a monotonic clock in nanoseconds since the run started (the
// history's `time`), and abortable sleeps. Protocol logic never depends on these; they pace
// workloads and nemeses against real processes. Every deadline and duration is monotonic: a
// clock-skew nemesis or an NTP step must not cut a wait short or stretch it.

export interface RunClock {
  /** Monotonic nanoseconds since the clock was created. */
  nowNs(): number;
  nowMs(): number;
}

/** Milliseconds on a monotonic clock, for deadlines and durations. */
export const monotonicMs = (): number => performance.now();

export function createRunClock(): RunClock {
  const t0 = process.hrtime.bigint();
  const nowNs = (): number => Number(process.hrtime.bigint() - t0);
  return { nowNs, nowMs: () => nowNs() / 1e6 };
}

/** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true || ms <= 0) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Races `p` against a deadline; rejects with a plain Error naming `what` on timeout. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
