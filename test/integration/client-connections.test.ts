// Client connection bounds on a real member: a connection silent both ways for
// --client-idle-timeout-ms is closed (counted), while an SDK-like client that pings, or a
// watch that receives progress, stays; one address may hold at most
// --max-client-connections-per-address connections, the next is refused at the upgrade and
// counted in kite_server_client_connections_refused_total; a freed slot is usable again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, waitFor } from './harness/cluster.js';
import { WireClient, b, ok } from './harness/wire.js';

const IDLE_MS = 400;
const PER_ADDRESS = 3;

describe('client connection bounds', () => {
  let cluster: Cluster;
  let url: string;

  beforeAll(async () => {
    cluster = await Cluster.create({ size: 1, flags: ['--client-idle-timeout-ms', String(IDLE_MS), '--max-client-connections-per-address', String(PER_ADDRESS)] });
    await cluster.startAll();
    url = cluster.clientUrl('n1');
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const metric = async (pattern: RegExp): Promise<number> => {
    const m = pattern.exec(await cluster.metrics('n1'));
    return m === null ? 0 : Number(m[1]);
  };

  it('closes a silent connection after the idle timeout and keeps a talking one', async () => {
    const silent = await WireClient.connect(url);
    const talking = await WireClient.connect(url);
    try {
      const deadline = Date.now() + 20 * IDLE_MS;
      // The talking client pings more often than the timeout (as the SDK does every 2 s).
      while (silent.closedReason === null && Date.now() < deadline) {
        ok(await talking.request('ping', {}));
        await new Promise((r) => setTimeout(r, IDLE_MS / 4));
      }
      expect(await silent.waitClosed(1000)).toMatch(/1001|idle/);
      expect(talking.closedReason).toBeNull();
      ok(await talking.request('range', { key: b('k') }));
      expect(await metric(/^kite_server_client_idle_closed_total (\d+)/m)).toBeGreaterThanOrEqual(1);
    } finally {
      silent.close();
      talking.close();
    }
  });

  it('refuses connections past the per-address cap, counts them, and accepts again once one closes', async () => {
    // Earlier links may still be closing on the server: wait until all slots are free.
    await waitFor('no open client links', 5000, async () => ((await metric(/^kite_server_client_connections (\d+)/m)) === 0 ? true : undefined));
    const open: WireClient[] = [];
    try {
      for (let i = 0; i < PER_ADDRESS; i++) open.push(await WireClient.connect(url));
      await expect(WireClient.connect(url)).rejects.toThrow(/429|failed/);
      expect(await metric(/^kite_server_client_connections_refused_total\{reason="per_address"\} (\d+)/m)).toBe(1);
      for (const c of open) ok(await c.request('ping', {}));
      open.shift()?.close();
      const again = await waitFor('a freed slot', 5000, async () => WireClient.connect(url, 1000));
      open.push(again);
      ok(await again.request('ping', {}));
    } finally {
      for (const c of open) c.close();
    }
  });
});
