// The remote end of an accepted connection as `address:port` (`[v6]:port`): the field every
// connection-level log line carries, so an operator can tell which client or host it was.

import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

export function remoteAddress(req: IncomingMessage): string {
  return socketRemote(req.socket);
}

/** The same for a raw socket (refusals before any HTTP request exists). */
export function socketRemote(socket: Pick<Socket, 'remoteAddress' | 'remotePort'>): string {
  const { remoteAddress: address, remotePort: port } = socket;
  if (address === undefined) return '?';
  return address.includes(':') ? `[${address}]:${port ?? '?'}` : `${address}:${port ?? '?'}`;
}
