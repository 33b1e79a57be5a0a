// Invariant checks. A failed assertion means the store's own state is wrong (not the
// caller's input): it throws AssertionError, which nothing in kvstore catches.

export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new AssertionError(`kvstore invariant broken: ${message}`);
}
