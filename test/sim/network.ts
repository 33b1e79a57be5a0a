// The simulated network between Raft members. Time is in simulation units (several units per
// tick). A message sent at `now` is delivered at now + delay (delay drawn per message, so
// messages reorder), may be dropped or duplicated, and is lost if its link is cut either when
// sent or when due (partitions cut links in one or both directions). Every random choice comes
// from the injected seeded rng. In-flight messages are bounded by `inFlightMax`.

import type { Message, NodeId } from './core.js';
import type { SimRng } from './sim-rng.js';

export interface NetworkKnobs {
  readonly dropPct: number;
  readonly dupPct: number;
  readonly delayMinUnits: number;
  readonly delayMaxUnits: number;
}

export const calmKnobs: NetworkKnobs = { dropPct: 0, dupPct: 0, delayMinUnits: 1, delayMaxUnits: 4 };

/** Beyond this many queued messages the network drops new ones (a full socket buffer). */
export const inFlightMax = 20_000;

export type SendOutcome = 'queued' | 'dropped' | 'cut';

interface InFlight {
  readonly msg: Message;
  readonly seq: number;
}

export class SimNetwork {
  knobs: NetworkKnobs = calmKnobs;
  private readonly cutLinks = new Set<string>();
  private readonly queue = new Map<number, InFlight[]>();
  private inFlight = 0;
  private seq = 0;

  constructor(private readonly rng: SimRng) {}

  get inFlightCount(): number {
    return this.inFlight;
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.cutLinks.has(linkKey(from, to));
  }

  cutOneWay(from: NodeId, to: NodeId): void {
    if (from !== to) this.cutLinks.add(linkKey(from, to));
  }

  /** Symmetric partition: every link between `side` and the rest is cut both ways. */
  partition(side: readonly NodeId[], all: readonly NodeId[]): void {
    for (const a of side) {
      for (const b of all) {
        if (side.includes(b)) continue;
        this.cutOneWay(a, b);
        this.cutOneWay(b, a);
      }
    }
  }

  heal(): void {
    this.cutLinks.clear();
  }

  send(msg: Message, now: number): SendOutcome {
    if (this.isCut(msg.from, msg.to)) return 'cut';
    if (this.rng.chancePct(this.knobs.dropPct) || this.inFlight >= inFlightMax) return 'dropped';
    this.enqueue(msg, now);
    if (this.rng.chancePct(this.knobs.dupPct)) this.enqueue(structuredClone(msg), now);
    return 'queued';
  }

  /** Removes and returns the messages due at `now` whose link is still up, in send order. */
  takeDue(now: number): Message[] {
    const due = this.queue.get(now);
    if (due === undefined) return [];
    this.queue.delete(now);
    this.inFlight -= due.length;
    due.sort((a, b) => a.seq - b.seq);
    return due.filter((f) => !this.isCut(f.msg.from, f.msg.to)).map((f) => f.msg);
  }

  /** A crash loses the member's in-flight traffic in both directions. */
  dropInvolving(id: NodeId): void {
    for (const [at, list] of this.queue) {
      const kept = list.filter((f) => f.msg.from !== id && f.msg.to !== id);
      this.inFlight -= list.length - kept.length;
      if (kept.length === 0) this.queue.delete(at);
      else this.queue.set(at, kept);
    }
  }

  private enqueue(msg: Message, now: number): void {
    const { delayMinUnits, delayMaxUnits } = this.knobs;
    const deliverAt = now + delayMinUnits + this.rng.int(delayMaxUnits - delayMinUnits + 1);
    const list = this.queue.get(deliverAt);
    const entry = { msg, seq: this.seq++ };
    if (list === undefined) this.queue.set(deliverAt, [entry]);
    else list.push(entry);
    this.inFlight++;
  }
}

function linkKey(from: NodeId, to: NodeId): string {
  return `${from}>${to}`;
}
