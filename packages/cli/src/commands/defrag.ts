// defrag: each endpoint's member rewrites its store so the space of overwritten, deleted and
// compacted entries goes back to the file system (etcdctl defrag). One member at a time, in
// --endpoints order, so at most one member is busy compacting; a member that fails is
// reported and the rest still run (exit 1 if any failed).
import type { Command } from 'commander';
import { humanBytes } from '../bytes.js';
import { withConnFlags, print, type ConnFlags } from '../context.js';
import { describeError } from '../describe-error.js';
import { EXIT_ERROR, EXIT_OK } from '../errors.js';
import { json } from '../output/format-kv.js';
import { withClient } from '../run.js';

export function registerDefrag(program: Command): void {
  withConnFlags(program.command('defrag')
    .description('defragment the store of each member in --endpoints (one at a time), giving the space of dead entries back to the disk'))
    .action(async (f: ConnFlags) => withClient(f, async (open, ctx) => {
      const c = await open();
      let failed = 0;
      const rows: Record<string, unknown>[] = [];
      for (const endpoint of ctx.endpoints) {
        try {
          const r = await c.defrag(endpoint, { timeoutMs: ctx.commandTimeoutMs });
          rows.push({ endpoint, dbSizeBefore: r.dbSizeBefore, dbSize: r.dbSize });
          if (ctx.format !== 'json') print(`Finished defragmenting kite member[${endpoint}] (${humanBytes(r.dbSizeBefore)} -> ${humanBytes(r.dbSize)})\n`);
        } catch (err) {
          failed++;
          const why = describeError(err, { endpoints: [endpoint] });
          rows.push({ endpoint, error: why });
          process.stderr.write(`Failed to defragment kite member[${endpoint}]: ${why}\n`);
        }
      }
      if (ctx.format === 'json') print(json(rows));
      return failed === 0 ? EXIT_OK : EXIT_ERROR;
    }));
}
