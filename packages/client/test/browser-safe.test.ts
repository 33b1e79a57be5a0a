// The client core and the protocol must run in a browser: only socket-node.ts may touch
// Node APIs. Checked two ways: statically (imports) and by running the browser socket adapter
// against the fake cluster with `ws` standing in for the browser's global WebSocket.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connect, toBytes } from '../src/browser.js';
import { FakeCluster } from './fake-cluster.js';
import { eventsUntil, FAST, guard } from './helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

describe('browser safety', () => {
  it('imports no Node module outside socket-node.ts', () => {
    const files = [...sources(join(root, 'client/src')), ...sources(join(root, 'protocol/src'))].filter(
      (f) => !f.endsWith('socket-node.ts') && !f.endsWith(join('client', 'src', 'index.ts')),
    );
    expect(files.length).toBeGreaterThan(10);
    const offenders = files.filter((f) => {
      const text = readFileSync(f, 'utf8');
      return /from '(node:[^']+|ws|fs|path|events|net|buffer)'/.test(text) || /\bBuffer\./.test(text) || /\bprocess\./.test(text);
    });
    expect(offenders).toEqual([]);
  });

  describe('browser socket adapter', () => {
    let cluster: FakeCluster | undefined;
    const g = globalThis as { WebSocket?: unknown };
    afterEach(async () => {
      delete g.WebSocket;
      await cluster?.stop();
    });

    it('speaks the protocol through a WHATWG-style WebSocket', async () => {
      cluster = await FakeCluster.start(1);
      g.WebSocket = WebSocket; // `ws` implements the browser API (onopen, onmessage, binaryType)
      const c = await connect({ ...FAST, endpoints: cluster.urls });
      try {
        const w = c.watch('b', {});
        await guard(w.ready, 'watch registration');
        await c.put('b', 'browser');
        const got = await c.get('b');
        expect(new TextDecoder().decode(got.kvs[0]?.value)).toBe('browser');
        const events = await guard(eventsUntil(w, got.header.revision), 'watch event');
        expect(events.map((e) => new TextDecoder().decode(e.kv.value))).toEqual(['browser']);
        expect(toBytes('x')).toBeInstanceOf(Uint8Array);
      } finally {
        c.close();
      }
    });
  });
});
