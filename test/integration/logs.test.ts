// A member's log file as an operator reads it: connection-level lines say which remote end
// they are about, a flood of malformed frames leaves a bounded number of lines plus a count of
// the ones left out, every JSON line has each key once, and a SIGTERM is logged once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, waitFor } from './harness/cluster.js';
import { WireClient, ok } from './harness/wire.js';

/** Lines logged per window for links closed on bad frames (client-server.ts). */
const CLOSING_LOG_LINES_MAX = 10;
const CLOSING_LOG_WINDOW_MS = 10_000;

type LogLine = Record<string, unknown>;

function parseLines(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

/** Top-level keys of one JSON line in the order written, duplicates kept (JSON.parse drops them). */
function topLevelKeys(line: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') {
        inString = false;
        if (depth === 1 && /^\s*:/.test(line.slice(i + 1))) keys.push(line.slice(start + 1, i));
      }
      continue;
    }
    if (ch === '"') {
      inString = true;
      start = i;
    } else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
  }
  return keys;
}

describe('logs', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.create({ size: 3 });
    await cluster.startAll();
    await cluster.leader();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('logs a flood of malformed frames at a bounded rate, with the remote address and a suppressed count', async () => {
    const FLOOD = 120;
    const startedMs = performance.now();
    for (let i = 0; i < FLOOD; i++) {
      const c = await WireClient.connect(cluster.clientUrl('n1'));
      c.sendRaw(new Uint8Array([0xc1, 0xff, 0x00, 0x13]));
      expect(await c.waitClosed(5000)).toContain('1007');
    }
    const elapsedMs = performance.now() - startedMs;
    // Every link closed is either a line of its own or counted in a summary: wait (bounded)
    // for the summaries of every window the flood touched.
    const lines = await waitFor('every closed link logged or counted', CLOSING_LOG_WINDOW_MS * 3, () => {
      const all = parseLines(cluster.log('n1'));
      const closing = all.filter((l) => l['msg'] === 'closing client link');
      const suppressed = all.filter((l) => l['event'] === 'closing client link').reduce((sum, l) => sum + Number(l['suppressed']), 0);
      return closing.length + suppressed === FLOOD ? { closing, suppressed } : undefined;
    });
    // Bounded by windows, not by the number of frames: at most linesMax per window touched.
    const windows = Math.ceil(elapsedMs / CLOSING_LOG_WINDOW_MS) + 1;
    expect(lines.closing.length).toBeLessThanOrEqual(CLOSING_LOG_LINES_MAX * windows);
    expect(lines.closing.length).toBeLessThan(FLOOD);
    expect(lines.suppressed).toBeGreaterThan(0);
    for (const l of lines.closing) {
      expect(l['remote']).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(l['code']).toBe(1007);
    }
    // Each line is about a different connection.
    expect(new Set(lines.closing.map((l) => l['remote'])).size).toBe(lines.closing.length);
  });

  it('names the remote end on peer link events', async () => {
    const lines = parseLines(cluster.log('n1')).filter((l) => l['msg'] === 'peer link up');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(l['remote']).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('writes each key once on a membership change', async () => {
    const c = await WireClient.connect(cluster.clientUrl('n1'));
    try {
      // A learner: it never starts, and it does not count toward quorum.
      ok(await c.request('memberAdd', { peerUrls: ['http://127.0.0.1:1'], isLearner: true }));
    } finally {
      c.close();
    }
    const raw = await waitFor('a membership change logged', 10_000, () => {
      const found = cluster.log('n1').split('\n').filter((l) => l.includes('"membership changed"'));
      return found.length > 0 ? found : undefined;
    });
    for (const line of raw) {
      const keys = topLevelKeys(line);
      expect(keys.filter((k) => k === 'member')).toEqual(['member']);
      expect(new Set(keys).size).toBe(keys.length);
      const parsed = JSON.parse(line) as LogLine;
      expect(parsed['member']).toBe('n1');
      expect(typeof parsed['changedMemberId']).toBe('string');
    }
  });

  it('logs a SIGTERM once', async () => {
    expect(await cluster.kill('n1', 'SIGTERM')).toBe(0);
    const mentions = cluster.log('n1').split('\n').filter((l) => l.includes('SIGTERM'));
    expect(mentions).toHaveLength(1);
    expect(mentions[0]).toContain('"stopping"');
  });
});
