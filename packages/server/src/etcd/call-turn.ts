// One start per event-loop turn for the gRPC door's calls. HTTP/2 hands each stream's frames
// to JavaScript in its own native callback, and Node drains the microtask queue after each
// one, so a call started at once runs to its first real wait (a peer forward, a proposal)
// alone: 100 puts read from one TCP chunk became 100 single socket writes to the leader.
// Calls queued here start together once the poll phase has delivered everything it read
// (setImmediate), so what they send in that burst leaves in one write per peer (the socket
// coalesces writes made while one is in flight) and their proposals land in one Ready.
//
// Invariants: every queued start runs exactly once, in arrival order, on the next turn; a
// start that throws does not keep the others from running (it is the caller's to catch).

export class CallTurn {
  private queued: (() => void)[] = [];
  private scheduled = false;
  /** Turns that started at least one call (for tests: calls per turn is the batching). */
  turns = 0;

  /** Runs `start` on the next turn, with every other call queued before then. */
  defer(start: () => void): void {
    this.queued.push(start);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const starts = this.queued;
    this.queued = [];
    this.turns++;
    for (const start of starts) start();
  }
}
