// Public surface of @kite/client for browsers: `connect()` uses the global WebSocket.
import { KiteClient } from './client.js';
import { connectWith, type ConnectOptions } from './connect.js';
import { browserSocketFactory } from './socket-browser.js';

export * from './public.js';
export type { ConnectOptions } from './connect.js';

/** Creates a client and waits for its first link (rejects with a KiteError if none opens). */
export function connect(options: ConnectOptions): Promise<KiteClient> {
  return connectWith(options, browserSocketFactory);
}

/**
 * Creates a client without waiting for a link: calls wait (within their deadlines) for a
 * member to answer. For programs that must start while the cluster is unreachable (the config
 * SDK serving its cached snapshot).
 */
export function createClient(options: ConnectOptions): KiteClient {
  return new KiteClient({ ...options, socketFactory: options.socketFactory ?? browserSocketFactory });
}
