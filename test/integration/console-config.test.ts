// The console's configuration-center and audit views in a real browser (chromium via
// playwright-core) against real `kite server` processes: the whole release flow is driven from
// the UI — create an app, stage values (a malformed one refused before it is sent), release,
// read the diff, gray release to 50 % with real @kite/config SDK instances reporting, promote,
// roll back — and after every step the state is read back through @kite/config (and once
// through the CLI) to check the store holds what the UI says. With auth on, the release is
// made by the logged-in user and the audit view shows it with that user, live. Accessibility:
// every control of every view has an accessible name (Chromium's own accessibility tree, via
// CDP), and Tab reaches the main controls with a visible focus outline. Any console or page
// error fails the test (harness/browser.ts); screenshots light and dark at 1280×800 of each view.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { connect, type KiteClient } from '@kite/client';
import { ConfigAdmin, grayBucket, GRAY_BUCKETS, type ConfigInstance } from '@kite/config';
import { config } from '@kite/config/node';
import { ConsoleBrowser } from './harness/browser.js';
import { Cluster, waitFor } from './harness/cluster.js';

const CLI_MAIN = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));
const run = promisify(execFile);
const APP = { namespace: 'prod', app: 'shop' };
/** Bound on any wait for the UI or an instance to catch up (generous: 2 shared cores). */
const SHOWN_MS = 20_000;
/** Focus stops the keyboard walk takes at most before giving up on reaching a control. */
const TAB_STOPS_MAX = 120;

/** Waits until `text()` satisfies `ok` (bounded), returning the text. */
async function until(what: string, text: () => Promise<string | null>, ok: (t: string) => boolean): Promise<string> {
  return waitFor(what, SHOWN_MS, async () => {
    const t = (await text()) ?? '';
    return ok(t) ? t : undefined;
  });
}

/** Controls in the page's accessibility tree (Chromium's own computation) that have no accessible name. */
async function unnamedControls(page: Page): Promise<string[]> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { nodes } = await cdp.send('Accessibility.getFullAXTree') as { nodes: { ignored: boolean; role?: { value: string }; name?: { value: string } }[] };
    const controls = new Set(['textbox', 'combobox', 'searchbox', 'spinbutton', 'checkbox', 'radio', 'button', 'link', 'listbox', 'slider', 'switch', 'menuitem', 'tab']);
    return nodes
      .filter((n) => !n.ignored && controls.has(n.role?.value ?? '') && (n.name?.value ?? '').trim() === '')
      .map((n) => n.role?.value ?? '?');
  } finally {
    await cdp.detach();
  }
}

interface FocusStop {
  readonly label: string;
  readonly outlineVisible: boolean;
}

// Page scripts are strings: the tests' TypeScript program has no DOM library.
const BLUR_AND_TOP = '(() => { const el = document.activeElement; if (el && el.blur) el.blur(); window.scrollTo(0, 0); })()';
const FOCUSED = `(() => {
  const el = document.activeElement;
  if (el === null || el === document.body) return { label: '(body)', outlineVisible: false };
  const name = el.getAttribute('aria-label') ?? ((el.labels && el.labels[0] ? el.labels[0].textContent : el.textContent) ?? '').trim();
  const s = getComputedStyle(el);
  return { label: el.tagName.toLowerCase() + ':' + name, outlineVisible: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 };
})()`;

/** Presses Tab from the top of the page and records each focused element (name and whether its focus outline shows). */
async function tabWalk(page: Page, stops: number): Promise<FocusStop[]> {
  await page.evaluate(BLUR_AND_TOP);
  const out: FocusStop[] = [];
  for (let i = 0; i < stops; i++) {
    await page.keyboard.press('Tab');
    out.push(await page.evaluate<FocusStop>(FOCUSED));
  }
  return out;
}

describe('the console: configuration center and audit', () => {
  let cluster: Cluster | undefined;
  let browser: ConsoleBrowser | undefined;
  const clients: KiteClient[] = [];
  const instances: ConfigInstance[] = [];

  afterEach(async () => {
    for (const i of instances.splice(0)) await i.close().catch(() => undefined);
    for (const c of clients.splice(0)) c.close();
    // close() throws on console errors left unchecked: the test fails on any.
    await browser?.close();
    browser = undefined;
    await cluster?.stop();
    cluster = undefined;
  });

  async function client(c: Cluster, auth?: { user: string; password: string }): Promise<KiteClient> {
    const k = await connect({ endpoints: c.endpoints, timeoutMs: 8000, ...(auth !== undefined ? { auth } : {}) });
    clients.push(k);
    return k;
  }

  it('release, diff, gray release to 50 % with SDK instances, promote and rollback, all from the UI', async () => {
    cluster = await Cluster.create({ size: 3 });
    await cluster.startAll();
    await cluster.leader();
    const admin = new ConfigAdmin(await client(cluster), APP);
    browser = await ConsoleBrowser.launch(`config-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    const page = await browser.open(`${cluster.httpUrl('n1')}/ui/#/config`);

    // Create the app (its page opens; it exists in the store from the first staged value).
    await page.getByRole('heading', { name: 'Configuration', level: 1 }).waitFor();
    await page.getByText('No app yet.').waitFor();
    await page.getByLabel('Namespace', { exact: true }).fill(APP.namespace);
    await page.getByLabel('App', { exact: true }).fill(APP.app);
    await page.getByRole('button', { name: 'Create app' }).click();
    await page.getByRole('heading', { name: 'prod/shop', level: 1 }).waitFor();
    await page.getByText('Nothing released yet.').waitFor();

    // A malformed JSON value is refused in the browser, with its position; nothing is staged.
    await page.getByLabel('Key', { exact: true }).fill('db');
    await page.getByLabel('Type', { exact: true }).selectOption('json');
    await page.getByLabel('Value', { exact: true }).fill('{"host": "db1",}');
    await page.getByRole('button', { name: 'Stage', exact: true }).click();
    const problem = await until('the JSON error shown', () => page.locator('#draft-problem').textContent(), (t) => t !== '');
    expect(problem).toMatch(/InvalidValue: db: invalid json at line 1, column 16/);
    expect(await page.getByLabel('Value', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect((await admin.state()).drafts.size).toBe(0);

    // Valid values are staged (and the store holds them).
    await page.getByLabel('Value', { exact: true }).fill('{"host": "db1"}');
    await page.getByRole('button', { name: 'Stage', exact: true }).click();
    await page.locator('tr[data-key="db"]').waitFor();
    await page.getByLabel('Key', { exact: true }).fill('feature');
    await page.getByLabel('Type', { exact: true }).selectOption('text');
    await page.getByLabel('Value', { exact: true }).fill('off');
    await page.getByRole('button', { name: 'Stage', exact: true }).click();
    await page.locator('tr[data-key="feature"]').waitFor();
    const drafts = (await admin.state()).drafts;
    expect(Object.fromEntries(drafts)).toEqual({
      db: { op: 'set', value: { type: 'json', text: '{"host": "db1"}' } },
      feature: { op: 'set', value: { type: 'text', text: 'off' } },
    });

    // Release 1 by "ana".
    await page.getByLabel('Author', { exact: true }).fill('ana');
    await page.getByLabel('Release message', { exact: true }).fill('first');
    await page.getByRole('button', { name: 'Release', exact: true }).click();
    await page.locator('tr[data-release="1"][data-status="current"]').waitFor({ timeout: SHOWN_MS });
    const r1 = await admin.release(1);
    expect([r1.author, r1.message, r1.kind, Object.keys(r1.content).sort()]).toEqual(['ana', 'first', 'release', ['db', 'feature']]);

    // The app appears in the live list (no reload): so does one created elsewhere meanwhile.
    await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Configuration' }).click();
    await page.getByRole('link', { name: 'shop' }).waitFor();
    await new ConfigAdmin(await client(cluster), { namespace: 'test', app: 'billing' }).set('limit', { type: 'text', text: '5' });
    await page.getByRole('link', { name: 'billing' }).waitFor({ timeout: SHOWN_MS });
    await browser.screenshot(page, 'config-apps');
    await page.getByRole('link', { name: 'shop' }).click();

    // Two real SDK instances, one inside the 50 % gray bucket range and one outside it.
    const ids = Array.from({ length: 100 }, (_, i) => `inst-${i}`);
    const inGray = ids.find((id) => grayBucket(APP, id) < GRAY_BUCKETS / 2);
    const outGray = ids.find((id) => grayBucket(APP, id) >= GRAY_BUCKETS / 2);
    expect(inGray).toBeDefined();
    expect(outGray).toBeDefined();
    for (const [i, id] of [inGray!, outGray!].entries()) {
      instances.push(await config(await client(cluster), { ...APP, instanceId: id, address: `127.0.0.1:${9100 + i}`, labels: { zone: 'a' }, onWarning: () => undefined }));
    }
    const [gIn, gOut] = instances as [ConfigInstance, ConfigInstance];
    const runs = (id: string) => page.locator(`tr[data-instance="${id}"] [data-col="runs"]`);
    await until('both instances shown on release 1', async () => `${await runs(inGray!).textContent()}|${await runs(outGray!).textContent()}`, (t) => t === '1|1');

    // Release 2 changes db; its page shows the diff against release 1.
    await page.getByRole('button', { name: 'Edit db' }).click();
    await page.getByLabel('Value', { exact: true }).fill('{"host": "db2"}');
    await page.getByRole('button', { name: 'Stage', exact: true }).click();
    await page.locator('section[data-key="db"].diff-changed').waitFor();
    await page.getByLabel('Release message', { exact: true }).fill('db2');
    await page.getByRole('button', { name: 'Release', exact: true }).click();
    await page.locator('tr[data-release="2"][data-status="current"]').waitFor({ timeout: SHOWN_MS });
    await until('both instances on release 2', async () => `${await runs(inGray!).textContent()}|${await runs(outGray!).textContent()}`, (t) => t === '2|2');
    await page.locator('tr[data-release="2"]').getByRole('link', { name: '2' }).click();
    await page.getByRole('heading', { name: 'Release 2', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'Changes against release 1' }).waitFor();
    expect(await page.getByTestId('release-author').textContent()).toBe('ana');
    const dbDiff = page.locator('section[data-key="db"]');
    expect(await dbDiff.locator('pre.diff div.del').allTextContents()).toEqual(['-removed: {"host": "db1"}']);
    expect(await dbDiff.locator('pre.diff div.add').allTextContents()).toEqual(['+added: {"host": "db2"}']);
    expect(await page.locator('section[data-key="feature"]').count()).toBe(0);
    expect((await admin.release(2)).diff).toEqual([{ key: 'db', change: 'changed', before: { type: 'json', text: '{"host": "db1"}' }, after: { type: 'json', text: '{"host": "db2"}' } }]);
    await browser.screenshot(page, 'config-release');
    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'prod/shop' }).click();

    // Gray release 3 (feature=on) to 50 %: only the instance inside the bucket range runs it.
    await page.getByRole('button', { name: 'Edit feature' }).click();
    await page.getByLabel('Value', { exact: true }).fill('on');
    await page.getByRole('button', { name: 'Stage', exact: true }).click();
    await page.locator('section[data-key="feature"].diff-changed').waitFor();
    await page.getByLabel('Release message', { exact: true }).fill('feature on for half');
    await page.getByLabel('Gray rule', { exact: true }).selectOption('percent');
    // A rule @kite/config refuses is reported with its code, and nothing starts.
    await page.getByLabel('Gray rule value', { exact: true }).fill('150');
    await page.getByRole('button', { name: 'Start gray release' }).click();
    await until('the rule refused', () => page.locator('#publish-heading ~ p.action-error').textContent(), (t) => t !== '');
    expect(await page.locator('#publish-heading ~ p.action-error').textContent()).toMatch(/^InvalidArgument: gray percentage must be 0\.\.100/);
    expect((await admin.state()).head.gray).toBeNull();
    await page.getByLabel('Gray rule value', { exact: true }).fill('50');
    await page.getByRole('button', { name: 'Start gray release' }).click();
    await page.getByRole('heading', { name: 'Gray release 3' }).waitFor({ timeout: SHOWN_MS });
    expect(await page.getByTestId('gray-rule').textContent()).toBe('50% of instances');
    const head = (await admin.state()).head;
    expect(head).toEqual({ release: 2, last: 3, gray: { release: 3, rule: { kind: 'percentage', percent: 50 }, author: 'ana', startedAt: expect.any(String) } });
    await until('the gray instance on 3, the other on 2', async () => `${await runs(inGray!).textContent()}|${await runs(outGray!).textContent()}`, (t) => t === '3|2');
    await until('gray reach shown', () => page.getByTestId('gray-reach').textContent(), (t) => t.startsWith('1 of 1 selected instances run it'));
    expect([gIn.release, gIn.get('feature')?.text, gOut.release, gOut.get('feature')?.text]).toEqual([3, 'on', 2, 'off']);
    const listed = await admin.instances();
    expect(listed.instances.map((i) => [i.id, i.expected, i.applied?.release, i.status]).sort()).toEqual([[inGray, 3, 3, 'current'], [outGray, 2, 2, 'current']].sort());
    await page.getByRole('heading', { name: 'Gray release 3' }).scrollIntoViewIfNeeded();
    await browser.screenshot(page, 'config-app-gray');

    // Promote (confirmed in the dialog): every instance runs 3.
    await page.getByRole('button', { name: 'Promote' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Promote' }).click();
    await page.locator('tr[data-release="3"][data-status="current"]').waitFor({ timeout: SHOWN_MS });
    await until('both instances on release 3', async () => `${await runs(inGray!).textContent()}|${await runs(outGray!).textContent()}`, (t) => t === '3|3');
    expect((await admin.state()).head).toEqual({ release: 3, last: 3, gray: null });
    expect([gIn.get('feature')?.text, gOut.get('feature')?.text]).toEqual(['on', 'on']);

    // Roll back to release 2 (a new release 4 with 2's content), confirmed in the dialog.
    await page.locator('tr[data-release="2"]').getByRole('button', { name: 'Roll back to 2' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Roll back' }).click();
    await page.locator('tr[data-release="4"][data-status="current"]').waitFor({ timeout: SHOWN_MS });
    expect(await page.locator('tr[data-release="4"] td').first().textContent()).toBe('rollback to 2');
    await until('both instances on release 4', async () => `${await runs(inGray!).textContent()}|${await runs(outGray!).textContent()}`, (t) => t === '4|4');
    expect([gIn.get('feature')?.text, gOut.get('feature')?.text, gOut.get('db')?.text]).toEqual(['off', 'off', '{"host": "db2"}']);
    const r4 = await admin.release(4);
    expect([r4.kind, r4.rollbackOf, r4.author, r4.content]).toEqual(['rollback', 2, 'ana', (await admin.release(2)).content]);
    // The CLI agrees with the UI's table.
    const env = { ...process.env, KITE_ENDPOINTS: cluster.endpoints.join(',') };
    const cli = JSON.parse((await run(process.execPath, [CLI_MAIN, 'config', 'releases', '--namespace', 'prod', '--app', 'shop', '-w', 'json'], { env })).stdout) as { number: number; status: string }[];
    const uiRows = await page.locator('tr[data-release]').evaluateAll((rows) => rows.map((r) => [Number(r.getAttribute('data-release')), r.getAttribute('data-status')]));
    expect(uiRows).toEqual([[4, 'current'], [3, 'promoted'], [2, 'superseded'], [1, 'superseded']]);
    expect(cli.map((r) => [r.number, r.status]).reverse()).toEqual(uiRows);
    await browser.screenshot(page, 'config-app');
    // An instance that stops (its record is deleted with it) leaves the live table.
    await gOut.close();
    await page.locator(`tr[data-instance="${outGray!}"]`).waitFor({ state: 'detached', timeout: SHOWN_MS });
    expect(await page.locator('tr[data-instance]').count()).toBe(1);

    // Accessibility across the console: every control named, Tab reaches the main ones with a visible focus.
    const headKey = encodeURIComponent('__kite/config/apps/prod/shop/head');
    const views = [
      ['cluster', '#/cluster'], ['keys', `#/keys/${headKey}`], ['history', `#/history/${headKey}`],
      ['apps', '#/config'], ['app', '#/config/prod/shop'], ['release', '#/config/prod/shop/releases/2'], ['audit', '#/audit'],
    ] as const;
    for (const [view, hash] of views) {
      await page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
      await page.locator('main h1').first().waitFor();
      await page.waitForLoadState('networkidle').catch(() => undefined);
      expect(await unnamedControls(page), `unnamed controls on ${view}`).toEqual([]);
    }
    await page.evaluate(`location.hash = '#/config/prod/shop'`);
    await page.getByRole('heading', { name: 'prod/shop', level: 1 }).waitFor();
    const stops = await tabWalk(page, TAB_STOPS_MAX);
    const labels = stops.map((s) => s.label);
    process.stdout.write(`console-config: Tab order on the app page: ${labels.slice(0, 40).join(' | ')}\n`);
    for (const want of ['a:Skip to content', 'a:Configuration', 'a:Audit', 'input:Key', 'select:Type', 'textarea:Value', 'button:Stage', 'button:Edit db', 'input:Release message', 'button:Roll back to 1']) {
      expect(labels, `Tab reaches ${want}`).toContain(want);
    }
    const otherViews = [
      ['#/audit', ['input:User', 'input:Op', 'input:Key prefix', 'input:From', 'input:To', 'button:Filter', 'button:Read new records']],
      [`#/keys/${headKey}`, ['a:Keys', 'li:', 'button:Edit']],
      [`#/history/${headKey}`, ['a:Back to the key', 'button:Roll back to revision']],
    ] as const;
    for (const [hash, wants] of otherViews) {
      await page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
      await page.locator('main h1').first().waitFor();
      await page.waitForLoadState('networkidle').catch(() => undefined);
      const more = await tabWalk(page, TAB_STOPS_MAX / 2);
      for (const want of wants) expect(more.map((s) => s.label).some((l) => l.startsWith(want)), `Tab reaches ${want} on ${hash}: ${more.map((s) => s.label).join(' | ')}`).toBe(true);
      stops.push(...more);
    }
    const noOutline = stops.filter((s) => s.label !== '(body)' && !s.outlineVisible).map((s) => s.label);
    expect(noOutline, `focused elements without a visible outline: ${noOutline.join(' | ')}`).toEqual([]);
  });

  it('with auth on, the release is made as the logged-in user and the audit view shows it, live', async () => {
    cluster = await Cluster.create({ size: 1 });
    await cluster.startAll();
    await cluster.leader();
    const setup = await client(cluster);
    await setup.auth.userAdd('root', 'rootpw');
    await setup.auth.userGrantRole('root', 'root');
    await setup.auth.enable();
    const root = await client(cluster, { user: 'root', password: 'rootpw' });
    const admin = new ConfigAdmin(root, { namespace: 'prod', app: 'pay' });

    browser = await ConsoleBrowser.launch(`config-auth-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    const page = await browser.open(`${cluster.httpUrl('n1')}/ui/#/config/prod/pay`);
    await page.getByLabel('User', { exact: true }).fill('root');
    await page.getByLabel('Password', { exact: true }).fill('rootpw');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'prod/pay', level: 1 }).waitFor({ timeout: SHOWN_MS });
    // The author is the login, not something typed.
    const author = page.getByLabel('Author', { exact: true });
    expect([await author.inputValue(), await author.getAttribute('readonly')]).toEqual(['root', '']);
    await page.getByLabel('Key', { exact: true }).fill('rate');
    await page.getByLabel('Type', { exact: true }).selectOption('yaml');
    await page.getByLabel('Value', { exact: true }).fill('limit: 10\n');
    await page.getByRole('button', { name: 'Stage', exact: true }).click();
    await page.locator('tr[data-key="rate"]').waitFor();
    await page.getByLabel('Release message', { exact: true }).fill('rate limit');
    await page.getByRole('button', { name: 'Release', exact: true }).click();
    await page.locator('tr[data-release="1"][data-status="current"]').waitFor({ timeout: SHOWN_MS });
    expect((await admin.release(1)).author).toBe('root');

    // The audit view, filtered to root's txns under the app's keys, shows release 1 by root.
    await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('heading', { name: 'Audit trail', level: 1 }).waitFor();
    await page.getByLabel('User', { exact: true }).fill('root');
    await page.getByLabel('Op', { exact: true }).fill('txn');
    await page.getByLabel('Key prefix', { exact: true }).fill('__kite/config/apps/prod/pay/');
    await page.getByRole('button', { name: 'Filter' }).click();
    const row1 = page.locator('tr[data-op="txn"]', { has: page.locator('[data-col="what"]', { hasText: 'release 1 of prod/pay' }) });
    await row1.waitFor({ timeout: SHOWN_MS });
    expect(await row1.locator('[data-col="user"]').textContent()).toBe('root');
    // Every row matches the filter (the draft edits are txns too; no put or other user slips in).
    // Polled (bounded): a live re-read may replace the rows while the check runs.
    const readRows = (): Promise<(string | null | undefined)[][]> =>
      page.locator('tr[data-seq]').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-op'), tr.querySelector('[data-col="user"]')?.textContent]));
    await expect.poll(async () => (await readRows()).length, { timeout: SHOWN_MS }).toBeGreaterThanOrEqual(2);
    const rows = await readRows();
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows.every(([op, user]) => op === 'txn' && user === 'root')).toBe(true);
    // The same record through the audit op.
    const seq = Number(await row1.getAttribute('data-seq'));
    const trail = await root.request('audit', { user: 'root' });
    const rec = trail.records.find((r) => r.seq === seq);
    expect([rec?.op, rec?.user, rec?.keys.map((k) => new TextDecoder().decode(k))]).toEqual(['txn', 'root', expect.arrayContaining(['__kite/config/apps/prod/pay/releases/0000000001'])]);

    // A time range ending before the first record shows none; the filter lives in the URL.
    await page.getByLabel('To', { exact: true }).fill('2001-01-01T00:00');
    await page.getByRole('button', { name: 'Filter' }).click();
    await until('no record before 2001', () => page.getByRole('status').filter({ hasText: 'newest first' }).textContent(), (t) => t.startsWith('0 records'));
    // (The input is local time; the URL holds UTC, a few hours either side in any time zone.)
    expect(decodeURIComponent(new URL(page.url()).hash)).toMatch(/until=(2000-12-31|2001-01-01)T/);
    await page.getByLabel('To', { exact: true }).fill('');
    await page.getByRole('button', { name: 'Filter' }).click();
    await row1.waitFor({ timeout: SHOWN_MS });

    // Live: a release made elsewhere (the admin API as root) appears without a reload.
    await admin.set('rate', { type: 'yaml', text: 'limit: 20\n' });
    await admin.publish({ message: 'more', author: 'root' });
    await page.locator('[data-col="what"]', { hasText: 'release 2 of prod/pay' }).waitFor({ timeout: SHOWN_MS });
    await browser.screenshot(page, 'audit');
  });
});
