// A raw gRPC client of the etcd door from Kite's own rpc.proto, for what etcdctl 3.4 cannot
// send (count_only, min/max revision filters, nested txns, client-chosen watch ids, a token in
// the metadata...). Calls and messages are in the proto loader's representation (snake_case,
// int64 as strings).

import { readFileSync } from 'node:fs';
import { credentials, Metadata, type ChannelCredentials, type Client, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { etcdClientPackage } from '../../../packages/server/src/etcd/etcd-proto.js';

export type Msg = Record<string, unknown>;

export interface EtcdGrpcOptions {
  /** Sent as metadata `token` with every call (etcd's per-request auth token). */
  readonly token?: string;
  readonly tls?: { readonly caFile: string; readonly certFile?: string; readonly keyFile?: string };
}

type UnaryMethod = (req: Msg, metadata: Metadata, options: { deadline: Date }, cb: (err: ServiceError | null, resp: Msg) => void) => void;

export class EtcdGrpc {
  private readonly clients = new Map<string, Client>();

  constructor(
    private readonly url: string,
    private readonly opts: EtcdGrpcOptions = {},
  ) {}

  private creds(): ChannelCredentials {
    const tls = this.opts.tls;
    if (tls === undefined) return credentials.createInsecure();
    const read = (f: string | undefined): Buffer | null => (f === undefined ? null : readFileSync(f));
    return credentials.createSsl(readFileSync(tls.caFile), read(tls.keyFile), read(tls.certFile));
  }

  private metadata(): Metadata {
    const md = new Metadata();
    if (this.opts.token !== undefined) md.set('token', this.opts.token);
    return md;
  }

  private client(service: string): Client {
    let c = this.clients.get(service);
    if (c === undefined) {
      const Ctor = etcdClientPackage()[service] as unknown as new (address: string, creds: ChannelCredentials) => Client;
      c = new Ctor(this.url.replace(/^https?:\/\//, ''), this.creds());
      this.clients.set(service, c);
    }
    return c;
  }

  /** One unary call, bounded by timeoutMs; rejects with the ServiceError (code, details). */
  call(service: string, method: string, req: Msg, timeoutMs = 10_000): Promise<Msg> {
    const c = this.client(service) as unknown as Record<string, UnaryMethod>;
    const fn = c[method];
    if (fn === undefined) throw new Error(`no method ${service}.${method}`);
    // grpc-js takes deadlines as wall-clock dates.
    const options = { deadline: new Date(Date.now() + timeoutMs) };
    return new Promise((resolve, reject) => fn.call(c, req, this.metadata(), options, (err, resp) => (err === null ? resolve(resp) : reject(err))));
  }

  /** The error a call fails with (the test expects it to fail). */
  async failure(service: string, method: string, req: Msg): Promise<ServiceError> {
    const r = await this.call(service, method, req).then(
      () => null,
      (e: ServiceError) => e,
    );
    if (r === null) throw new Error(`${service}.${method} succeeded; expected an error`);
    return r;
  }

  /** A bidi stream (Watch.Watch, Lease.LeaseKeepAlive). */
  stream(service: string, method: string): ClientDuplexStream<Msg, Msg> {
    const c = this.client(service) as unknown as Record<string, (md: Metadata) => ClientDuplexStream<Msg, Msg>>;
    const fn = c[method];
    if (fn === undefined) throw new Error(`no method ${service}.${method}`);
    return fn.call(c, this.metadata());
  }

  /** The underlying client of a service (for raw calls on unknown methods or bytes). */
  raw(service: string): Client {
    return this.client(service);
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
