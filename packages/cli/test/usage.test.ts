// The kite binary's first impressions: no arguments is a usage error (help on stderr, exit
// 2), a usage error names the command whose help to read, and `kite server --help` says what
// the command does. Spawns the built binary (`pnpm test` builds first), no cluster needed.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const kite = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30_000, input: '' });

describe('kite usage', () => {
  it('kite with no arguments prints help on stderr and exits 2; --help and help exit 0', () => {
    const none = kite();
    expect([none.status, none.stdout]).toEqual([2, '']);
    expect(none.stderr).toMatch(/^Usage: kite \[options\] \[command\]/);
    expect(kite('--help').status).toBe(0);
    expect(kite('help').status).toBe(0);
    expect(kite('lease').status).toBe(2);
  });

  it("a usage error ends with the failing command's own help hint", () => {
    const ours = kite('get', 'k', '--limit', 'x');
    expect([ours.status, ours.stderr]).toEqual([2, "Error: --limit must be an integer ≥ 0; got 'x'\n(see 'kite get --help')\n"]);
    const commanders = kite('lease', 'grant');
    expect([commanders.status, commanders.stderr]).toEqual([2, "error: missing required argument 'ttl'\n(see 'kite lease grant --help')\n"]);
    expect(kite('get', 'k', '--hex').stderr).toContain("got 'k'\n(see 'kite get --help')");
  });

  it('-w fields is accepted by key-value commands and refused by the others', () => {
    expect(kite('lease', 'list', '-w', 'fields').stderr).toContain("-w/--write-out must be one of simple, json, table; got 'fields'");
  });

  it('kite server --help describes the command before its options', () => {
    const r = kite('server', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: kite server \[options\]\n\nRun one Kite member: /);
  });
});
