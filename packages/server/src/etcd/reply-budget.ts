// The etcd door's share of --max-connection-response-bytes: reply bytes that reads on one
// gRPC connection are building at once (charged while the reply is built, released once the
// reply is handed to the transport), so many concurrent large reads multiplexed on one HTTP/2
// connection cannot hold unbounded memory. A connection is known by its peer address:port,
// which the transport gives every call. Past the limit a read fails (Unavailable, mapped to
// RESOURCE_EXHAUSTED) before it builds more; the WebSocket door keeps the same bound per link.

import { KiteError } from '@kite/protocol';
import type { ReadCharge } from '@kite/kvstore';

export interface ReplyBudget {
  readonly charge: ReadCharge;
  release(): void;
}

export class PeerReplyBudgets {
  /** Bytes in flight per peer; a peer leaves the map when its last read released. */
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly limitBytes: number) {}

  /** One read's budget on `peer`'s connection. */
  open(peer: string): ReplyBudget {
    let charged = 0;
    return {
      charge: {
        charge: (bytes: number): void => {
          const now = this.inFlight.get(peer) ?? 0;
          if (now + bytes > this.limitBytes) {
            throw new KiteError('Unavailable', `this connection has ${now} reply bytes in flight (limit ${this.limitBytes}); read fewer keys at once, or page large reads`, {
              limitBytes: this.limitBytes,
              actualBytes: now + bytes,
            });
          }
          this.inFlight.set(peer, now + bytes);
          charged += bytes;
        },
      },
      release: (): void => {
        const left = (this.inFlight.get(peer) ?? 0) - charged;
        charged = 0;
        if (left > 0) this.inFlight.set(peer, left);
        else this.inFlight.delete(peer);
      },
    };
  }

  /** Connections with reads in flight (for tests). */
  get peers(): number {
    return this.inFlight.size;
  }
}
