// GET a JSON document from another member's peer port (a joining member asks for /members),
// over http:// or, with peer TLS, https:// presenting this member's certificate. Node's fetch
// takes no CA or client certificate, hence node:http(s) here.

import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import type { TlsPem } from './tls-files.js';
import { TLS_MIN_VERSION } from './tls-files.js';

/** A /members document is small; anything bigger is not what we asked for. */
const JSON_BYTES_MAX = 4 * 1024 * 1024;

/** `signal` abandons the request (its socket closes at once): a caller that stopped waiting. */
export function getJson(url: string, tls: TlsPem | null, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onResponse = (res: IncomingMessage): void => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (bytes > JSON_BYTES_MAX) req.destroy(new Error(`reply larger than ${JSON_BYTES_MAX} bytes`));
        else chunks.push(c);
      });
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode ?? '?'}: ${Buffer.concat(chunks).toString('utf8').slice(0, 200).trim()}`));
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (err) {
          reject(err as Error);
        }
      });
      res.on('error', reject);
    };
    const secure = url.startsWith('https:');
    const req = secure
      ? httpsGet(url, { timeout: timeoutMs, minVersion: TLS_MIN_VERSION, ...(signal === undefined ? {} : { signal }), ...(tls === null ? {} : { cert: tls.cert, key: tls.key, ...(tls.ca === undefined ? {} : { ca: tls.ca }) }) }, onResponse)
      : httpGet(url, { timeout: timeoutMs, ...(signal === undefined ? {} : { signal }) }, onResponse);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}
