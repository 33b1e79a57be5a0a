// Public surface of @kite/client for Node: `connect()` uses the `ws` socket adapter. A
// browser bundle imports '@kite/client/browser' instead (same API, global WebSocket).
import { KiteClient } from './client.js';
import { connectWith, type ConnectOptions as BaseConnectOptions } from './connect.js';
import { nodeSocketFactory, nodeSocketFactoryWith, type ClientTls } from './socket-node.js';

export * from './public.js';
export type { ClientTls } from './socket-node.js';

/** The Node client's options: the shared ones plus TLS material for wss:// endpoints. */
export type ConnectOptions = BaseConnectOptions & { readonly tls?: ClientTls };

/** Creates a client and waits for its first link (rejects with a KiteError if none opens). */
export function connect(options: ConnectOptions): Promise<KiteClient> {
  const { tls, ...rest } = options;
  return connectWith(rest, tls === undefined ? nodeSocketFactory : nodeSocketFactoryWith(tls));
}

/**
 * Creates a client without waiting for a link: calls wait (within their deadlines) for a
 * member to answer. For programs that must start while the cluster is unreachable (the config
 * SDK serving its cached snapshot).
 */
export function createClient(options: ConnectOptions): KiteClient {
  const { tls, ...rest } = options;
  return new KiteClient({ ...rest, socketFactory: rest.socketFactory ?? (tls === undefined ? nodeSocketFactory : nodeSocketFactoryWith(tls)) });
}
