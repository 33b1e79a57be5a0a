// The appendEntries messages in flight to one follower in replicate state, as the last index
// each carried (ascending). Bounded by `capacity` (RaftConfig.maxInflightMsgs): when full the
// leader stops sending until acknowledgements free slots (flow control for pipelining).

import { assert } from '../assert.js';
import type { LogIndex } from '../types.js';

export class Inflights {
  private queue: LogIndex[] = [];

  constructor(readonly capacity: number) {
    assert(capacity > 0, 'inflight capacity must be positive');
  }

  add(lastIndex: LogIndex): void {
    assert(!this.full(), 'adding to a full inflight window');
    const tail = this.queue[this.queue.length - 1];
    assert(tail === undefined || lastIndex > tail, `inflight ${lastIndex} is not after ${tail}`);
    this.queue.push(lastIndex);
  }

  /** The follower acknowledged everything up to `index`: free those messages. */
  freeLE(index: LogIndex): void {
    let n = 0;
    while (n < this.queue.length && (this.queue[n] as LogIndex) <= index) n++;
    if (n > 0) this.queue = this.queue.slice(n);
  }

  /** Frees the oldest slot (a heartbeat response proves the follower is alive but lost some). */
  freeFirstOne(): void {
    this.queue = this.queue.slice(1);
  }

  full(): boolean {
    return this.queue.length >= this.capacity;
  }

  count(): number {
    return this.queue.length;
  }

  reset(): void {
    this.queue = [];
  }
}
