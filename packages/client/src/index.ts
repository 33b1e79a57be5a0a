// Public surface of @kite/client for Node: `connect()` uses the `ws` socket adapter. A
// browser bundle imports '@kite/client/browser' instead (same API, global WebSocket).
import { KiteClient } from './client.js';
import { connectWith, type ConnectOptions } from './connect.js';
import { nodeSocketFactory } from './socket-node.js';

export * from './public.js';
export type { ConnectOptions } from './connect.js';

/** Creates a client and waits for its first link (rejects with a KiteError if none opens). */
export function connect(options: ConnectOptions): Promise<KiteClient> {
  return connectWith(options, nodeSocketFactory);
}

/**
 * Creates a client without waiting for a link: calls wait (within their deadlines) for a
 * member to answer. For programs that must start while the cluster is unreachable (the config
 * SDK serving its cached snapshot).
 */
export function createClient(options: ConnectOptions): KiteClient {
  return new KiteClient({ ...options, socketFactory: options.socketFactory ?? nodeSocketFactory });
}
