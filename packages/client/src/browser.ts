// Public surface of @kite/client for browsers: `connect()` uses the global WebSocket.
import type { KiteClient } from './client.js';
import { connectWith, type ConnectOptions } from './connect.js';
import { browserSocketFactory } from './socket-browser.js';

export * from './public.js';
export type { ConnectOptions } from './connect.js';

/** Creates a client and waits for its first link (rejects with a KiteError if none opens). */
export function connect(options: ConnectOptions): Promise<KiteClient> {
  return connectWith(options, browserSocketFactory);
}
