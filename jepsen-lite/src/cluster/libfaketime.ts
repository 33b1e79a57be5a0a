// Finding Debian's libfaketime (the `faketime` package), installing it on first use: CI runs
// as root on a fresh Debian machine. A machine where that is impossible gets an error with the
// reason (a run or test that needs it fails; it is not skipped). Shared by jepsen-lite's clock
// nemesis and the integration tests' stepped wall clocks.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** apt-get may take a while on a fresh machine (index download, unpacking). */
const APT_TIMEOUT_MS = 180_000;

function libraryPath(): string | null {
  try {
    const files = execFileSync('dpkg', ['-L', 'libfaketime'], { encoding: 'utf8' }).split('\n');
    return files.find((f) => f.endsWith('/libfaketime.so.1') && existsSync(f)) ?? null;
  } catch {
    return null;
  }
}

function aptInstall(): void {
  const install = (): void => {
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'faketime'], {
      stdio: 'pipe',
      timeout: APT_TIMEOUT_MS,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  };
  try {
    install();
  } catch {
    // A fresh machine has no package index yet.
    execFileSync('apt-get', ['update'], { stdio: 'pipe', timeout: APT_TIMEOUT_MS });
    install();
  }
}

/** The path of libfaketime.so.1, installing the `faketime` package when it is missing. */
export function ensureLibfaketime(): string {
  const found = libraryPath();
  if (found !== null) return found;
  try {
    aptInstall();
  } catch (err) {
    throw new Error(`libfaketime is missing and \`apt-get install -y faketime\` failed (run as root on Debian): ${(err as Error).message}`);
  }
  const installed = libraryPath();
  if (installed === null) throw new Error('the faketime package is installed but libfaketime.so.1 was not found');
  return installed;
}
