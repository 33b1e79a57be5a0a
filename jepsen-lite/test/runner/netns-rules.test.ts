// The --net netns mode's pure parts: the names a run creates, the iptables and tc text a link
// policy becomes, and the option combinations refused up front.
import { describe, expect, it } from 'vitest';
import { delayBatch, inputRules, netnsLayout } from '../../src/cluster/netns-net.js';
import { OPEN_POLICY, PolicyTable } from '../../src/proxy/policy.js';
import { runCommandLine } from '../../src/run/command-line.js';
import { checkRunOptions, defaultOptions } from '../../src/run/options.js';

const names = ['n1', 'n2', 'n3'];
const layout = netnsLayout('abc', names);

describe('netns layout', () => {
  it('names every namespace, veth and the bridge after the tag, within 15-byte interface names', () => {
    expect(layout).toEqual({
      bridge: 'jlabcbr', bridgeAddress: '10.77.0.1',
      namespaces: { n1: 'jl-abc-n1', n2: 'jl-abc-n2', n3: 'jl-abc-n3' },
      addresses: { n1: '10.77.0.11', n2: '10.77.0.12', n3: '10.77.0.13' },
      veths: ['jlabcn1', 'jlabcn2', 'jlabcn3'],
    });
    expect(netnsLayout('zzzzzz', ['n9']).veths[0]?.length).toBeLessThanOrEqual(15);
    expect(() => netnsLayout('toolong7', names)).toThrow(RangeError);
    expect(() => netnsLayout('a b', names)).toThrow(RangeError);
    expect(() => netnsLayout('abc', Array.from({ length: 33 }, (_, i) => `n${i}`))).toThrow(RangeError);
  });
});

describe('netns rules', () => {
  it('a blocked pair is a DROP in the receiver, a lossy one a random DROP; open pairs add nothing', () => {
    const t = new PolicyTable();
    t.update('n2', 'n1', { blocked: true });
    t.update('n3', 'n1', { dropProbability: 0.5 });
    t.update('n1', 'n2', { delayMs: 100 }); // delays are tc's, not iptables'
    const policy = (a: string, b: string) => t.get(a, b);
    expect(inputRules('n1', names, layout.addresses, policy)).toBe([
      '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
      '-A INPUT -s 10.77.0.12/32 -j DROP',
      '-A INPUT -s 10.77.0.13/32 -m statistic --mode random --probability 0.5000 -j DROP',
      'COMMIT', '',
    ].join('\n'));
    expect(inputRules('n2', names, layout.addresses, policy)).not.toContain('-A INPUT');
  });

  it('delays become one netem class per delayed destination on the sender; none, no qdisc', () => {
    const t = new PolicyTable();
    t.update('n1', 'n3', { delayMs: 100, jitterMs: 50 });
    const policy = (a: string, b: string) => t.get(a, b);
    expect(delayBatch('n1', names, layout.addresses, policy)).toEqual([
      'qdisc replace dev eth0 root handle 1: htb default 1',
      'class add dev eth0 parent 1: classid 1:1 htb rate 10gbit',
      'class add dev eth0 parent 1: classid 1:10 htb rate 10gbit',
      'qdisc add dev eth0 parent 1:10 handle 10: netem delay 100ms 50ms',
      'filter add dev eth0 parent 1: protocol ip prio 1 u32 match ip dst 10.77.0.13/32 flowid 1:10',
    ]);
    expect(delayBatch('n2', names, layout.addresses, () => OPEN_POLICY)).toEqual([]);
  });
});

describe('netns options', () => {
  it('refuses what a netns run cannot do, and the repro command names the mode', () => {
    const d = { ...defaultOptions(), net: 'netns' as const };
    expect(() => checkRunOptions(d)).not.toThrow();
    expect(() => checkRunOptions({ ...d, nemeses: ['partition-leader', 'client-delay'] })).toThrow(/client-delay.*link proxy/);
    expect(() => checkRunOptions({ ...d, tls: true })).toThrow(/--tls/);
    expect(() => checkRunOptions({ ...defaultOptions(), nemeses: ['client-delay'] })).not.toThrow();
    expect(runCommandLine({ ...d, nemeses: ['partition-leader'] })).toBe('node jepsen-lite/dist/cli.js run --nodes 3 --workload register --nemesis partition-leader --time 60 --seed 1 --net netns');
    expect(runCommandLine(defaultOptions())).not.toContain('--net');
  });
});
