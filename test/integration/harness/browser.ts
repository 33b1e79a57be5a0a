// Browser harness for the console tests: Debian's chromium (installed with apt-get when missing,
// like faketime.ts does for its package) driven headless by playwright-core.
//
// Rules it keeps: any console error or uncaught page error fails the test (assertClean(), and
// close() throws if one was left unchecked), except errors a test declares expected with
// expectErrors() for a bounded step (a member the test killed refuses the console's links);
// screenshots are taken at 1280×800 in the light AND the dark colour scheme into one folder per
// run under test-artifacts/console/ (git-ignored), printed when the harness starts; close()
// closes every page, context and the browser it launched.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { installDebianPackage } from '../../../jepsen-lite/src/cluster/debian-package.js';

const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser'] as const;
export const VIEWPORT = { width: 1280, height: 800 } as const;
/** Screenshots of all runs go under this folder (git-ignored). */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../../../test-artifacts/console/', import.meta.url));

function findChromium(): string | null {
  return CHROMIUM_PATHS.find((p) => existsSync(p)) ?? null;
}

/** The chromium binary, installing Debian's `chromium` package when it is missing. */
export function ensureChromium(): string {
  const found = findChromium();
  if (found !== null) return found;
  installDebianPackage('chromium');
  const installed = findChromium();
  if (installed === null) throw new Error('the chromium package is installed but no chromium binary was found');
  return installed;
}

/** A client certificate for the pages of one origin (playwright's shape). */
export interface ClientCertificate {
  readonly origin: string;
  readonly certPath: string;
  readonly keyPath: string;
}

export interface PageProblem {
  readonly kind: 'console' | 'pageerror';
  readonly text: string;
}

export class ConsoleBrowser {
  /** Where this run's screenshots go. */
  readonly screenshotDir: string;
  private readonly problems: PageProblem[] = [];
  private readonly expected: RegExp[] = [];
  private readonly contexts: BrowserContext[] = [];

  private constructor(private readonly browser: Browser, runName: string) {
    this.screenshotDir = path.join(ARTIFACTS_DIR, runName);
    mkdirSync(this.screenshotDir, { recursive: true });
    process.stdout.write(`console screenshots: ${this.screenshotDir}\n`);
  }

  static async launch(runName: string): Promise<ConsoleBrowser> {
    const executablePath = ensureChromium();
    // --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
    const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    return new ConsoleBrowser(browser, runName);
  }

  /**
   * A new page (own context) at `url`, 1280×800, light scheme, watched for errors. Members
   * that ask for a client certificate (mutual TLS) get `clientCertificates`.
   */
  async open(url: string, opts: { readonly clientCertificates?: ClientCertificate[] } = {}): Promise<Page> {
    const context = await this.browser.newContext({
      viewport: VIEWPORT, colorScheme: 'light', ignoreHTTPSErrors: true,
      ...(opts.clientCertificates !== undefined ? { clientCertificates: opts.clientCertificates } : {}),
    });
    this.contexts.push(context);
    const page = await context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') this.note({ kind: 'console', text: `${msg.text()} (${msg.location().url})` });
    });
    page.on('pageerror', (err) => this.note({ kind: 'pageerror', text: err.stack ?? err.message }));
    await page.goto(url);
    return page;
  }

  /**
   * Runs `step` with console errors matching `pattern` expected (e.g. refused links to a member
   * the test killed); other errors still count.
   */
  async expectErrors<T>(pattern: RegExp, step: () => Promise<T>): Promise<T> {
    this.expected.push(pattern);
    try {
      return await step();
    } finally {
      this.expected.splice(this.expected.indexOf(pattern), 1);
    }
  }

  /** Throws with every unexpected console or page error seen so far (and forgets them). */
  assertClean(): void {
    const seen = this.problems.splice(0);
    if (seen.length > 0) throw new Error(`browser reported ${seen.length} error(s):\n${seen.map((p) => `  [${p.kind}] ${p.text}`).join('\n')}`);
  }

  /** Saves `<name>-light.png` and `<name>-dark.png` of the page as it is now. */
  async screenshot(page: Page, name: string): Promise<void> {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: path.join(this.screenshotDir, `${name}-${scheme}.png`) });
    }
    await page.emulateMedia({ colorScheme: 'light' });
  }

  /** Closes everything this harness opened; throws if errors were left unchecked. */
  async close(): Promise<void> {
    for (const c of this.contexts.splice(0)) await c.close().catch(() => undefined);
    await this.browser.close();
    this.assertClean();
  }

  private note(p: PageProblem): void {
    if (p.kind === 'console' && this.expected.some((re) => re.test(p.text))) return;
    this.problems.push(p);
  }
}
