// A `cluster up --tls` cluster's certificates: made once (a throw-away CA, one certificate per
// member named after it, one client certificate; see jepsen-lite's dev-certs.ts for the
// library and why) in DATA_DIR/tls and reused on later runs, and read back as the client TLS
// material the CLI itself needs to poll the members.
import { existsSync, readFileSync } from 'node:fs';
import type { ClientTls } from '@kite/client';
import type { ClusterPlan } from './layout.js';

/** Makes the CA and certificates unless every file is already there. */
export async function ensureClusterCerts(plan: ClusterPlan): Promise<void> {
  const tls = plan.tls;
  if (tls === null) return;
  const files = [tls.caFile, tls.clientCertFile, tls.clientKeyFile, ...plan.members.flatMap((m) => Object.values(tls.memberCert(m.name)))];
  if (files.every((f) => existsSync(f))) return;
  const { writeDevCerts } = await import('@kite/jepsen-lite');
  await writeDevCerts(tls.dir, plan.members.map((m) => m.name), `kite cluster up CA (${plan.dataDir})`.slice(0, 64));
}

/** The client side of the plan's TLS (undefined for a plaintext cluster). */
export function clientTlsOf(plan: ClusterPlan): ClientTls | undefined {
  const tls = plan.tls;
  if (tls === null || !existsSync(tls.caFile)) return undefined;
  return { ca: readFileSync(tls.caFile), cert: readFileSync(tls.clientCertFile), key: readFileSync(tls.clientKeyFile) };
}
