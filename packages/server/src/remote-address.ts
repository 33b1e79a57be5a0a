// The remote end of an accepted connection as `address:port` (`[v6]:port`): the field every
// connection-level log line carries, so an operator can tell which client or host it was.

import type { IncomingMessage } from 'node:http';

export function remoteAddress(req: IncomingMessage): string {
  const { remoteAddress: address, remotePort: port } = req.socket;
  if (address === undefined) return '?';
  return address.includes(':') ? `[${address}]:${port ?? '?'}` : `${address}:${port ?? '?'}`;
}
