// The console's link to the cluster: one @kite/client over WebSocket to the member that served
// the page (same host and port, ws: or wss: as the page), which moves to the leader like any
// client. When auth is on the user logs in with a name and password; the client then logs in on
// every link it opens and renews its token itself. Credentials live in memory only.
import { connect, createClient, type ClientAuth, type KiteClient } from '@kite/client/browser';

/** Calls the console makes wait at most this long (the UI shows the error after). */
export const CONSOLE_TIMEOUT_MS = 8_000;

export interface Session {
  readonly client: KiteClient;
  /** The member that served the page (ws:// or wss:// URL of its /v1 link). */
  readonly endpoint: string;
  readonly authEnabled: boolean;
  readonly user: string | null;
}

/** The /v1 endpoint of the member at `pageUrl` (the console's own origin). */
export function pageEndpoint(pageUrl: URL): string {
  const scheme = pageUrl.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${pageUrl.host}/v1`;
}

/** Connects without credentials and asks whether the cluster wants a login. */
export async function openSession(endpoint: string): Promise<Session | { readonly loginNeeded: true }> {
  const client = await connect({ endpoints: [endpoint], timeoutMs: CONSOLE_TIMEOUT_MS });
  const auth = await client.request('authStatus', {});
  if (auth.enabled) {
    client.close();
    return { loginNeeded: true };
  }
  return { client, endpoint, authEnabled: false, user: null };
}

/** Logs in: rejects with the server's error (Unauthenticated for a wrong password). */
export async function login(endpoint: string, auth: ClientAuth): Promise<Session> {
  const client = createClient({ endpoints: [endpoint], timeoutMs: CONSOLE_TIMEOUT_MS, auth });
  try {
    await client.ready();
  } catch (err) {
    client.close();
    throw err;
  }
  return { client, endpoint, authEnabled: true, user: auth.user };
}
