// GET on a member's HTTP door (/status, /health): plain fetch for http://, node:https for
// https:// with the cluster's CA and this client's certificate (fetch takes neither).
import { get as httpsGet } from 'node:https';
import type { ClientTls } from '@kite/client';

/** A status or health document is small; a bigger reply is cut and reported. */
const BODY_BYTES_MAX = 1024 * 1024;

export interface HttpReply {
  readonly status: number;
  readonly body: string;
}

export async function httpGet(url: string, timeoutMs: number, tls: ClientTls | undefined): Promise<HttpReply> {
  if (!url.startsWith('https:')) {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, body: await res.text() };
  }
  const pemOf = (v: string | Uint8Array | undefined): string | Buffer | undefined => (v === undefined || typeof v === 'string' ? v : Buffer.from(v));
  const options = { timeout: timeoutMs, minVersion: 'TLSv1.2' as const, ca: pemOf(tls?.ca), cert: pemOf(tls?.cert), key: pemOf(tls?.key) };
  return new Promise((resolve, reject) => {
    const req = httpsGet(url, options, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (bytes > BODY_BYTES_MAX) req.destroy(new Error(`GET ${url}: reply larger than ${BODY_BYTES_MAX} bytes`));
        else chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}
