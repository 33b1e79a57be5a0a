// The web console in a real browser (chromium via playwright-core) against a real 3-member
// cluster: the console each member serves at /ui shows the cluster, follows it live, and lets
// an operator browse, edit, review and roll back keys. Any console or page error fails the
// test (harness/browser.ts); screenshots of each view, light and dark, go to the folder the
// harness prints.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { connect, type KiteClient } from '@kite/client';
import { ConsoleBrowser } from './harness/browser.js';
import { Cluster, waitFor } from './harness/cluster.js';

const CLI_MAIN = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));
const run = promisify(execFile);

/** The bound: a dead member turns red within 2 s (asserted as a bounded wait). */
const DOWN_SHOWN_WITHIN_MS = 2_000;

describe('the web console', () => {
  let cluster: Cluster;
  let browser: ConsoleBrowser;
  let page: Page;
  let client: KiteClient;

  /** A `kite` CLI process against the cluster (stdout). */
  async function kite(...args: string[]): Promise<string> {
    const r = await run(process.execPath, [CLI_MAIN, ...args], { timeout: 30_000, env: { ...process.env, KITE_ENDPOINTS: cluster.endpoints.join(','), NO_COLOR: '1' } });
    return r.stdout;
  }

  /** Waits until the locator's text matches. */
  async function waitText(what: string, get: () => Promise<string | null>, re: RegExp, timeoutMs = 10_000): Promise<string> {
    return waitFor(what, timeoutMs, async () => {
      const t = await get();
      return t !== null && re.test(t) ? t : undefined;
    });
  }

  beforeAll(async () => {
    cluster = await Cluster.create({ size: 3 });
    await cluster.startAll();
    await cluster.leader();
    client = await connect({ endpoints: cluster.endpoints, timeoutMs: 10_000 });
    browser = await ConsoleBrowser.launch(`run-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    page = await browser.open(`${cluster.httpUrl('n1')}/ui/`);
  });

  afterEach(() => browser.assertClean());

  afterAll(async () => {
    client?.close();
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

  it('shows a key written by a CLI process in the open tree without a reload', async () => {
    await client.put('/app/config.json', '{\n  "replicas": 3,\n  "mode": "blue"\n}');
    await client.put('/app/name', 'kite');
    const lease = await client.lease.grant(60);
    await client.put('/app/session', 'alive', { lease });
    await page.goto(`${cluster.httpUrl('n1')}/ui/#/keys/${encodeURIComponent('/app/name')}`);
    await page.locator('[data-testid="value"]').waitFor();
    expect(await page.locator('[data-testid="value"]').textContent()).toBe('kite');
    const tree = page.getByRole('tree', { name: 'Keys' });
    await tree.locator('[data-path="/app/config.json"]').waitFor();
    await kite('put', '/app/added-by-cli', 'hello');
    const added = tree.locator('[data-path="/app/added-by-cli"]');
    await added.waitFor({ timeout: 10_000 });
    expect(await added.getAttribute('class')).toContain('changed');
    await added.click();
    await waitText('the CLI value shown', () => page.locator('[data-testid="value"]').textContent(), /^hello$/);
    // The lease attached to a key is shown with its remaining TTL.
    await tree.locator('[data-path="/app/session"]').click();
    await waitText('lease TTL', () => page.getByTestId('lease').textContent(), /^[0-9a-f]+ · \d+ s left of 60 s$/);
    await browser.screenshot(page, 'keys');
  });

  it('refuses an edit with malformed JSON with the position of the error, and saves a valid one visible to kite get', async () => {
    await page.getByRole('tree', { name: 'Keys' }).locator('[data-path="/app/config.json"]').click();
    await page.locator('[data-testid="value"] .hljs-attr').first().waitFor();
    await page.getByRole('button', { name: 'Edit' }).click();
    const editor = page.getByLabel('Value of /app/config.json');
    await editor.fill('{\n  "replicas": 4,\n  "mode": "green",\n}');
    await page.getByRole('button', { name: 'Save' }).click();
    const problem = await waitText('the JSON error', () => page.getByTestId('editor-problem').textContent(), /line \d+, column \d+/);
    expect(problem).toMatch(/^Not saved: invalid JSON at line 4, column 1: /);
    await browser.screenshot(page, 'keys-edit-refused');
    expect(JSON.parse(await kite('get', '/app/config.json', '--print-value-only'))).toEqual({ replicas: 3, mode: 'blue' });
    await editor.fill('{\n  "replicas": 4,\n  "mode": "green"\n}');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('[data-testid="value"]').waitFor();
    await waitFor('kite get sees the edit', 10_000, async () => {
      const out = await kite('get', '/app/config.json', '--print-value-only');
      return out.includes('"green"') ? true : undefined;
    });
    expect(JSON.parse(await kite('get', '/app/config.json', '--print-value-only'))).toEqual({ replicas: 4, mode: 'green' });
  });

  it('shows the history of a key with each change as a diff, and a rollback restores the old value', async () => {
    const key = '/app/config.json';
    const first = (await client.get(key, { revision: 0 })).kvs[0]?.createRevision ?? 0;
    await page.goto(`${cluster.httpUrl('n1')}/ui/#/history/${encodeURIComponent(key)}`);
    const revisions = page.locator('li.revision');
    await waitFor('two revisions listed', 10_000, async () => ((await revisions.count()) === 2 ? true : undefined));
    const newest = revisions.first();
    expect(await newest.locator('.del').allTextContents()).toEqual(['-removed:   "replicas": 3,', '-removed:   "mode": "blue"']);
    expect(await newest.locator('.add').allTextContents()).toEqual(['+added:   "replicas": 4,', '+added:   "mode": "green"']);
    // The author comes from the audit trail (no login here: the browser's address).
    expect(await newest.getByTestId('author').textContent()).toBe('by 127.0.0.1');
    expect(await newest.getByTestId('time').textContent()).not.toBe('time unknown');
    await browser.screenshot(page, 'history');
    await page.getByRole('button', { name: `Roll back to revision ${first}` }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByTestId('diff').waitFor();
    expect(await dialog.locator('.add').allTextContents()).toContain('+added:   "replicas": 3,');
    await browser.screenshot(page, 'history-rollback-confirm');
    await dialog.getByRole('button', { name: 'Roll back' }).click();
    await waitText('rollback done', () => page.getByTestId('rollback-done').textContent(), /^Restored the value of revision \d+/);
    expect(JSON.parse(await kite('get', key, '--print-value-only'))).toEqual({ replicas: 3, mode: 'blue' });
    // The history is live: the rollback's revision is listed without a reload.
    await waitFor('the rollback listed', 10_000, async () => ((await revisions.count()) === 3 ? true : undefined));
  });
});
