// The client's clock for everything measured (lease deadlines, keepalive timing, rate limits):
// monotonic, so a stepped wall clock changes nothing. Works in Node and in browsers.

/** Milliseconds on a monotonic clock (arbitrary origin: compare readings, never show them). */
export const monotonicMs = (): number => globalThis.performance.now();
