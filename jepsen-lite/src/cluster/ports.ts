// Free TCP ports on 127.0.0.1 for the members' client and peer listeners. Several engineers
// and CI jobs share the machine, so fixed ports would collide; the OS picks unused ones. The
// ports are released before the servers bind them, so another process could grab one in
// between: the runner then fails at startup with EADDRINUSE and the run can be retried.

import { createServer, type Server } from 'node:net';

export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const s = createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, host, () => resolve());
      });
      const addr = s.address();
      if (addr === null || typeof addr === 'string') throw new Error('assertion: listener without a port');
      ports.push(addr.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}
