// Waiting with a deadline and an AbortSignal, both turned into KiteErrors. Browser-safe.

import { KiteError } from '@kite/protocol';

/** The error an aborted call rejects with: the signal's KiteError reason, else Canceled. */
export function abortError(signal: AbortSignal): KiteError {
  const reason: unknown = signal.reason;
  // A deadline aborts with its own Timeout error: keep that code.
  if (reason instanceof KiteError) return reason;
  return new KiteError('Canceled', reason instanceof Error ? `canceled: ${reason.message}` : 'canceled by the caller');
}

/**
 * Resolves after `ms`, or rejects with Canceled as soon as `signal` aborts. The timer is
 * always cleared so no pending work outlives the caller.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(abortError(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A signal that aborts when any input aborts or after timeoutMs (reason: a Timeout
 * KiteError). `dispose` clears the timer and listeners; call it when the work is done.
 */
export function deadlineSignal(timeoutMs: number, parent?: AbortSignal): { signal: AbortSignal; dispose: () => void } {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(new KiteError('Timeout', `deadline of ${timeoutMs} ms exceeded`)), timeoutMs);
  const onParentAbort = (): void => ctl.abort(parent?.reason);
  if (parent !== undefined) {
    if (parent.aborted) ctl.abort(parent.reason);
    else parent.addEventListener('abort', onParentAbort, { once: true });
  }
  return {
    signal: ctl.signal,
    dispose: () => {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}
