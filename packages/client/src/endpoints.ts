// Endpoint URL normalisation: users write `ws://host:2379`, `http://host:2379` or
// `host:2379`; the client link lives at ws(s)://host:port/v1.

import { KiteError } from '@kite/protocol';

export const CLIENT_LINK_PATH = '/v1';

export function normalizeEndpoint(endpoint: string): string {
  let text = endpoint.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) text = `ws://${text}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new KiteError('InvalidArgument', `invalid endpoint ${JSON.stringify(endpoint)}`);
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new KiteError('InvalidArgument', `endpoint ${JSON.stringify(endpoint)} is not ws://, wss://, http:// or https://`);
  }
  if (url.pathname === '' || url.pathname === '/') url.pathname = CLIENT_LINK_PATH;
  return url.toString();
}
