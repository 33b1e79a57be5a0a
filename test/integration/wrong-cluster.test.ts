// Wrong cluster ids on the peer link with real members (bad-input.test.ts sends one forged
// hello): a member of cluster A is started with cluster B's peer URLs in its --initial-cluster
// and another --cluster-token, as a copied configuration would do. Each side logs and refuses
// the link (B: "peer link refused" with WrongCluster; A: "peer refused our link", close 4001),
// neither crashes, and B keeps serving with its own members and data.
//
// Links are dialed by the member with the smaller id (peer-transport.ts). Member ids derive
// from the token and the name, so the test picks A's token such that the foreign member dials
// both of B's members: the direction in which its hello reaches B. With the opposite order the
// foreign member waits to be dialed, which never happens: it logs that no link came from its
// peers (after SILENT_PEER_INTERVALS_WARN pings) instead of staying silent.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deriveMemberId } from '../../packages/server/src/config.js';
import { Cluster, waitFor } from './harness/cluster.js';
import { WireClient, b, ok, str } from './harness/wire.js';

/** Tokens tried for cluster A (each has a 1 in 3 chance to give n1 the smallest id). */
const TOKEN_TRIES_MAX = 200;

/** A token for cluster A under which n1's id is below (dials) or above (waits for) n2's and n3's. */
function tokenWhereN1(order: 'dials' | 'waits'): string {
  for (let i = 0; i < TOKEN_TRIES_MAX; i++) {
    const token = `cluster-a-${i}`;
    const [n1, ...rest] = ['n1', 'n2', 'n3'].map((n) => deriveMemberId(token, n)) as [string, string, string];
    if (rest.every((id) => (order === 'dials' ? n1 < id : n1 > id))) return token;
  }
  throw new Error(`no token within ${TOKEN_TRIES_MAX} tries where n1 ${order}`);
}

/** Cluster A's member "n1", believing B's n2 and n3 are its peers. */
function startForeign(a: Cluster, other: Cluster, order: 'dials' | 'waits'): void {
  const initial = [`n1=${a.peerUrl('n1')}`, `n2=${other.peerUrl('n2')}`, `n3=${other.peerUrl('n3')}`].join(',');
  a.start('n1', ['--initial-cluster', initial, '--cluster-token', tokenWhereN1(order)]);
}

/** B serves writes and reads and still lists only its own three members. */
async function expectBServes(c: WireClient, prefix: string): Promise<void> {
  for (let i = 0; i < 5; i++) ok(await c.request('put', { key: b(`${prefix}/${i}`), value: b(`b${i}`) }));
  const got = ok(await c.request('range', { key: b(`${prefix}/`), rangeEnd: b(`${prefix}0`) }));
  expect(got.kvs.map((kv) => str(kv.value))).toEqual(Array.from({ length: 5 }, (_, i) => `b${i}`));
  const members = ok(await c.request('memberList', {}));
  expect(members.members.map((m) => m.name).sort()).toEqual(['n1', 'n2', 'n3']);
}

describe('a member of another cluster on the peer link', () => {
  let clusterB: Cluster | undefined;
  let clusterA: Cluster | undefined;
  let c: WireClient | undefined;
  beforeAll(async () => {
    clusterB = await Cluster.create({ size: 3 });
    await clusterB.startAll();
    c = await WireClient.connect(clusterB.clientUrl('n1'));
  });
  afterEach(async () => {
    await clusterA?.stop();
    clusterA = undefined;
  });
  afterAll(async () => {
    c?.close();
    await clusterB?.stop();
  });

  it('is refused by both sides with WrongCluster; neither crashes and cluster B keeps serving', async () => {
    const bCluster = clusterB!;
    clusterA = await Cluster.create({ size: 1 });
    const aCluster = clusterA;
    startForeign(aCluster, bCluster, 'dials');

    await waitFor('B to refuse the foreign link', 15_000, () =>
      bCluster.log('n2').includes('WrongCluster') && bCluster.log('n3').includes('WrongCluster') ? true : undefined,
    );
    for (const name of ['n2', 'n3']) expect(bCluster.log(name)).toContain('peer link refused');
    await waitFor('A to log the refusal', 15_000, () => (aCluster.log('n1').includes('peer refused our link') ? true : undefined));
    expect(aCluster.log('n1')).toMatch(/"code":4001/);

    // Neither side crashed; the foreign member has no leader and says so on /health.
    expect(aCluster.isRunning('n1')).toBe(true);
    const health = await waitFor('A to answer /health', 15_000, () =>
      fetch(`${aCluster.httpUrl('n1')}/health`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined),
    );
    expect(health.status).toBe(503);
    expect((await aCluster.status('n1')).leader).toBeNull();
    for (const name of ['n1', 'n2', 'n3']) expect(bCluster.isRunning(name)).toBe(true);
    await expectBServes(c!, 'd');
  });

  it('logs that no link comes when the foreign member waits to be dialed; B keeps serving', async () => {
    const bCluster = clusterB!;
    clusterA = await Cluster.create({ size: 1 });
    const aCluster = clusterA;
    startForeign(aCluster, bCluster, 'waits');
    await waitFor('A to log the missing links', 15_000, () => ((aCluster.log('n1').match(/no link from peer/g) ?? []).length >= 2 ? true : undefined));
    expect(aCluster.log('n1')).toContain('--cluster-token');
    expect(aCluster.isRunning('n1')).toBe(true);
    expect((await aCluster.status('n1')).leader).toBeNull();
    await expectBServes(c!, 'w');
  });
});
