// A raw gRPC client of the etcd door from Kite's own rpc.proto, for what etcdctl 3.4 cannot
// send (count_only, min/max revision filters, nested txns, client-chosen watch ids...). Calls
// and messages are in the proto loader's representation (snake_case, int64 as strings).

import { credentials, type Client, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { etcdClientPackage } from '../../../packages/server/src/etcd/etcd-proto.js';

export type Msg = Record<string, unknown>;

type UnaryMethod = (req: Msg, cb: (err: ServiceError | null, resp: Msg) => void) => void;

export class EtcdGrpc {
  private readonly clients = new Map<string, Client>();

  constructor(private readonly url: string) {}

  private client(service: string): Client {
    let c = this.clients.get(service);
    if (c === undefined) {
      const Ctor = etcdClientPackage()[service] as unknown as new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => Client;
      c = new Ctor(this.url.replace(/^https?:\/\//, ''), credentials.createInsecure());
      this.clients.set(service, c);
    }
    return c;
  }

  /** One unary call; rejects with the ServiceError (code, details). */
  call(service: string, method: string, req: Msg): Promise<Msg> {
    const c = this.client(service) as unknown as Record<string, UnaryMethod>;
    const fn = c[method];
    if (fn === undefined) throw new Error(`no method ${service}.${method}`);
    return new Promise((resolve, reject) => fn.call(c, req, (err, resp) => (err === null ? resolve(resp) : reject(err))));
  }

  /** A bidi stream (Watch.Watch, Lease.LeaseKeepAlive). */
  stream(service: string, method: string): ClientDuplexStream<Msg, Msg> {
    const c = this.client(service) as unknown as Record<string, () => ClientDuplexStream<Msg, Msg>>;
    const fn = c[method];
    if (fn === undefined) throw new Error(`no method ${service}.${method}`);
    return fn.call(c);
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
