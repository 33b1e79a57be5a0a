// kite bench put|range|watch|txn-mixed: load generator with etcd benchmark's flags.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { tlsFrom, userFrom } from '../context.js';
import { parseDurationMs, parseEndpoints, parseChoice, parseIntFlag } from '../flags.js';
import { formatBench, BENCH_TOTAL_MAX } from '../bench/stats.js';
import { runBench, type BenchOp } from '../bench/workload.js';
import { plain } from '../run.js';
import { EXIT_ERROR, EXIT_OK, UsageError } from '../errors.js';

interface BenchFlags {
  endpoints?: string;
  clients: string;
  conns: string;
  total: string;
  keySize: string;
  valSize: string;
  keySpaceSize?: string;
  consistency?: string;
  watchers?: string;
  rate: string;
  rwRatio?: string;
  json?: string;
  commandTimeout: string;
  cacert?: string;
  cert?: string;
  key?: string;
  user?: string;
  password?: string;
}

function addBench(parent: Command, op: BenchOp, description: string): void {
  const cmd = parent.command(op).description(description);
  if (op === 'range') cmd.argument('[key]', 'the key to read (default bench-range-key)');
  cmd
    .option('--endpoints <list>', 'comma-separated client URLs (env KITE_ENDPOINTS)')
    .option('--clients <n>', 'concurrent workers (requests in flight)', '1')
    .option('--conns <n>', 'client connections the workers share', '1')
    .option('--total <n>', op === 'watch' ? 'total puts (each delivered to every watcher)' : 'total operations', op === 'watch' ? '1000' : '10000')
    .option('--key-size <bytes>', 'key size', '8')
    .option('--val-size <bytes>', 'value size', '8')
    .option('--rate <ops/s>', 'pace to this many ops per second (0 = as fast as possible)', '0')
    .option('--json <file>', 'also write the results as JSON to this file')
    .option('--command-timeout <duration>', 'timeout per request', '10s')
    .option('--cacert <file>', 'CA bundle for wss:// endpoints (env KITE_CACERT)')
    .option('--cert <file>', 'client certificate (env KITE_CERT)')
    .option('--key <file>', 'client certificate key (env KITE_KEY)')
    .option('--user <name[:password]>', 'log every connection in as this user (env KITE_USER, KITE_PASSWORD)')
    .option('--password <password>', 'the --user password (env KITE_PASSWORD)');
  if (op === 'put' || op === 'txn-mixed') cmd.option('--key-space-size <n>', 'random keys out of this many (0 = sequential unique keys)', '1');
  if (op === 'range') cmd.option('--key-space-size <n>', 'read random keys out of this many (as a put run with --key-space-size 0 wrote them; 0 or 1 = the one [key])', '1');
  if (op === 'range' || op === 'txn-mixed') cmd.option('--consistency <l|s>', 'reads: l = linearizable, s = serializable', 'l');
  if (op === 'watch') cmd.option('--watchers <n>', 'number of watchers on the prefix', '100');
  if (op === 'txn-mixed') cmd.option('--rw-ratio <r>', 'reads per write', '1');
  cmd
    .action(async (...a: unknown[]) => plain(async () => {
      // commander passes (args..., options, command)
      const f = a[a.length - 2] as BenchFlags;
      const arg = op === 'range' ? (a[0] as string | undefined) : undefined;
      const cfg = {
        op,
        endpoints: parseEndpoints(f.endpoints),
        clients: parseIntFlag('--clients', f.clients, { min: 1, max: 10_000 }),
        conns: parseIntFlag('--conns', f.conns, { min: 1, max: 1000 }),
        total: parseIntFlag('--total', f.total, { min: 1, max: BENCH_TOTAL_MAX }),
        keySize: parseIntFlag('--key-size', f.keySize, { min: 1, max: 64 * 1024 }),
        valSize: parseIntFlag('--val-size', f.valSize, { min: 0, max: 1024 * 1024 }),
        keySpaceSize: parseIntFlag('--key-space-size', f.keySpaceSize ?? '1', { min: 0 }),
        consistency: parseChoice('--consistency', f.consistency ?? 'l', ['l', 's'] as const),
        watchers: parseIntFlag('--watchers', f.watchers ?? '100', { min: 1, max: 100_000 }),
        rate: parseIntFlag('--rate', f.rate, { min: 0 }),
        rwRatio: Number(f.rwRatio ?? '1'),
        rangeKey: op === 'range' && arg !== undefined ? arg : 'bench-range-key',
        timeoutMs: parseDurationMs('--command-timeout', f.commandTimeout),
        tls: tlsFrom(f),
        ...benchAuth(f),
      };
      if (!Number.isFinite(cfg.rwRatio) || cfg.rwRatio < 0) throw new UsageError(`--rw-ratio must be a number ≥ 0; got '${f.rwRatio ?? ''}'`);
      if (op === 'watch' && cfg.total * cfg.watchers > BENCH_TOTAL_MAX) {
        throw new UsageError(`--total × --watchers must be at most ${BENCH_TOTAL_MAX} events`);
      }
      const r = await runBench(cfg);
      process.stdout.write(formatBench(r));
      if (f.json !== undefined) writeFileSync(f.json, `${JSON.stringify(r, null, 2)}\n`);
      return r.errors === 0 ? EXIT_OK : EXIT_ERROR;
    }));
}

/** --user for bench: a password is required up front (no prompt in the middle of a load test). */
function benchAuth(f: BenchFlags): { auth?: { user: string; password: string } } {
  const u = userFrom(f);
  if (u === undefined) return {};
  if (u.password === undefined) throw new UsageError('bench --user needs a password: --user name:password, --password or KITE_PASSWORD');
  return { auth: { user: u.name, password: u.password } };
}

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('bench put | range | watch | txn-mixed: load test, prints ops/s and latency percentiles');
  addBench(bench, 'put', 'puts of --val-size bytes to random keys from --key-space-size');
  addBench(bench, 'range', 'reads of one key (--consistency l|s)');
  addBench(bench, 'watch', '--watchers watchers on a prefix, then --total puts; latency = put start to delivery');
  addBench(bench, 'txn-mixed', 'txns holding one read or one write (--rw-ratio reads per write)');
}
