// `kite config` (the real binary) against a real 3-member cluster: invalid JSON/YAML refused
// before release with line and column; the release log lists author, message and diff;
// concurrent releases of one app from two processes — exactly one wins, the other gets a
// conflict naming the winner; gray start/status/promote; export/import round trip.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type KiteResult, type TestCluster } from './cluster-harness.js';

let cluster: TestCluster;
let work: string;

beforeAll(async () => {
  cluster = await startCluster(3);
  work = mkdtempSync(join(tmpdir(), 'kite-config-cli-'));
});

afterAll(async () => {
  await cluster?.stop();
  rmSync(work, { recursive: true, force: true });
});

const app = (name: string): string[] => ['--namespace', 'test', '--app', name];

async function kite(args: string[]): Promise<KiteResult> {
  return cluster.kite(['config', ...args]);
}

async function ok(args: string[]): Promise<string> {
  const r = await kite(args);
  if (r.code !== 0) throw new Error(`kite config ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

describe('kite config', () => {
  it('refuses malformed JSON and YAML with line and column; the release log lists author, message and diff', async () => {
    const badJson = await kite(['set', 'db', '{\n  "host": "a",\n}', '--type', 'json', ...app('shop')]);
    expect(badJson.code).toBe(1);
    expect(badJson.stderr).toContain('line 3, column 1');
    expect(badJson.stderr).toContain('[InvalidValue]');
    const yamlFile = join(work, 'limits.yaml');
    writeFileSync(yamlFile, 'max: 1\nmin: [2\n');
    const badYaml = await kite(['set', 'limits', '--file', yamlFile, ...app('shop')]);
    expect(badYaml.code).toBe(1);
    expect(badYaml.stderr).toMatch(/invalid yaml at line \d+, column \d+/);
    // Nothing was staged, so there is nothing to release.
    expect((await kite(['release', '-m', 'x', '--author', 'ana', ...app('shop')])).stderr).toContain('[NothingToRelease]');

    await ok(['set', 'db', '{"host":"a"}', '--type', 'json', ...app('shop')]);
    await ok(['set', 'name', 'shop', ...app('shop')]);
    expect(await ok(['diff', ...app('shop')])).toContain('+ db (json)');
    await ok(['release', '-m', 'first', '--author', 'ana', ...app('shop')]);
    await ok(['set', 'db', '{"host":"b"}', '--type', 'json', ...app('shop')]);
    await ok(['release', '-m', 'move db', '--author', 'bo', ...app('shop')]);
    const log = JSON.parse(await ok(['releases', '-w', 'json', ...app('shop')])) as { number: number; author: string; message: string; diff: { key: string; change: string }[] }[];
    expect(log.map((r) => [r.number, r.author, r.message, r.diff.map((d) => `${d.change} ${d.key}`)])).toEqual([
      [1, 'ana', 'first', ['added db', 'added name']],
      [2, 'bo', 'move db', ['changed db']],
    ]);
    expect(await ok(['releases', ...app('shop')])).toMatch(/release 2 \[current\] release by bo .*: move db\n {4}~ db:/);
    expect(await ok(['get', 'db', ...app('shop')])).toBe('{"host":"b"}\n');
  });

  it('two processes releasing the same app at once: exactly one wins, the other names the winner', async () => {
    await ok(['set', 'k', 'v1', ...app('race')]);
    await ok(['release', '-m', 'base', '--author', 'ci', ...app('race')]);
    await ok(['set', 'k', 'v2', ...app('race')]);
    const [a, b] = await Promise.all([
      kite(['release', '-m', 'from a', '--author', 'alice', '--base', '1', ...app('race')]),
      kite(['release', '-m', 'from b', '--author', 'bob', '--base', '1', ...app('race')]),
    ]);
    const codes = [a!.code, b!.code].sort();
    expect(codes).toEqual([0, 1]);
    const winner = a!.code === 0 ? 'alice' : 'bob';
    const loser = a!.code === 0 ? b! : a!;
    expect(loser.stderr).toContain('[ReleaseConflict]');
    expect(loser.stderr).toContain(`release 2 by ${winner}`);
    const log = JSON.parse(await ok(['releases', '-w', 'json', ...app('race')])) as { number: number; author: string }[];
    expect(log.map((r) => [r.number, r.author])).toEqual([[1, 'ci'], [2, winner]]);
  });

  it('gray start, status, promote and rollback from the CLI', async () => {
    await ok(['set', 'f', 'one', ...app('gray')]);
    await ok(['release', '-m', 'one', '--author', 'ci', ...app('gray')]);
    await ok(['set', 'f', 'two', ...app('gray')]);
    expect(await ok(['gray', 'start', '--rule', 'percent=25', '-m', 'two', '--author', 'ci', ...app('gray')])).toContain('gray release 2 started');
    expect((await kite(['release', '-m', 'x', '--author', 'ci', ...app('gray')])).stderr).toContain('[GrayInProgress]');
    expect(await ok(['gray', 'status', ...app('gray')])).toContain('current release 1, gray release 2 to percent=25');
    await ok(['gray', 'update', '--rule', 'percent=60', '--author', 'ci', ...app('gray')]);
    expect(await ok(['gray', 'promote', '--author', 'ci', ...app('gray')])).toBe('current release 2\n');
    expect((await kite(['gray', 'abort', '--author', 'ci', ...app('gray')])).stderr).toContain('[NoGrayRelease]');
    await ok(['rollback', '--to', '1', '--author', 'ci', ...app('gray')]);
    expect(await ok(['get', 'f', ...app('gray')])).toBe('one\n');
    const inst = JSON.parse(await ok(['instances', '-w', 'json', ...app('gray')])) as { head: { release: number }; instances: unknown[] };
    expect(inst).toEqual({ revision: expect.any(Number), head: { release: 3, last: 3, gray: null }, instances: [] });
  });

  it('export writes one file per key; import stages only what differs, and --prune stages removals', async () => {
    await ok(['set', 'a.json', '{"x":1}', '--type', 'json', ...app('files')]);
    await ok(['set', 'b', 'plain', ...app('files')]);
    await ok(['release', '-m', 'r1', '--author', 'ci', ...app('files')]);
    const dir = join(work, 'export');
    await ok(['export', dir, ...app('files')]);
    expect(readFileSync(join(dir, 'a.json'), 'utf8')).toBe('{"x":1}');
    expect(readFileSync(join(dir, 'b'), 'utf8')).toBe('plain');
    // Unchanged files stage nothing.
    expect(await ok(['import', dir, ...app('files')])).toContain('staged 0 changed key(s)');
    writeFileSync(join(dir, 'a.json'), '{"x":2}');
    rmSync(join(dir, 'b'));
    const manifest = JSON.parse(readFileSync(join(dir, 'kite-config.json'), 'utf8')) as { keys: Record<string, unknown> };
    delete manifest.keys['b'];
    writeFileSync(join(dir, 'kite-config.json'), JSON.stringify(manifest));
    expect(await ok(['import', dir, '--prune', ...app('files')])).toContain('staged 1 changed key(s), 1 removal(s)');
    const diff = JSON.parse(await ok(['diff', '-w', 'json', ...app('files')])) as { diff: { key: string; change: string }[] };
    expect(diff.diff.map((d) => `${d.change} ${d.key}`)).toEqual(['changed a.json', 'removed b']);
    // A malformed file is refused at import like at set.
    writeFileSync(join(dir, 'a.json'), '{"x":');
    expect((await kite(['import', dir, ...app('files')])).stderr).toContain('[InvalidValue]');
  });
});
