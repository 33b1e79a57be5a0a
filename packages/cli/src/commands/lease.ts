// lease grant | revoke | keep-alive | timetolive | list, with etcdctl's wording.
import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatLeaseId, parseLeaseId, text } from '../bytes.js';
import { withConnFlags, print, type ConnFlags } from '../context.js';
import { parseIntFlag } from '../flags.js';
import { json } from '../output/format-kv.js';
import { renderTable } from '../output/table.js';
import { withClient } from '../run.js';
import { EXIT_ERROR } from '../errors.js';

/** Refresh when a third of the TTL is left, like etcd's client (TTL/3). */
const KEEPALIVE_FRACTION = 3;
const KEEPALIVE_MIN_INTERVAL_MS = 200;

export function registerLease(program: Command): void {
  const lease = program.command('lease').description('lease grant | revoke | keep-alive | timetolive | list');

  withConnFlags(lease.command('grant').description('grant TTL: a new lease of TTL seconds').argument('<ttl>'))
    .action(async (ttlRaw: string, f: ConnFlags) => withClient(f, async (open, ctx) => {
      const ttl = parseIntFlag('TTL', ttlRaw, { min: 1 });
      const c = await open();
      const l = await c.lease.grant(ttl, { keepAlive: false });
      print(ctx.format === 'json'
        ? json({ id: formatLeaseId(l.id), ttl: l.ttl })
        : ctx.format === 'table'
          ? renderTable(['lease', 'ttl'], [[formatLeaseId(l.id), String(l.ttl)]])
          : `lease ${formatLeaseId(l.id)} granted with TTL(${l.ttl}s)\n`);
    }));

  withConnFlags(lease.command('revoke').description('revoke ID: delete the lease and every key attached to it').argument('<id>'))
    .action(async (idRaw: string, f: ConnFlags) => withClient(f, async (open, ctx) => {
      const id = parseLeaseId('ID', idRaw);
      const c = await open();
      await c.lease.revoke(id);
      print(ctx.format === 'json' ? json({ id: formatLeaseId(id), revoked: true }) : `lease ${formatLeaseId(id)} revoked\n`);
    }));

  withConnFlags(lease.command('keep-alive').description('keep-alive ID: renew the lease until Ctrl-C (or once)').argument('<id>')
    .option('--once', 'renew once and exit'))
    .action(async (idRaw: string, f: ConnFlags & { once?: boolean }) => withClient(f, async (open, ctx) => {
      const id = parseLeaseId('ID', idRaw);
      const c = await open();
      // Ctrl-C ends the loop between renewals (and cuts a pending pause short).
      const ctl = new AbortController();
      const stop = (): void => ctl.abort();
      process.once('SIGINT', stop);
      try {
        while (!ctl.signal.aborted) {
          const r = await c.request('leaseKeepAlive', { leaseId: id });
          if (r.ttl <= 0) {
            process.stderr.write(`lease ${formatLeaseId(id)} expired or revoked\n`);
            return EXIT_ERROR;
          }
          print(ctx.format === 'json' ? json({ id: formatLeaseId(id), ttl: r.ttl }) : `lease ${formatLeaseId(id)} keepalived with TTL(${r.ttl})\n`);
          if (f.once === true) return undefined;
          await sleep(Math.max(KEEPALIVE_MIN_INTERVAL_MS, (r.ttl * 1000) / KEEPALIVE_FRACTION), undefined, { signal: ctl.signal }).catch(() => undefined);
        }
      } finally {
        process.off('SIGINT', stop);
      }
      return undefined;
    }));

  withConnFlags(lease.command('timetolive').description('timetolive ID: remaining TTL (and --keys)').argument('<id>')
    .option('--keys', 'also list the attached keys'))
    .action(async (idRaw: string, f: ConnFlags & { keys?: boolean }) => withClient(f, async (open, ctx) => {
      const id = parseLeaseId('ID', idRaw);
      const c = await open();
      const r = await c.lease.timeToLive(id, { keys: f.keys === true });
      const keys = (r.keys ?? []).map(text);
      if (ctx.format === 'json') {
        print(json({ id: formatLeaseId(id), ttl: r.ttl, grantedTtl: r.grantedTtl, ...(f.keys === true ? { keys } : {}) }));
      } else if (r.ttl < 0) {
        print(`lease ${formatLeaseId(id)} already expired\n`);
      } else if (ctx.format === 'table') {
        print(renderTable(['lease', 'granted ttl', 'remaining', 'keys'], [[formatLeaseId(id), String(r.grantedTtl), String(r.ttl), keys.join(' ')]]));
      } else {
        print(`lease ${formatLeaseId(id)} granted with TTL(${r.grantedTtl}s), remaining(${r.ttl}s)${f.keys === true ? `, attached keys([${keys.join(' ')}])` : ''}\n`);
      }
    }));

  withConnFlags(lease.command('list').description('every live lease'))
    .action(async (f: ConnFlags) => withClient(f, async (open, ctx) => {
      const c = await open();
      const r = await c.lease.list();
      const ids = r.leases.map((l) => formatLeaseId(l.id));
      print(ctx.format === 'json'
        ? json({ leases: ids })
        : ctx.format === 'table'
          ? renderTable(['lease'], ids.map((i) => [i]))
          : `found ${ids.length} leases\n${ids.map((i) => `${i}\n`).join('')}`);
    }));
}
