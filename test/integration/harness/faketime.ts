// Stepping a member's WALL clock with Debian's libfaketime (LD_PRELOAD), never its monotonic
// clock: each member gets its own offset file (FAKETIME_TIMESTAMP_FILE, re-read on every call
// with FAKETIME_NO_CACHE=1) that step() rewrites mid-run; DONT_FAKE_MONOTONIC=1 keeps
// CLOCK_MONOTONIC (performance.now, timers) real, as an NTP step or an operator's `date -s`
// would. The package is installed on first use (CI runs as root on a fresh Debian machine);
// a machine where that is impossible fails the test with the reason, it is not skipped.

import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';

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

/** One member's wall clock: starts true, step() moves it by an offset from the true time. */
export class SteppedWallClock {
  private readonly file: string;

  constructor(
    private readonly library: string,
    dir: string,
    name: string,
  ) {
    this.file = path.join(dir, `${name}.faketime`);
    this.step(0);
  }

  /** The environment that puts a process on this clock. */
  get env(): Record<string, string> {
    return { LD_PRELOAD: this.library, FAKETIME_TIMESTAMP_FILE: this.file, FAKETIME_NO_CACHE: '1', DONT_FAKE_MONOTONIC: '1' };
  }

  /** Sets the wall clock to the true time plus `offsetSeconds` (negative: back), at once. */
  step(offsetSeconds: number): void {
    writeFileSync(this.file, `${offsetSeconds >= 0 ? '+' : ''}${Math.trunc(offsetSeconds)}s\n`);
  }
}
