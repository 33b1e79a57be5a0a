// `connect()` without its socket adapter: index.ts (Node, `ws`) and browser.ts (global
// WebSocket) each bind their default factory here, so the two entry points cannot drift.
// Environment-neutral: imports nothing from Node.
import { KiteClient, type ClientOptions } from './client.js';
import type { SocketFactory } from './socket.js';

export type ConnectOptions = Omit<ClientOptions, 'socketFactory'> & Partial<Pick<ClientOptions, 'socketFactory'>>;

/** Creates a client and waits for its first link (rejects with a KiteError if none opens). */
export async function connectWith(options: ConnectOptions, defaultSocketFactory: SocketFactory): Promise<KiteClient> {
  const client = new KiteClient({ ...options, socketFactory: options.socketFactory ?? defaultSocketFactory });
  try {
    await client.ready();
  } catch (err) {
    // No link opened: close so nothing the client started (links, timers) outlives the failure.
    client.close();
    throw err;
  }
  return client;
}
