// One seed and one schedule give one exact run; the network honours its knobs.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Message } from './core.js';
import { SimNetwork } from './network.js';
import { runCase } from './run.js';
import { simCaseArb } from './schedule.js';
import { createSimRng } from './sim-rng.js';

const heartbeat = (from: string, to: string, term: number): Message => ({
  type: 'heartbeat',
  from,
  to,
  term,
  commit: 0,
  context: null,
  leaseTick: 0,
});

describe('simulator determinism', () => {
  it('replays a case to the identical trace', () => {
    fc.assert(
      fc.property(simCaseArb(3), (simCase) => {
        const a = runCase(simCase);
        const b = runCase(simCase);
        expect(b.stats).toEqual(a.stats);
        expect(b.violation?.message).toEqual(a.violation?.message);
      }),
      { numRuns: 15, seed: 42 },
    );
  });

  it('a different seed changes the run', () => {
    const [simCase] = fc.sample(simCaseArb(3), { numRuns: 1, seed: 3 });
    expect(simCase).toBeDefined();
    if (simCase === undefined) return;
    const a = runCase(simCase);
    const b = runCase({ ...simCase, seed: simCase.seed + 1 });
    expect(b.stats.traceHash).not.toEqual(a.stats.traceHash);
  });
});

describe('simulated network', () => {
  it('delivers within the delay bounds, in send order per due time, and drops across cuts', () => {
    const net = new SimNetwork(createSimRng(9));
    net.knobs = { dropPct: 0, dupPct: 0, delayMinUnits: 2, delayMaxUnits: 5 };
    for (let i = 0; i < 50; i++) net.send(heartbeat('a', 'b', i), 0);
    net.cutOneWay('a', 'c');
    expect(net.send(heartbeat('a', 'c', 1), 0)).toBe('cut');
    expect(net.send(heartbeat('c', 'a', 1), 0)).toBe('queued');
    const seen: number[] = [];
    for (let t = 0; t <= 6; t++) {
      const due = net.takeDue(t);
      if (t < 2) expect(due).toEqual([]);
      seen.push(...due.filter((m) => m.to === 'b').map((m) => m.term));
    }
    expect(seen.sort((x, y) => x - y)).toEqual([...Array(50).keys()]);
    expect(net.inFlightCount).toBe(0);
  });

  it('drops and duplicates at the configured rates, and partitions cut in-flight messages', () => {
    const net = new SimNetwork(createSimRng(11));
    net.knobs = { dropPct: 30, dupPct: 20, delayMinUnits: 1, delayMaxUnits: 1 };
    let delivered = 0;
    for (let i = 0; i < 1000; i++) net.send(heartbeat('a', 'b', i), 0);
    delivered = net.takeDue(1).length;
    // Expected 1000 * 0.7 * 1.2 = 840; the bounds are loose but exclude "no faults".
    expect(delivered).toBeGreaterThan(760);
    expect(delivered).toBeLessThan(920);
    net.send(heartbeat('a', 'b', 1), 5);
    net.partition(['a'], ['a', 'b']);
    expect(net.takeDue(6)).toEqual([]);
  });
});
