// What shapes a member is what the run says: a member process gets a clean environment plus the
// run's explicit --server-env settings (a KITE_* variable exported in the harness's shell must
// not reach it), and the settings are in the repro command. The member here is a stand-in
// script that prints its environment, started by the same NodeProcess the cluster uses.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeProcess } from '../../src/cluster/node-process.js';
import { memberEnv, parseServerEnvEntry, ServerEnvError } from '../../src/cluster/server-env.js';
import { netnsLayout } from '../../src/cluster/netns-net.js';
import { runCommandLine } from '../../src/run/command-line.js';
import { hostInfo } from '../../src/run/host-info.js';
import { finish } from '../../src/run/runner.js';
import { defaultOptions } from '../../src/run/options.js';
import { monotonicMs, sleep } from '../../src/util/time.js';

const EXIT_WAIT_MS_MAX = 10_000;
const dir = mkdtempSync(path.join(tmpdir(), 'jepsen-lite-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function envSeenByMember(env: Readonly<Record<string, string>>): Promise<Record<string, string>> {
  const script = path.join(dir, 'print-env.mjs');
  writeFileSync(script, "process.stdout.write('ENV ' + JSON.stringify(process.env) + '\\n');\n");
  const logFile = path.join(dir, `member-${Math.random().toString(36).slice(2)}.log`);
  const p = new NodeProcess({ name: 'n1', serverBin: script, args: [], logFile, env });
  p.start();
  const deadline = monotonicMs() + EXIT_WAIT_MS_MAX;
  while (p.alive && monotonicMs() < deadline) await sleep(20);
  await p.stop();
  const line = readFileSync(logFile, 'utf8').split('\n').find((l) => l.startsWith('ENV '));
  if (line === undefined) throw new Error('the stand-in member printed nothing');
  return JSON.parse(line.slice(4)) as Record<string, string>;
}

describe('the members\' environment', () => {
  it('is clean: a KITE_* variable of the harness does not reach a member; explicit settings do', async () => {
    process.env['KITE_AUTO_COMPACTION_RETENTION'] = '1';
    try {
      const seen = await envSeenByMember(memberEnv({ KITE_LOG_FORMAT: 'json' }));
      expect(seen['KITE_AUTO_COMPACTION_RETENTION']).toBeUndefined();
      expect(seen['KITE_LOG_FORMAT']).toBe('json');
      expect(seen['NODE_ENV']).toBe('production');
      expect(Object.keys(seen).filter((k) => k.startsWith('KITE_'))).toEqual(['KITE_LOG_FORMAT']);
    } finally {
      delete process.env['KITE_AUTO_COMPACTION_RETENTION'];
    }
  });

  it('keeps only the machine plumbing of the harness', () => {
    const env = memberEnv({}, { PATH: '/bin', HOME: '/root', KITE_TICK_MS: '5', NODE_OPTIONS: '--inspect' });
    expect(env).toEqual({ PATH: '/bin', HOME: '/root', NODE_ENV: 'production' });
  });

  it('parses NAME=VALUE and refuses anything else with a typed error', () => {
    expect(parseServerEnvEntry('KITE_X=a=b')).toEqual(['KITE_X', 'a=b']);
    expect(parseServerEnvEntry('EMPTY=')).toEqual(['EMPTY', '']);
    expect(() => parseServerEnvEntry('NOVALUE')).toThrow(ServerEnvError);
    expect(() => parseServerEnvEntry('1BAD=x')).toThrow(ServerEnvError);
    expect(() => memberEnv({ 'A B': 'x' })).toThrow(ServerEnvError);
  });

  it('is written into the repro command', () => {
    const o = { ...defaultOptions(), serverEnv: { KITE_AUTO_COMPACTION_RETENTION: '10s', NODE_OPTIONS: '--max-old-space-size=512 --trace-gc' } };
    const cmd = runCommandLine(o);
    expect(cmd).toContain('--server-env KITE_AUTO_COMPACTION_RETENTION=10s');
    expect(cmd).toContain("--server-env 'NODE_OPTIONS=--max-old-space-size=512 --trace-gc'");
    expect(runCommandLine(defaultOptions())).not.toContain('--server-env');
  });
});

describe('results.json', () => {
  it('records the members\' whole environment and the repro command', () => {
    const runDir = mkdtempSync(path.join(dir, 'run-'));
    const o = { ...defaultOptions(), keepData: true, serverEnv: { KITE_AUTO_COMPACTION_RETENTION: '10s' } };
    const env = memberEnv(o.serverEnv, { PATH: '/bin' });
    finish({
      o, dir: runDir, entries: [], phases: [], events: [], error: null, endTimeNs: 0, aborted: false, log: () => undefined,
      workloadCheck: () => [], extra: [], links: [], memberEnv: env, host: hostInfo(path.join(process.cwd(), 'package.json')), netns: null,
    });
    const results = JSON.parse(readFileSync(path.join(runDir, 'results.json'), 'utf8')) as Record<string, unknown>;
    expect(results['memberEnv']).toEqual({ PATH: '/bin', NODE_ENV: 'production', KITE_AUTO_COMPACTION_RETENTION: '10s' });
    expect(results['command']).toBe(runCommandLine(o));
    expect(results['command']).toContain('--server-env KITE_AUTO_COMPACTION_RETENTION=10s');
    const host = results['host'] as Record<string, unknown>;
    expect(host['node']).toBe(process.version);
    expect(host['gitCommit']).toMatch(/^[0-9a-f]{40}$/);
    expect([results['net'], results['netns']]).toEqual(['proxy', null]);
  });

  it('records the network mode and the namespaces of a --net netns run', () => {
    const runDir = mkdtempSync(path.join(dir, 'run-'));
    const o = { ...defaultOptions(), keepData: true, net: 'netns' as const };
    const layout = netnsLayout('t1', ['n1', 'n2', 'n3']);
    finish({
      o, dir: runDir, entries: [], phases: [], events: [], error: null, endTimeNs: 0, aborted: false, log: () => undefined,
      workloadCheck: () => [], extra: [], links: [], memberEnv: null, host: null, netns: layout,
    });
    const results = JSON.parse(readFileSync(path.join(runDir, 'results.json'), 'utf8')) as Record<string, unknown>;
    expect([results['net'], results['netns']]).toEqual(['netns', layout]);
    expect(results['command']).toContain(' --net netns');
  });
});
