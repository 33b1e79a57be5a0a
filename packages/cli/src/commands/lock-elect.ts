// lock NAME [command…]: hold a lease-backed lock while a command runs (or until Ctrl-C) and
// print its key and fencing token; elect NAME [proposal]: campaign and hold leadership until
// Ctrl-C, or without a proposal, print each new leader.
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { election, lock } from '@kite/client';
import { formatLeaseId, text } from '../bytes.js';
import { withConnFlags, print, type ConnFlags } from '../context.js';
import { EXIT_ERROR, UsageError } from '../errors.js';
import { parseIntFlag } from '../flags.js';
import { json } from '../output/format-kv.js';
import { withClient } from '../run.js';

/** Resolves on the first SIGINT/SIGTERM; `dispose` removes the handlers. */
function interrupted(): { promise: Promise<NodeJS.Signals>; dispose: () => void } {
  let resolve!: (s: NodeJS.Signals) => void;
  const promise = new Promise<NodeJS.Signals>((r) => (resolve = r));
  const onInt = (): void => resolve('SIGINT');
  const onTerm = (): void => resolve('SIGTERM');
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);
  return { promise, dispose: () => (process.off('SIGINT', onInt), process.off('SIGTERM', onTerm)) };
}

function abortOnInterrupt(): { signal: AbortSignal; dispose: () => void } {
  const ctl = new AbortController();
  const i = interrupted();
  void i.promise.then(() => ctl.abort());
  return { signal: ctl.signal, dispose: i.dispose };
}

export function registerLockElect(program: Command): void {
  withConnFlags(program.command('lock')
    .description('lock NAME [command…]: take the lock NAME, run the command while holding it (or hold until Ctrl-C), then release it.\n' +
      'The command sees KITE_LOCK_KEY and KITE_LOCK_TOKEN (the fencing token) in its environment; kite exits with its exit code.')
    .argument('<name>')
    .argument('[command...]')
    .option('--ttl <seconds>', 'session lease TTL: how long the lock survives if kite dies', '60')
    .passThroughOptions())
    .action(async (name: string, command: string[], f: ConnFlags & { ttl: string }) => withClient(f, async (open, ctx) => {
      const ttl = parseIntFlag('--ttl', f.ttl, { min: 1 });
      if (name === '') throw new UsageError('NAME must not be empty');
      const waiting = abortOnInterrupt();
      const c = await open();
      const h = await lock(c, name, { ttl, signal: waiting.signal, owner: `kite-cli pid ${process.pid}` }).finally(waiting.dispose);
      const announce = ctx.format === 'json'
        ? json({ key: h.keyText, fencingToken: h.fencingToken, lease: formatLeaseId(h.lease) })
        : `key: ${h.keyText}\nfencing token: ${h.fencingToken}\n`;
      const stop = interrupted();
      try {
        if (command.length === 0) {
          print(announce);
          const lost = new Promise<'lost'>((r) => h.lost.addEventListener('abort', () => r('lost'), { once: true }));
          if ((await Promise.race([stop.promise, lost])) === 'lost') {
            process.stderr.write(`Error: lost the lock ${name}: its lease expired (cluster unreachable for longer than ${ttl}s?)\n`);
            return EXIT_ERROR;
          }
          return undefined;
        }
        process.stderr.write(announce);
        return await runHolding(command, h.keyText, h.fencingToken, h.lost, stop.promise, name);
      } finally {
        stop.dispose();
        await h.unlock().catch(() => undefined);
      }
    }));

  withConnFlags(program.command('elect')
    .description('elect NAME [proposal]: campaign with PROPOSAL and lead until Ctrl-C; without a proposal, print each new leader until Ctrl-C')
    .argument('<name>')
    .argument('[proposal]')
    .option('--ttl <seconds>', 'session lease TTL', '60'))
    .action(async (name: string, proposal: string | undefined, f: ConnFlags & { ttl: string }) => withClient(f, async (open, ctx) => {
      const ttl = parseIntFlag('--ttl', f.ttl, { min: 1 });
      const c = await open();
      const e = election(c, name, { ttl });
      const stop = abortOnInterrupt();
      try {
        if (proposal === undefined) {
          for await (const l of e.observe({ signal: stop.signal })) {
            print(ctx.format === 'json'
              ? json({ leader: l === null ? null : { key: text(l.key), value: l.valueText, revision: l.createRevision } })
              : l === null ? '(no leader)\n' : `${text(l.key)}\n${l.valueText}\n`);
          }
          return undefined;
        }
        await e.campaign(proposal, { signal: stop.signal });
        const key = text(e.key ?? new Uint8Array());
        print(ctx.format === 'json' ? json({ key, value: proposal, revision: e.revision }) : `${key}\n${proposal}\n`);
        await new Promise<void>((r) => stop.signal.addEventListener('abort', () => r(), { once: true }));
        return undefined;
      } finally {
        stop.dispose();
        await e.resign().catch(() => undefined);
      }
    }));
}

async function runHolding(
  command: readonly string[], key: string, token: number, lost: AbortSignal, interrupt: Promise<NodeJS.Signals>, name: string,
): Promise<number> {
  const [file, ...args] = command as [string, ...string[]];
  const child = spawn(file, args, {
    stdio: 'inherit',
    env: { ...process.env, KITE_LOCK_KEY: key, KITE_LOCK_TOKEN: String(token) },
  });
  const exited = new Promise<number>((resolve) => {
    child.on('error', (err) => {
      process.stderr.write(`Error: cannot run ${file}: ${err.message}\n`);
      resolve(127);
    });
    child.on('exit', (code, sig) => resolve(code ?? (sig !== null ? 128 + signalNumber(sig) : EXIT_ERROR)));
  });
  const onLost = (): void => {
    process.stderr.write(`Error: lost the lock ${name} while '${file}' was running (lease expired); stopping it\n`);
    child.kill('SIGTERM');
  };
  lost.addEventListener('abort', onLost, { once: true });
  void interrupt.then((sig) => child.kill(sig));
  try {
    const code = await exited;
    return lost.aborted ? EXIT_ERROR : code;
  } finally {
    lost.removeEventListener('abort', onLost);
  }
}

function signalNumber(sig: NodeJS.Signals): number {
  const table: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return table[sig] ?? 0;
}
