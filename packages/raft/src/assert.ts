// Invariant checks. A failed assertion means the core's state is broken (or the host broke the
// Ready/advance contract): it throws an AssertionError that no code in the core ever catches.

export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new AssertionError(`raft invariant violated: ${message}`);
}
