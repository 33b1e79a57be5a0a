// Each member's WALL clock under libfaketime (LD_PRELOAD): a per-member spec file
// (FAKETIME_TIMESTAMP_FILE, re-read on every time call with FAKETIME_NO_CACHE=1) that the clock
// nemesis rewrites mid-run to step the clock (an offset) or make it run fast or slow (a rate).
// DONT_FAKE_MONOTONIC=1 keeps CLOCK_MONOTONIC real: Kite measures ticks, leases and deadlines
// on it, so a healthy member must be unmoved by anything written here; a member that measured
// a lease on the wall clock would not be (the server's wall-clock-ticks mutant).
// libfaketime applies a rate from the process's start, so changing the rate also moves the
// clock at once: a rate change is a jump too, which the nemesis records as such.
// Invariant: every file holds a valid spec from the members' first start on ("+0" = true time).

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** A wall clock: `offsetSeconds` from the true time, running at `rate` × true speed. */
export interface ClockSkew {
  readonly offsetSeconds: number;
  readonly rate: number;
}

export const TRUE_CLOCK: ClockSkew = { offsetSeconds: 0, rate: 1 };
/** Bounds of what the nemesis may ask for (libfaketime takes far more; these stay plausible). */
export const CLOCK_OFFSET_SECONDS_MAX = 3_600;
export const CLOCK_RATE_MIN = 0.1;
export const CLOCK_RATE_MAX = 10;

/** libfaketime's relative spec: "+30 x0.5" (seconds, then the rate when it is not 1). */
export function faketimeSpec(skew: ClockSkew): string {
  const { offsetSeconds, rate } = skew;
  if (!Number.isInteger(offsetSeconds) || Math.abs(offsetSeconds) > CLOCK_OFFSET_SECONDS_MAX) throw new RangeError(`clock offset must be a whole number of seconds within ±${CLOCK_OFFSET_SECONDS_MAX}, got ${offsetSeconds}`);
  if (!(rate >= CLOCK_RATE_MIN && rate <= CLOCK_RATE_MAX)) throw new RangeError(`clock rate must be within [${CLOCK_RATE_MIN}, ${CLOCK_RATE_MAX}], got ${rate}`);
  const offset = `${offsetSeconds >= 0 ? '+' : ''}${offsetSeconds}`;
  return rate === 1 ? offset : `${offset} x${rate}`;
}

export class MemberClocks {
  private readonly dir: string;
  private readonly skews = new Map<string, ClockSkew>();

  constructor(
    private readonly library: string,
    runDir: string,
    names: readonly string[],
  ) {
    this.dir = path.join(runDir, 'clocks');
    mkdirSync(this.dir, { recursive: true });
    for (const n of names) this.set(n, TRUE_CLOCK);
  }

  file(name: string): string {
    return path.join(this.dir, `${name}.faketime`);
  }

  /** What a member's process needs in its environment to run on its clock file. */
  env(name: string): Record<string, string> {
    return { LD_PRELOAD: this.library, FAKETIME_TIMESTAMP_FILE: this.file(name), FAKETIME_NO_CACHE: '1', DONT_FAKE_MONOTONIC: '1' };
  }

  /** The clock variables every member gets, its own file spelled <member> (for results.json). */
  envTemplate(): Record<string, string> {
    return this.env('<member>');
  }

  skew(name: string): ClockSkew {
    return this.skews.get(name) ?? TRUE_CLOCK;
  }

  set(name: string, skew: ClockSkew): void {
    writeFileSync(this.file(name), `${faketimeSpec(skew)}\n`);
    this.skews.set(name, skew);
  }

  /** Every clock back to the true time; returns the members whose clock was skewed. */
  resetAll(): string[] {
    const skewed = [...this.skews].filter(([, s]) => s.offsetSeconds !== 0 || s.rate !== 1).map(([n]) => n);
    for (const n of this.skews.keys()) this.set(n, TRUE_CLOCK);
    return skewed;
  }
}
