// The link proxy over real sockets on 127.0.0.1: a `ws` server (member "b") and a `ws` client
// (member "a") talk through the proxy route a → b. One-way blocks drop data frames in one
// direction only while control frames pass; a two-way cut closes and refuses connections;
// delays keep order; a connection is relabelled from the member id in the dialer's first
// frame. Ordering makes this deterministic: a ping sent after a message arrives after it, so
// when the ping is seen the message would have been seen too.

import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { LinkProxy } from '../src/proxy/link-proxy.js';
import { createRng } from '../src/util/rng.js';

interface Rig {
  proxy: LinkProxy;
  server: WebSocketServer;
  client: WebSocket;
  accepted: WebSocket;
}

const rigs: Rig[] = [];

afterEach(async () => {
  for (const r of rigs.splice(0)) {
    r.client.terminate();
    r.accepted.terminate();
    await r.proxy.close();
    await new Promise<void>((resolve) => r.server.close(() => resolve()));
  }
});

/** A ws server (member "b"), the proxy route a → b, and a ws client (member "a") through it. */
async function rig(): Promise<Rig> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const proxy = new LinkProxy(createRng(7));
  const port = await proxy.addRoute('a', 'b', (server.address() as AddressInfo).port);
  const acceptedP = once(server, 'connection') as Promise<[WebSocket]>;
  const client = new WebSocket(`ws://127.0.0.1:${port}/raft`);
  await once(client, 'open');
  const [accepted] = await acceptedP;
  const r = { proxy, server, client, accepted };
  rigs.push(r);
  return r;
}

const collect = (ws: WebSocket): string[] => {
  const got: string[] = [];
  ws.on('message', (d) => got.push(String(d)));
  return got;
};

describe('LinkProxy', () => {
  it('passes data both ways when open', async () => {
    const { client, accepted } = await rig();
    const atServer = collect(accepted);
    client.send('hello');
    await once(accepted, 'message');
    accepted.send('back');
    const [reply] = await once(client, 'message');
    expect(atServer).toEqual(['hello']);
    expect(String(reply)).toBe('back');
  });

  it('a one-way block drops a → b data, passes b → a data and control frames both ways', async () => {
    const { proxy, client, accepted } = await rig();
    const atServer = collect(accepted);
    const atClient = collect(client);
    proxy.update('a', 'b', { blocked: true });

    client.send('lost-1');
    client.send('lost-2');
    client.ping('barrier');
    const [pingData] = await once(accepted, 'ping');
    expect(String(pingData)).toBe('barrier');
    expect(atServer).toEqual([]); // sent before the ping, so they would be here by now
    await once(client, 'pong'); // the server's automatic pong came back through b → a

    accepted.send('kept');
    accepted.ping('barrier-2');
    await once(client, 'ping');
    expect(atClient).toEqual(['kept']);

    proxy.update('a', 'b', { blocked: false });
    client.send('after-heal');
    await once(accepted, 'message');
    expect(atServer).toEqual(['after-heal']);
    const [link] = proxy.links();
    expect(link?.up.framesDropped).toBe(2);
    expect(link?.down.framesDropped).toBe(0);
  });

  it('blocks b → a without touching a → b', async () => {
    const { proxy, client, accepted } = await rig();
    const atClient = collect(client);
    proxy.update('b', 'a', { blocked: true });
    accepted.send('lost');
    accepted.ping('barrier');
    await once(client, 'ping');
    expect(atClient).toEqual([]);
    client.send('through');
    const [m] = await once(accepted, 'message');
    expect(String(m)).toBe('through');
  });

  it('a two-way cut closes the connection and refuses new ones until healed', async () => {
    const { proxy, client } = await rig();
    const closed = once(client, 'close');
    proxy.block([['a', 'b'], ['b', 'a']]);
    await closed;
    const port = proxy.routePort('a', 'b') as number;
    const refused = new WebSocket(`ws://127.0.0.1:${port}/raft`);
    const [err] = (await once(refused, 'error')) as [Error];
    expect(err).toBeInstanceOf(Error);
    proxy.heal();
    const again = new WebSocket(`ws://127.0.0.1:${port}/raft`);
    await once(again, 'open');
    again.terminate();
  });

  it('delays keep frame order', async () => {
    const { proxy, client, accepted } = await rig();
    const atServer = collect(accepted);
    proxy.update('a', 'b', { delayMs: 5, jitterMs: 20 });
    for (let i = 0; i < 20; i++) client.send(`m${i}`);
    client.ping('barrier');
    await once(accepted, 'ping');
    expect(atServer).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
  });

  it('relabels a connection from the member id in the dialer\'s first frame', async () => {
    const { proxy, server, client, accepted } = await rig();
    proxy.memberIds = new Map([['id-of-a', 'a'], ['id-of-b', 'b'], ['id-of-c', 'c']]);
    const conn2 = new WebSocket(`ws://127.0.0.1:${proxy.routePort('a', 'b') as number}/raft`);
    const acceptedP = once(server, 'connection') as Promise<[WebSocket]>;
    await once(conn2, 'open');
    const [acc2] = await acceptedP;
    conn2.send(JSON.stringify({ type: 'hello', memberId: 'id-of-c' }));
    await once(acc2, 'message');
    proxy.update('c', 'b', { blocked: true });
    conn2.send('from-c');
    client.send('from-a');
    const got = collect(acc2);
    conn2.ping('barrier');
    await once(acc2, 'ping');
    expect(got).toEqual([]);
    const [m] = await once(accepted, 'message');
    expect(String(m)).toBe('from-a');
    expect(proxy.links().map((l) => l.from).sort()).toEqual(['a', 'c']);
    conn2.terminate();
  });
});
