// kite config: the configuration center's operator commands over @kite/config (drafts,
// releases, rollback, gray releases, instances, export/import). Every command names its app
// with --namespace and --app; changes carry --author (default $USER: the seam where the
// authenticated user will take over once Kite has auth).
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { ConfigAdmin, isConfigError, parseGrayRule, parseValueType, typeFromFileName, type ValueType } from '@kite/config';
import { withConnFlags, print, type ConnFlags } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { parseIntFlag } from '../flags.js';
import { json } from '../output/format-kv.js';
import { withClient } from '../run.js';
import { exportContent, importContent } from '../config/config-files.js';
import { formatDiff, formatHead, formatInstances, formatReleases } from '../config/config-format.js';

interface AppFlags extends ConnFlags {
  namespace?: string;
  app?: string;
  author?: string;
}

function appCommand(parent: Command, name: string, description: string): Command {
  return withConnFlags(parent.command(name).description(description))
    .requiredOption('--namespace <ns>', 'namespace (an environment such as dev, test, prod)')
    .requiredOption('--app <app>', 'application name')
    .option('--author <name>', 'who makes the change (default $USER, else the OS account)');
}

/** --author, else $USER, else the OS account (containers and CI often have no $USER). */
export function authorOf(f: Pick<AppFlags, 'author'>, env: NodeJS.ProcessEnv = process.env, login: () => string = loginName): string {
  const a = f.author ?? env['USER'] ?? login();
  if (a === '') throw new UsageError('no author: pass --author or set $USER');
  return a;
}

function loginName(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}

/** Runs `work` with an admin for the app; a ConfigError becomes a CLI error with its code. */
function run(f: AppFlags, work: (admin: ConfigAdmin, format: string) => Promise<number | void>): Promise<void> {
  return withClient(f, async (open, ctx) => {
    const ref = { namespace: f.namespace ?? '', app: f.app ?? '' };
    try {
      const admin = new ConfigAdmin(await open(), ref);
      return await work(admin, ctx.format);
    } catch (err) {
      if (isConfigError(err)) throw new CliError(err.code, `${err.message} [${err.code}]`, { cause: err });
      throw err;
    }
  });
}

export function registerConfig(program: Command): void {
  const cfg = program.command('config').description('configuration center: set | get | diff | release | releases | rollback | gray | instances | export | import');

  appCommand(cfg, 'set', 'set KEY [VALUE]: stage KEY = VALUE (or --file) in the draft').argument('<key>').argument('[value]')
    .option('--type <type>', 'text | json | yaml | properties (default: from --file name, else text)')
    .option('--file <path>', 'read the value from a file')
    .action(async (key: string, value: string | undefined, f: AppFlags & { type?: string; file?: string }) => run(f, async (admin, fmt) => {
      if ((value === undefined) === (f.file === undefined)) throw new UsageError('give VALUE or --file (one of them)');
      const text = f.file !== undefined ? await readFile(f.file, 'utf8') : value!;
      const type: ValueType = f.type !== undefined ? parseValueType(f.type) : f.file !== undefined ? typeFromFileName(f.file) : 'text';
      const revision = await admin.set(key, { type, text });
      print(fmt === 'json' ? json({ key, type, staged: true, revision }) : `staged ${key} (${type})\n`);
    }));

  appCommand(cfg, 'unset', 'unset KEY: stage the removal of KEY').argument('<key>')
    .action(async (key: string, f: AppFlags) => run(f, async (admin, fmt) => {
      const revision = await admin.unset(key);
      print(fmt === 'json' ? json({ key, staged: 'remove', revision }) : `staged removal of ${key}\n`);
    }));

  appCommand(cfg, 'get', 'get [KEY]: released values (or the draft with --draft)').argument('[key]')
    .option('--draft', 'show the content the next release would have')
    .action(async (key: string | undefined, f: AppFlags & { draft?: boolean }) => run(f, async (admin, fmt) => {
      const { release, content } = await admin.values({ draft: f.draft === true });
      if (key !== undefined) {
        const v = content[key];
        if (v === undefined) throw new CliError('NotFound', `${key} is not in ${f.draft === true ? 'the draft' : `release ${release}`}`);
        print(fmt === 'json' ? json({ release, key, ...v }) : v.text.endsWith('\n') ? v.text : `${v.text}\n`);
        return;
      }
      print(fmt === 'json' ? json({ release, content }) : Object.entries(content).map(([k, v]) => `${k} (${v.type}) = ${v.text.replace(/\n/g, '\\n')}\n`).join(''));
    }));

  appCommand(cfg, 'diff', 'staged changes against the current release')
    .action(async (f: AppFlags) => run(f, async (admin, fmt) => {
      const d = await admin.diff();
      print(fmt === 'json' ? json(d) : `against release ${d.base}:\n${formatDiff(d.diff)}`);
    }));

  appCommand(cfg, 'release', 'publish every staged change as a new release').requiredOption('-m, --message <text>', 'release message')
    .option('--base <n>', 'refuse unless release N is current (what you reviewed)')
    .action(async (f: AppFlags & { message: string; base?: string }) => run(f, async (admin, fmt) => {
      const base = f.base === undefined ? {} : { expectBase: parseIntFlag('--base', f.base, { min: 0 }) };
      const r = await admin.publish({ message: f.message, author: authorOf(f), ...base });
      print(fmt === 'json' ? json(r) : `release ${r.number} published by ${r.author}\n${formatDiff(r.diff)}`);
    }));

  appCommand(cfg, 'releases', 'the release log: number, status, author, message, diff')
    .action(async (f: AppFlags) => run(f, async (admin, fmt) => {
      const list = await admin.releases();
      print(fmt === 'json' ? json(list) : formatReleases(list));
    }));

  appCommand(cfg, 'rollback', 'publish release N\'s content as a new release').requiredOption('--to <n>', 'release to return to')
    .option('-m, --message <text>', 'release message')
    .action(async (f: AppFlags & { to: string; message?: string }) => run(f, async (admin, fmt) => {
      const to = parseIntFlag('--to', f.to, { min: 1 });
      const r = await admin.rollback({ to, message: f.message ?? `rollback to ${to}`, author: authorOf(f) });
      print(fmt === 'json' ? json(r) : `release ${r.number} (rollback to ${to}) published by ${r.author}\n${formatDiff(r.diff)}`);
    }));

  const gray = cfg.command('gray').description('gray (canary) release: start | status | update | promote | abort');
  const RULE_HELP = 'percent=N | labels=k=v[,k=v] | ids=id-or-ip[,…]';
  appCommand(gray, 'start', 'publish the draft to the instances a rule selects').requiredOption('--rule <rule>', RULE_HELP)
    .requiredOption('-m, --message <text>', 'release message')
    .action(async (f: AppFlags & { rule: string; message: string }) => run(f, async (admin, fmt) => {
      const r = await admin.grayStart({ message: f.message, author: authorOf(f), rule: parseGrayRule(f.rule) });
      print(fmt === 'json' ? json(r) : `gray release ${r.number} started (${f.rule}) by ${r.author}\n${formatDiff(r.diff)}`);
    }));

  appCommand(gray, 'update', 'change the active gray release\'s rule').requiredOption('--rule <rule>', RULE_HELP)
    .action(async (f: AppFlags & { rule: string }) => run(f, async (admin, fmt) => {
      const h = await admin.grayUpdate({ author: authorOf(f), rule: parseGrayRule(f.rule) });
      print(fmt === 'json' ? json(h) : formatHead(h));
    }));

  appCommand(gray, 'status', 'the gray release and which instance runs what')
    .action(async (f: AppFlags) => run(f, async (admin, fmt) => {
      const v = await admin.instances();
      print(fmt === 'json' ? json(v) : `${formatHead(v.head)}${formatInstances(v.instances)}`);
    }));

  for (const [verb, what] of [['promote', 'every instance moves to the gray release'], ['abort', 'every instance goes back to the current release']] as const) {
    appCommand(gray, verb, what)
      .action(async (f: AppFlags) => run(f, async (admin, fmt) => {
        const actor = { author: authorOf(f) };
        const h = verb === 'promote' ? await admin.grayPromote(actor) : await admin.grayAbort(actor);
        print(fmt === 'json' ? json(h) : formatHead(h));
      }));
  }

  appCommand(cfg, 'instances', 'live SDK instances: what each runs, what it should run, who is stale')
    .action(async (f: AppFlags) => run(f, async (admin, fmt) => {
      const v = await admin.instances();
      print(fmt === 'json' ? json(v) : `${formatHead(v.head)}${formatInstances(v.instances)}`);
    }));

  appCommand(cfg, 'export', 'export DIR: the current release as one file per key (+ manifest)').argument('<dir>')
    .action(async (dir: string, f: AppFlags) => run(f, async (admin, fmt) => {
      const { release, content } = await admin.values();
      const keys = await exportContent(dir, admin.ref, release, content);
      print(fmt === 'json' ? json({ release, dir, keys }) : `exported release ${release} (${keys.length} keys) to ${dir}\n`);
    }));

  appCommand(cfg, 'import', 'import DIR: stage every file whose content differs (and, with --prune, removals)').argument('<dir>')
    .option('--prune', 'stage the removal of keys that have no file')
    .action(async (dir: string, f: AppFlags & { prune?: boolean }) => run(f, async (admin, fmt) => {
      const files = await importContent(dir);
      const { content } = await admin.values({ draft: true });
      const staged: string[] = [];
      for (const [key, v] of files) {
        const cur = content[key];
        if (cur !== undefined && cur.type === v.type && cur.text === v.text) continue;
        await admin.set(key, v);
        staged.push(key);
      }
      const removed: string[] = [];
      if (f.prune === true) {
        for (const key of Object.keys(content)) {
          if (files.has(key)) continue;
          await admin.unset(key);
          removed.push(key);
        }
      }
      print(fmt === 'json' ? json({ staged, removed }) : `staged ${staged.length} changed key(s)${removed.length > 0 ? `, ${removed.length} removal(s)` : ''}; review with 'kite config diff'\n`);
    }));
}
