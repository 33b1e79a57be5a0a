// `kite chaos` is jepsen-lite's command line run through the kite binary: it forwards the
// arguments and exits with jepsen-lite's code. Needs the workspace built (`pnpm test` builds).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const kite = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30_000 });

describe('kite chaos', () => {
  it('forwards to jepsen-lite (its own help for run), named as kite chaos', () => {
    const r = kite('chaos', 'run', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: kite chaos run \[options\]/);
    expect(r.stdout).toMatch(/--nemesis <list>/);
    expect(kite('chaos', '--help').stdout).toMatch(/^Usage: kite chaos \[options\] \[command\]/);
  });

  it("exits non-zero with jepsen-lite's message for an unknown sub-command", () => {
    const r = kite('chaos', 'frobnicate');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unknown command 'frobnicate'/);
  });
});
