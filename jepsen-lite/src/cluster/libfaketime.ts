// Finding Debian's libfaketime (the `faketime` package), installing it on first use: CI runs
// as root on a fresh Debian machine. A machine where that is impossible gets an error with the
// reason (a run or test that needs it fails; it is not skipped). Shared by jepsen-lite's clock
// nemesis and the integration tests' stepped wall clocks.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { installDebianPackage } from './debian-package.js';

function libraryPath(): string | null {
  try {
    const files = execFileSync('dpkg', ['-L', 'libfaketime'], { encoding: 'utf8' }).split('\n');
    return files.find((f) => f.endsWith('/libfaketime.so.1') && existsSync(f)) ?? null;
  } catch {
    return null;
  }
}

/** The path of libfaketime.so.1, installing the `faketime` package when it is missing. */
export function ensureLibfaketime(): string {
  const found = libraryPath();
  if (found !== null) return found;
  installDebianPackage('faketime');
  const installed = libraryPath();
  if (installed === null) throw new Error('the faketime package is installed but libfaketime.so.1 was not found');
  return installed;
}
