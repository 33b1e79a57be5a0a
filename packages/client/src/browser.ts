// Public surface of @kite/client for browsers: `connect()` uses the global WebSocket.
import { KiteClient, type ClientOptions } from './client.js';
import { browserSocketFactory } from './socket-browser.js';

export * from './public.js';

export type ConnectOptions = Omit<ClientOptions, 'socketFactory'> & Partial<Pick<ClientOptions, 'socketFactory'>>;

export async function connect(options: ConnectOptions): Promise<KiteClient> {
  const client = new KiteClient({ ...options, socketFactory: options.socketFactory ?? browserSocketFactory });
  try {
    await client.ready();
  } catch (err) {
    client.close();
    throw err;
  }
  return client;
}
