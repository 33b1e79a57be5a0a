// Installing a Debian package on first use: CI runs as root on a fresh Debian machine, so a
// test or run that needs etcdctl, chromium, libfaketime, iproute2, iptables or etcd installs it itself.
// Where that is impossible the caller gets an error with the reason (the test fails, it is
// never skipped). The one copy of the apt-get steps for jepsen-lite, the integration harness
// and the benchmarks.

import { execFileSync } from 'node:child_process';

/** apt-get may take a while on a fresh machine (index download, unpacking; chromium is big). */
const APT_TIMEOUT_MS = 300_000;

/** Runs `apt-get install -y <pkg>` (after `apt-get update` when the index is missing). */
export function installDebianPackage(pkg: string): void {
  const opts = { stdio: 'pipe' as const, timeout: APT_TIMEOUT_MS, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } };
  const install = (): void => {
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], opts);
  };
  try {
    try {
      install();
    } catch {
      // A fresh machine has no package index yet.
      execFileSync('apt-get', ['update'], opts);
      install();
    }
  } catch (err) {
    throw new Error(`\`apt-get install -y ${pkg}\` failed (run as root on Debian): ${(err as Error).message}`);
  }
}
