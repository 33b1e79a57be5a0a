// One start per event-loop turn for the gRPC door's unary calls. HTTP/2 hands each stream's
// frames to JavaScript in its own native callback, and Node drains the microtask queue after
// each one, so a call started at once runs alone to its first real wait (a forward to the
// leader, a proposal, a ReadIndex): the calls read from one TCP chunk trickled into the member
// one by one. Calls queued here start together once the poll phase has delivered everything it
// read (setImmediate), so what they send leaves in one burst and their proposals and reads land
// in one Ready.
//
// Invariants: every queued start runs exactly once, in arrival order, on the turn after it was
// queued (a start queued by a start waits for the next one); a start that throws is reported
// to `onError` and does not keep the others from running. The queue holds only calls the transport
// already admitted (at most GRPC_STREAMS_PER_CONNECTION_MAX open per connection) and every
// turn drains it whole, so it needs no limit of its own.

export class CallTurn {
  private queued: (() => void)[] = [];
  private scheduled = false;
  /** Turns that started calls (the batching, for tests: calls per turn). */
  turns = 0;

  constructor(private readonly onError: (err: unknown) => void) {}

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
    for (const start of starts) {
      try {
        start();
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
