// Many members in one process (tests, the host simulation) share one set of process series:
// prom-client's default collector starts an event-loop-delay monitor it never stops, so a
// collector per member leaked one sampling monitor per member ever created. Every member's
// scrape still carries the process series next to its own.
import { beforeEach, describe, expect, it, vi } from 'vitest';

const collectorCalls = vi.hoisted(() => ({ count: 0 }));
vi.mock('prom-client', async (importOriginal) => {
  const real = await importOriginal<typeof import('prom-client')>();
  return {
    ...real,
    collectDefaultMetrics: (...args: Parameters<typeof real.collectDefaultMetrics>) => {
      collectorCalls.count++;
      real.collectDefaultMetrics(...args);
    },
  };
});

const { ServerMetrics } = await import('../src/metrics.js');

describe('ServerMetrics process series', () => {
  beforeEach(() => {
    collectorCalls.count = 0;
  });

  it('starts the default collector at most once however many members a process creates', () => {
    for (let i = 0; i < 20; i++) new ServerMetrics();
    expect(collectorCalls.count).toBeLessThanOrEqual(1);
  });

  it("adds the process series to each member's scrape, next to its own", async () => {
    const a = new ServerMetrics();
    const b = new ServerMetrics();
    a.term.set(7);
    b.term.set(9);
    const [sa, sb] = await Promise.all([a.exposition(), b.exposition()]);
    expect(sa.body).toMatch(/^kite_server_raft_term 7$/m);
    expect(sb.body).toMatch(/^kite_server_raft_term 9$/m);
    for (const s of [sa, sb]) {
      expect(s.body).toMatch(/^process_cpu_user_seconds_total /m);
      expect(s.body).toMatch(/^nodejs_eventloop_lag_seconds /m);
      expect(s.contentType).toMatch(/^text\/plain/);
    }
  });
});
