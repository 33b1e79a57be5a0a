// watch KEY [RANGE_END] | --prefix: prints events as they happen until Ctrl-C. The SDK's
// watch resumes at lastSeen+1 across reconnects and member restarts, so a restart shows up
// as a pause, never as a gap or a repeat.
import type { Command } from 'commander';
import { withKvFlags, print, type ConnFlags } from '../context.js';
import { parseIntFlag } from '../flags.js';
import { formatEvent, json } from '../output/format-kv.js';
import { keyRange } from '../range-select.js';
import { withKvClient } from '../run.js';

interface WatchFlags extends ConnFlags {
  prefix?: boolean;
  fromKey?: boolean;
  rev?: string;
  prevKv?: boolean;
  progressNotify?: boolean;
}

export function registerWatch(program: Command): void {
  withKvFlags(program.command('watch')
    .description('watch KEY [RANGE_END] or --prefix KEY: print changes until Ctrl-C')
    .argument('<key>')
    .argument('[rangeEnd]')
    .option('--prefix', 'every key starting with KEY')
    .option('--from-key', 'every key ≥ KEY')
    .option('--rev <revision>', 'start at this revision (replays retained history)')
    .option('--prev-kv', 'also print the previous key-value of each event')
    .option('--progress-notify', 'print progress notifications (revision bookmarks) while idle'))
    .action(async (key: string, rangeEnd: string | undefined, f: WatchFlags) => withKvClient(f, async (open, ctx, state) => {
      const range = keyRange(key, rangeEnd, f, ctx.style);
      const startRevision = f.rev !== undefined ? parseIntFlag('--rev', f.rev) : 0;
      state.revision = startRevision;
      const c = await open();
      const w = c.watch(range.key, {
        ...(range.rangeEnd !== undefined ? { rangeEnd: range.rangeEnd } : {}),
        ...(startRevision > 0 ? { startRevision } : {}),
        ...(f.prevKv === true ? { prevKv: true } : {}),
        ...(f.progressNotify === true ? { progressNotify: true } : {}),
      });
      const stop = (): void => void w.cancel();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        for await (const batch of w) {
          if (batch.progress === true && batch.events.length === 0) {
            if (f.progressNotify === true) {
              print(ctx.format === 'json' ? json({ progress: true, revision: batch.header.revision }) : `progress notify: revision ${batch.header.revision}\n`);
            }
            continue;
          }
          for (const ev of batch.events) print(formatEvent(ev, ctx.format, ctx.style, batch.header));
        }
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    }));
}
