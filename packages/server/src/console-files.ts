// The web console's static files, served at /ui on the client port (the same door as /v1, so
// the console gets TLS whenever the port has it). The files are the build of @kite/console
// (packages/console/dist, next to this package in the workspace and in the container image);
// the server does not import that package, it only reads its output.
// Invariants: only GET of names made of [A-Za-z0-9._-] segments under the directory are read
// (no "..", no absolute paths, no hidden files); index.html is never cached (it names the
// current hashed assets), assets are cached forever (their names change with their content);
// every answer carries a Content-Security-Policy that allows scripts and styles from the
// member only and WebSocket links to members (the client moves to the leader's port).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerResponse } from 'node:http';

/** The URL path of the console. */
export const CONSOLE_PATH = '/ui';
/** Where the workspace build puts the console (packages/console/dist). */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../console/dist/', import.meta.url));
/** A file larger than this is not served (the bundle is far smaller; guards a misconfigured dir). */
const CONSOLE_FILE_BYTES_MAX = 8 * 1024 * 1024;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** The file name under the console directory for a URL path, or null when it is not one. */
export function consoleFileName(urlPath: string): string | null {
  if (urlPath === `${CONSOLE_PATH}/`) return 'index.html';
  if (!urlPath.startsWith(`${CONSOLE_PATH}/`)) return null;
  const segments = urlPath.slice(CONSOLE_PATH.length + 1).split('/');
  if (segments.length > 2 || !segments.every((s) => SEGMENT.test(s) && !s.includes('..'))) return null;
  return segments.join('/');
}

export class ConsoleFiles {
  constructor(private readonly dir: string = DEFAULT_CONSOLE_DIR) {}

  /** True when `urlPath` is the console's (answered here), false to let the caller go on. */
  async serve(urlPath: string, res: ServerResponse): Promise<boolean> {
    if (urlPath === CONSOLE_PATH) {
      res.writeHead(308, { location: `${CONSOLE_PATH}/` }).end();
      return true;
    }
    if (!urlPath.startsWith(`${CONSOLE_PATH}/`)) return false;
    const name = consoleFileName(urlPath);
    const type = name === null ? undefined : CONTENT_TYPES[path.extname(name)];
    if (name === null || type === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return true;
    }
    let body: Buffer;
    try {
      body = await readFile(path.join(this.dir, name));
    } catch {
      const missing = name === 'index.html'
        ? `the console is not built on this member (no ${path.join(this.dir, name)}); run the project's build\n`
        : 'not found\n';
      res.writeHead(404, { 'content-type': 'text/plain' }).end(missing);
      return true;
    }
    if (body.byteLength > CONSOLE_FILE_BYTES_MAX) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('console file too large\n');
      return true;
    }
    res.writeHead(200, {
      'content-type': type,
      'content-length': body.byteLength,
      'cache-control': name === 'index.html' ? 'no-cache' : 'public, max-age=31536000, immutable',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    }).end(body);
    return true;
  }
}
