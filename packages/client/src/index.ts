// Public surface of @kite/client for Node: `connect()` uses the `ws` socket adapter. A
// browser bundle imports '@kite/client/browser' instead (same API, global WebSocket).
import { KiteClient, type ClientOptions } from './client.js';
import { nodeSocketFactory } from './socket-node.js';

export * from './public.js';

export type ConnectOptions = Omit<ClientOptions, 'socketFactory'> & Partial<Pick<ClientOptions, 'socketFactory'>>;

/** Creates a client and waits for its first link (rejects with a KiteError if none opens). */
export async function connect(options: ConnectOptions): Promise<KiteClient> {
  const client = new KiteClient({ ...options, socketFactory: options.socketFactory ?? nodeSocketFactory });
  try {
    await client.ready();
  } catch (err) {
    client.close();
    throw err;
  }
  return client;
}
