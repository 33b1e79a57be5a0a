// Stepping a member's WALL clock with Debian's libfaketime (LD_PRELOAD), never its monotonic
// clock: each member gets its own offset file (FAKETIME_TIMESTAMP_FILE, re-read on every call
// with FAKETIME_NO_CACHE=1) that step() rewrites mid-run; DONT_FAKE_MONOTONIC=1 keeps
// CLOCK_MONOTONIC (performance.now, timers) real, as an NTP step or an operator's `date -s`
// would. The library is found (installed on first use) by jepsen-lite's libfaketime.ts.

import { writeFileSync } from 'node:fs';
import path from 'node:path';

export { ensureLibfaketime } from '../../../jepsen-lite/src/cluster/libfaketime.js';

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
