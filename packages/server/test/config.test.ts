import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, HelpRequested, deriveClusterId, deriveMemberId, initialMemberIds, loadConfig } from '../src/config.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'kite-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function problems(argv: string[], env: NodeJS.ProcessEnv = {}): string[] {
  try {
    loadConfig(argv, env, tmp);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

describe('loadConfig', () => {
  it('starts a single-member cluster in ./kite-data on 2379/2380 with no flags', () => {
    const cfg = loadConfig([], {}, tmp);
    expect(cfg.name).toBe('default');
    expect(cfg.dataDir).toBe(path.join(tmp, 'kite-data'));
    expect(cfg.listenClientUrl.port).toBe('2379');
    expect(cfg.listenPeerUrl.port).toBe('2380');
    expect(cfg.initialCluster).toEqual([{ name: 'default', peerUrl: 'http://127.0.0.1:2380' }]);
    expect(cfg.initialClusterState).toBe('new');
    expect(cfg.maxRequestBytes).toBe(1.5 * 1024 * 1024);
    expect(cfg.leaseReads).toBe(false);
  });

  it('bounds reads and client connections by default, configurable, with a documented flag each', () => {
    const cfg = loadConfig([], {}, tmp);
    expect(cfg.maxResponseBytes).toBe(16 * 1024 * 1024);
    expect(cfg.maxKeysScanned).toBe(4_000_000);
    expect(cfg.maxConnectionResponseBytes).toBe(64 * 1024 * 1024);
    expect(cfg.clientIdleTimeoutMs).toBe(300_000);
    expect(cfg.maxClientConnectionsPerAddress).toBe(1000);
    const set = loadConfig(['--max-response-bytes', '65536', '--client-idle-timeout-ms', '0', '--max-client-connections-per-address', '4'], { KITE_MAX_KEYS_SCANNED: '1000' }, tmp);
    expect([set.maxResponseBytes, set.clientIdleTimeoutMs, set.maxClientConnectionsPerAddress, set.maxKeysScanned]).toEqual([65536, 0, 4, 1000]);
    // A budget the client's frame limit could not carry is refused at start.
    expect(problems(['--max-response-bytes', String(64 * 1024 * 1024)])).toHaveLength(1);
    expect(problems(['--max-client-connections-per-address', '0'])).toHaveLength(1);
    let help = '';
    try {
      loadConfig(['--help'], {}, tmp);
    } catch (err) {
      if (err instanceof HelpRequested) help = err.message;
    }
    for (const flag of ['--max-response-bytes', '--max-keys-scanned', '--max-connection-response-bytes', '--client-idle-timeout-ms', '--max-client-connections-per-address']) {
      expect(help).toContain(flag);
    }
  });

  it('bounds the values a member keeps in memory: 64 MiB by default, --value-cache-bytes, 0 = none, negative refused', () => {
    expect(loadConfig([], {}, tmp).valueCacheBytesMax).toBe(64 * 1024 * 1024);
    expect(loadConfig(['--value-cache-bytes', '1048576'], {}, tmp).valueCacheBytesMax).toBe(1048576);
    expect(loadConfig(['--value-cache-bytes', '0'], {}, tmp).valueCacheBytesMax).toBe(0);
    expect(problems(['--value-cache-bytes', '-1']).join('\n')).toMatch(/value-cache-bytes/);
  });

  it('reads flags in both --flag value and --flag=value forms', () => {
    const cfg = loadConfig(
      ['--name', 'n2', '--data-dir=/d', '--listen-peer', 'http://127.0.0.1:3380', '--initial-cluster',
        'n1=http://127.0.0.1:2380,n2=http://127.0.0.1:3380', '--tick-ms', '20', '--lease-reads', '--election-ticks=5'],
      {}, tmp);
    expect(cfg.name).toBe('n2');
    expect(cfg.dataDir).toBe('/d');
    expect(cfg.tickMs).toBe(20);
    expect(cfg.electionTicks).toBe(5);
    expect(cfg.leaseReads).toBe(true);
    expect(cfg.initialCluster.map((m) => m.name)).toEqual(['n1', 'n2']);
  });

  it('takes flags over env over the config file', () => {
    const file = path.join(tmp, 'kite.json');
    writeFileSync(file, JSON.stringify({ tickMs: 30, 'heartbeat-ticks': 2, 'log-level': 'debug', snapshotEntries: 7 }));
    const cfg = loadConfig(['--tick-ms', '50', '--config-file', file], { KITE_TICK_MS: '40', KITE_HEARTBEAT_TICKS: '3' }, tmp);
    expect(cfg.tickMs).toBe(50);
    expect(cfg.heartbeatTicks).toBe(3);
    expect(cfg.logLevel).toBe('debug');
    expect(cfg.snapshotEntries).toBe(7);
  });

  it('reports every problem at once with its source', () => {
    const p = problems(['--tick-ms', 'fast', '--bogus', '1', '--initial-cluster-state', 'old'], { KITE_ELECTION_TICKS: '-3' });
    expect(p.some((s) => s.includes('flag --tick-ms'))).toBe(true);
    expect(p.some((s) => s.includes('unknown flag --bogus'))).toBe(true);
    expect(p.some((s) => s.includes('initial-cluster-state'))).toBe(true);
    expect(p.some((s) => s.includes('env KITE_ELECTION_TICKS'))).toBe(true);
  });

  it('refuses an initial cluster that does not name this member or disagrees on its URL', () => {
    expect(problems(['--name', 'n3', '--initial-cluster', 'n1=http://127.0.0.1:2380'])[0]).toContain('does not name this member');
    expect(problems(['--name', 'n1', '--initial-cluster', 'n1=http://127.0.0.1:9999'])[0]).toContain('advertised peer URL');
    expect(problems(['--initial-cluster', 'default=http://127.0.0.1:2380,default=http://127.0.0.1:2381']).join()).toContain('appears twice');
  });

  it('refuses heartbeat >= election, bad URLs and malformed config files', () => {
    expect(problems(['--heartbeat-ticks', '10']).join()).toContain('must be less than election-ticks');
    expect(problems(['--listen-client', 'nope']).join()).toContain('not a URL');
    const bad = path.join(tmp, 'bad.json');
    writeFileSync(bad, '{ not json');
    expect(problems(['--config-file', bad]).join()).toContain('bad.json');
    const unknown = path.join(tmp, 'unknown.json');
    writeFileSync(unknown, JSON.stringify({ tickz: 1 }));
    expect(problems(['--config-file', unknown]).join()).toContain('unknown key "tickz"');
  });

  it('answers --help with the usage text', () => {
    expect(() => loadConfig(['--help'], {}, tmp)).toThrow(HelpRequested);
  });

  it('derives the same ids on every member of a new cluster, distinct per token and name', () => {
    const cluster = 'n1=http://127.0.0.1:2380,n2=http://127.0.0.1:3380,n3=http://127.0.0.1:4380';
    const a = loadConfig(['--name', 'n1', '--listen-peer', 'http://127.0.0.1:2380', '--initial-cluster', cluster], {}, tmp);
    const b = loadConfig(['--name', 'n3', '--listen-peer', 'http://127.0.0.1:4380', '--initial-cluster', cluster], {}, tmp);
    expect(initialMemberIds(a)).toEqual(initialMemberIds(b));
    const ids = [...initialMemberIds(a).values()];
    expect(new Set(ids).size).toBe(3);
    expect(deriveClusterId('t', ids)).toBe(deriveClusterId('t', [...ids].reverse()));
    expect(deriveClusterId('t', ids)).not.toBe(deriveClusterId('u', ids));
    expect(deriveMemberId('t', 'n1')).not.toBe(deriveMemberId('u', 'n1'));
    expect(deriveMemberId('t', 'n1')).not.toBe(deriveMemberId('t', 'n2'));
  });

  it('derives ids from the token and names only, so members with different views of peer URLs (proxies) agree', () => {
    const a = loadConfig(['--name', 'n1', '--listen-peer', 'http://127.0.0.1:2380', '--initial-cluster', 'n1=http://127.0.0.1:2380,n2=http://127.0.0.1:5001'], {}, tmp);
    const b = loadConfig(['--name', 'n2', '--listen-peer', 'http://127.0.0.1:3380', '--initial-cluster', 'n1=http://127.0.0.1:6001,n2=http://127.0.0.1:3380'], {}, tmp);
    expect(initialMemberIds(a)).toEqual(initialMemberIds(b));
  });

  it('reads auto-compaction (off by default; periodic durations, a bare number being hours; revision counts) and the corruption checks', () => {
    const cfg = loadConfig([], {}, tmp);
    expect(cfg.autoCompaction).toBeNull();
    expect(cfg.corruptCheckIntervalMs).toBe(5 * 60_000);
    expect(cfg.initialCorruptCheck).toBe(true);
    expect(loadConfig(['--auto-compaction-retention', '1h'], {}, tmp).autoCompaction).toEqual({ mode: 'periodic', retentionMs: 3_600_000 });
    expect(loadConfig(['--auto-compaction-retention', '2'], {}, tmp).autoCompaction).toEqual({ mode: 'periodic', retentionMs: 7_200_000 });
    expect(loadConfig(['--auto-compaction-retention', '200ms'], {}, tmp).autoCompaction).toEqual({ mode: 'periodic', retentionMs: 200 });
    expect(loadConfig(['--auto-compaction-mode', 'revision', '--auto-compaction-retention', '1000'], {}, tmp).autoCompaction).toEqual({ mode: 'revision', retentionRevisions: 1000 });
    expect(loadConfig(['--auto-compaction-mode', 'revision'], {}, tmp).autoCompaction).toBeNull();
    const set = loadConfig(['--corrupt-check-interval', '30s', '--initial-corrupt-check', 'false'], {}, tmp);
    expect(set.corruptCheckIntervalMs).toBe(30_000);
    expect(set.initialCorruptCheck).toBe(false);
    expect(loadConfig(['--corrupt-check-interval', '0'], {}, tmp).corruptCheckIntervalMs).toBe(0);
  });

  it('refuses bad auto-compaction and corruption check values, naming the flag', () => {
    expect(problems(['--auto-compaction-mode', 'hourly'])).toEqual(['auto-compaction-mode must be "periodic" or "revision", got "hourly"']);
    expect(problems(['--auto-compaction-mode', 'revision', '--auto-compaction-retention', '1h'])[0]).toMatch(/auto-compaction-retention: "1h" is not a number of revisions/);
    expect(problems(['--auto-compaction-retention', 'soon'])[0]).toMatch(/auto-compaction-retention: "soon" is not a duration/);
    expect(problems(['--corrupt-check-interval', '5'])[0]).toMatch(/corrupt-check-interval: "5" is not a duration/);
    expect(problems(['--corrupt-check-interval', '1ms'])[0]).toMatch(/corrupt-check-interval: "1ms" is not a duration of at least 10ms/);
  });
});
