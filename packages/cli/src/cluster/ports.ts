// Pre-flight: are a plan's client and peer ports free on 127.0.0.1? Checked before starting
// members, so a second cluster on the same ports fails with a clear message instead of
// members dying one by one (or, worse, our leader wait finding the other cluster's leader).
import { createServer } from 'node:net';
import { CliError } from '../errors.js';
import type { ClusterPlan, MemberPlan } from './layout.js';

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export async function assertPortsFree(plan: ClusterPlan, members: readonly MemberPlan[] = plan.members): Promise<void> {
  const ports = members.flatMap((m) => [m.clientPort, m.peerPort, m.grpcPort]);
  const busy: number[] = [];
  for (const p of ports) if (!(await portFree(p))) busy.push(p);
  if (busy.length > 0) {
    throw new CliError('PortInUse', `port${busy.length > 1 ? 's' : ''} ${busy.join(', ')} on 127.0.0.1 ${busy.length > 1 ? 'are' : 'is'} already in use ` +
      `(another kite cluster, or an etcd?). Stop it ('kite cluster down --data-dir DIR'), or pick other ports with --base-port on a new --data-dir.`);
  }
}
