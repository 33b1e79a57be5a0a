// txn: etcdctl's transaction syntax from stdin, or prompted section by section (-i).
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { withKvFlags, print, type ConnFlags } from '../context.js';
import { formatTxn } from '../output/format-kv.js';
import { withKvClient } from '../run.js';
import { readStdin } from '../stdin.js';
import { buildTxn } from '../txn-build.js';
import { parseTxnText, TXN_TEXT_LINES_MAX } from '../txn-syntax.js';
import { UsageError } from '../errors.js';
import type { TxnView } from '../output/views.js';

const PROMPTS = ['compares:', 'success requests (get, put, del):', 'failure requests (get, put, del):'] as const;

/** Prompts for the three sections; each ends at an empty line (or EOF). */
async function readInteractive(): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: process.stdin.isTTY === true });
  const lines: string[] = [];
  let section = 0;
  process.stderr.write(`${PROMPTS[0]}\n`);
  for await (const line of rl) {
    if (lines.length >= TXN_TEXT_LINES_MAX) throw new UsageError(`txn: at most ${TXN_TEXT_LINES_MAX} lines`);
    lines.push(line);
    if (line.trim() === '') {
      section++;
      if (section >= PROMPTS.length) break;
      process.stderr.write(`\n${PROMPTS[section]}\n`);
    }
  }
  rl.close();
  return lines.join('\n');
}

export function registerTxn(program: Command): void {
  withKvFlags(program.command('txn')
    .description('run a transaction read from stdin: compares, blank line, success ops, blank line, failure ops\n' +
      'e.g.  mod("key1") > "0"  /  put key1 "v"  /  get key2 --prefix  /  del key3')
    .option('-i, --interactive', 'prompt for each section'))
    .action(async (f: ConnFlags & { interactive?: boolean }) => withKvClient(f, async (open, ctx) => {
      const input = f.interactive === true ? await readInteractive() : await readStdin();
      const spec = parseTxnText(input);
      const c = await open();
      const r: TxnView = await c.txn(buildTxn(spec, ctx.style));
      print(formatTxn(r, ctx.format, ctx.style));
    }));
}
