// The server's clock for everything measured: tick due times, intervals, request deadlines and
// lease expiries. Monotonic (performance.now(): milliseconds since this process started, an
// arbitrary origin), so a stepped wall clock changes nothing but log timestamps. Its readings
// mean nothing in another process: never persist one or send it to a peer (send durations).

/** Milliseconds on a monotonic clock; injected where tests drive time. */
export type MonotonicClock = () => number;

export const monotonicMs: MonotonicClock = () => performance.now();
