// The web console in a real browser (chromium via playwright-core) against a real 3-member
// cluster: the console each member serves at /ui shows the cluster, follows it live, and lets
// an operator browse, edit, review and roll back keys. Any console or page error fails the
// test (harness/browser.ts); screenshots of each view, light and dark, go to the folder the
// harness prints.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ConsoleBrowser } from './harness/browser.js';
import { Cluster, waitFor } from './harness/cluster.js';

/** The bound: a dead member turns red within 2 s (asserted as a bounded wait). */
const DOWN_SHOWN_WITHIN_MS = 2_000;

describe('the web console', () => {
  let cluster: Cluster;
  let browser: ConsoleBrowser;
  let page: Page;

  beforeAll(async () => {
    cluster = await Cluster.create({ size: 3 });
    await cluster.startAll();
    await cluster.leader();
    browser = await ConsoleBrowser.launch(`run-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    page = await browser.open(`${cluster.httpUrl('n1')}/ui/`);
  });

  afterEach(() => browser.assertClean());

  afterAll(async () => {
    await browser?.close();
    await cluster?.stop();
  });

  it('is served at /ui with its assets, and refuses paths outside it', async () => {
    const base = cluster.httpUrl('n2');
    const redirect = await fetch(`${base}/ui`, { redirect: 'manual' });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get('location')).toBe('/ui/');
    const index = await fetch(`${base}/ui/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await index.text();
    const asset = /src="(\/ui\/assets\/app-[A-Z0-9]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(`${base}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');
    for (const bad of ['/ui/../package.json', '/ui/%2e%2e/package.json', '/ui/assets/../../index.html', '/ui/.hidden.js', '/ui/a/b/c.js']) {
      expect((await fetch(`${base}${bad}`)).status, bad).toBe(404);
    }
  });

  it('shows the 3 members and the leader', async () => {
    const leader = await cluster.leader();
    await page.getByRole('heading', { name: 'Cluster' }).waitFor();
    await waitFor('3 members up', 10_000, async () => ((await page.locator('tr.member[data-state="up"]').count()) === 3 ? true : undefined));
    await waitFor('the leader shown', 10_000, async () => ((await page.getByTestId('leader').textContent()) === leader ? true : undefined));
    expect(await page.locator(`tr.member[data-member="${leader}"] [data-role]`).textContent()).toBe('leader');
    await browser.screenshot(page, 'cluster');
  });

  it('turns a killed member red within 2 s and back after its restart', async () => {
    const leader = await cluster.leader();
    const victim = cluster.members.find((m) => m.name !== leader && m.name !== 'n1')?.name ?? 'n3';
    const row = page.locator(`tr.member[data-member="${victim}"]`);
    const port = cluster.member(victim).clientPort;
    await browser.expectErrors(new RegExp(`127\\.0\\.0\\.1:${port}`), async () => {
      await cluster.kill(victim, 'SIGKILL');
      const killedMs = performance.now();
      await waitFor(`${victim} shown down`, DOWN_SHOWN_WITHIN_MS, async () => ((await row.getAttribute('data-state')) === 'down' ? true : undefined));
      process.stdout.write(`console: ${victim} shown down ${Math.round(performance.now() - killedMs)} ms after kill -9\n`);
      await browser.screenshot(page, 'cluster-member-down');
      cluster.start(victim);
      await cluster.waitHealthy(victim);
      await waitFor(`${victim} shown up again`, 10_000, async () => ((await row.getAttribute('data-state')) === 'up' ? true : undefined));
    });
  });
});
