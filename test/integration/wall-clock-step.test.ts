// A stepped wall clock changes nothing but timestamps (real `kite server` processes whose wall
// clock libfaketime steps mid-run, monotonic clock untouched; see harness/faketime.ts):
//  - an isolated leader with --lease-reads whose clock stepped back still counts ticks, so
//    check-quorum makes it step down and it stops serving (possibly stale) reads;
//  - a member whose clock stepped back keeps ticking: a 1 s lease still expires, and a long
//    lease's remaining TTL does not grow by the step;
//  - a leader whose clock jumped forward expires no lease early.
// Every wait is bounded and polls an observable condition; no assertion is about durations.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, waitFor } from './harness/cluster.js';
import { SteppedWallClock, ensureLibfaketime } from './harness/faketime.js';
import { WireClient, b, ok } from './harness/wire.js';

/** Far beyond any timeout in Kite: a wall-clock reading taken before the step is useless after it. */
const STEP_SECONDS = 300;
/** Generous bounds for loaded CI machines: the events come after one election timeout / 1 s TTL. */
const STEP_DOWN_WAIT_MS = 15_000;
const EXPIRY_WAIT_MS = 15_000;
const LONG_TTL_SECONDS = 60;

describe('wall clock steps on real members (libfaketime)', () => {
  let library = '';
  let cluster: Cluster | undefined;
  const wires: WireClient[] = [];
  const paused: number[] = [];

  beforeAll(() => {
    library = ensureLibfaketime();
  }, 240_000);

  afterEach(async () => {
    for (const pid of paused.splice(0)) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // already gone
      }
    }
    for (const c of wires.splice(0)) c.close();
    await cluster?.stop();
    cluster = undefined;
  });

  /** Starts every member on its own stepped wall clock; returns the clocks by member name. */
  async function startOnFakeClocks(size: number, flags: readonly string[] = []): Promise<{ running: Cluster; clocks: Map<string, SteppedWallClock> }> {
    const running = (cluster = await Cluster.create({ size, flags }));
    const clocks = new Map<string, SteppedWallClock>();
    for (const m of running.members) {
      const clock = new SteppedWallClock(library, running.root, m.name);
      clocks.set(m.name, clock);
      running.start(m.name, [], clock.env);
    }
    await Promise.all(running.members.map((m) => running.waitHealthy(m.name)));
    return { running, clocks };
  }

  async function wire(running: Cluster, name: string): Promise<WireClient> {
    const c = await WireClient.connect(running.clientUrl(name));
    wires.push(c);
    return c;
  }

  async function keyCount(c: WireClient, key: string): Promise<number> {
    return ok(await c.request('range', { key: b(key) })).count;
  }

  it('an isolated lease-read leader whose clock stepped back steps down and serves no reads', async () => {
    const { running, clocks } = await startOnFakeClocks(3, ['--lease-reads']);
    const leader = await running.leader();
    const c = await wire(running, leader);
    ok(await c.request('put', { key: b('k'), value: b('v1') }));
    expect(await keyCount(c, 'k')).toBe(1); // a lease read served by the leader

    // Step the leader's wall clock back and cut it off from both followers in the same turn
    // (well within an election timeout, so the followers never campaign).
    clocks.get(leader)?.step(-STEP_SECONDS);
    for (const m of running.members.filter((x) => x.name !== leader)) {
      const pid = running.pid(m.name);
      if (pid === undefined) throw new Error(`${m.name} is not running`);
      process.kill(pid, 'SIGSTOP');
      paused.push(pid);
    }

    // Without a quorum, check-quorum demotes it after an election timeout of ticks.
    const role = await waitFor(`${leader} to step down`, STEP_DOWN_WAIT_MS, async () => {
      const s = await running.status(leader);
      return s.role === 'leader' ? undefined : s.role;
    });
    expect(role).not.toBe('leader');
    // And a linearizable read there is refused instead of served from a dead lease.
    const read = await c.request('range', { key: b('k') }, 10_000);
    expect(read.ok).toBe(false);
  });

  it('a member whose clock stepped back keeps ticking: leases expire on time, TTLs do not grow', async () => {
    const { running, clocks } = await startOnFakeClocks(1);
    const c = await wire(running, 'n1');
    const long = ok(await c.request('leaseGrant', { ttl: LONG_TTL_SECONDS }));
    ok(await c.request('put', { key: b('long'), value: b('1'), lease: long.leaseId }));

    clocks.get('n1')?.step(-STEP_SECONDS);
    const short = ok(await c.request('leaseGrant', { ttl: 1 }));
    ok(await c.request('put', { key: b('short'), value: b('1'), lease: short.leaseId }));
    await waitFor('the 1 s lease to expire after the step back', EXPIRY_WAIT_MS, async () => ((await keyCount(c, 'short')) === 0 ? true : undefined));

    expect(await keyCount(c, 'long')).toBe(1);
    const ttl = ok(await c.request('leaseTimeToLive', { leaseId: long.leaseId })).ttl;
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(LONG_TTL_SECONDS);
  });

  it('a leader whose clock jumped forward expires no lease early', async () => {
    const { running, clocks } = await startOnFakeClocks(3);
    const leader = await running.leader();
    const c = await wire(running, leader);
    const leases: number[] = [];
    for (let i = 0; i < 8; i++) {
      const g = ok(await c.request('leaseGrant', { ttl: LONG_TTL_SECONDS }));
      ok(await c.request('put', { key: b(`long/${i}`), value: b('1'), lease: g.leaseId }));
      leases.push(g.leaseId);
    }

    clocks.get(leader)?.step(STEP_SECONDS);
    // A 1 s lease granted after the jump: once it is revoked, the leader has checked expiries
    // on its new wall time for a whole second, so any lease the jump expired is gone by then.
    const short = ok(await c.request('leaseGrant', { ttl: 1 }));
    ok(await c.request('put', { key: b('short'), value: b('1'), lease: short.leaseId }));
    await waitFor('the 1 s lease to expire after the jump', EXPIRY_WAIT_MS, async () => ((await keyCount(c, 'short')) === 0 ? true : undefined));

    const alive = ok(await c.request('range', { key: b('long/'), rangeEnd: b('long0'), countOnly: true })).count;
    expect(alive).toBe(leases.length);
    for (const id of leases) {
      const ttl = ok(await c.request('leaseTimeToLive', { leaseId: id })).ttl;
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(LONG_TTL_SECONDS);
    }
  });
});
