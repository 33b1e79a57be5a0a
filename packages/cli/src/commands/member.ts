// member list | add | remove | update | promote, and move-leader (etcdctl's top-level verb).
import type { Command } from 'commander';
import type { Member } from '@kite/protocol';
import { withConnFlags, print, type ConnFlags } from '../context.js';
import { UsageError } from '../errors.js';
import { json } from '../output/format-kv.js';
import { renderTable } from '../output/table.js';
import { withClient } from '../run.js';

function memberRows(members: readonly Member[]): string[][] {
  return members.map((m) => [
    m.id, m.name === '' ? 'unstarted' : 'started', m.name, m.peerUrls.join(','), m.clientUrls.join(','), String(m.isLearner),
  ]);
}

export function formatMembers(members: readonly Member[], fmt: 'simple' | 'json' | 'table'): string {
  if (fmt === 'json') return json({ members });
  if (fmt === 'table') return renderTable(['id', 'status', 'name', 'peer addrs', 'client addrs', 'is learner'], memberRows(members));
  return memberRows(members).map((r) => `${r.join(', ')}\n`).join('');
}

function parsePeerUrls(raw: string | undefined): string[] {
  const urls = (raw ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (urls.length === 0) throw new UsageError('--peer-urls is required, like --peer-urls http://127.0.0.1:2483');
  for (const u of urls) {
    if (!/^https?:\/\/[^/]+:\d+\/?$/.test(u)) throw new UsageError(`--peer-urls: '${u}' must look like http://host:port`);
  }
  return urls;
}

export function registerMember(program: Command): void {
  const member = program.command('member').description('member list | add | remove | update | promote');

  withConnFlags(member.command('list').description('the cluster\'s members').option('--consistency <l|s>', 'l or s', 'l'))
    .action(async (f: ConnFlags & { consistency?: string }) => withClient(f, async (open, ctx) => {
      const c = await open();
      const { members } = await c.members.list({ serializable: f.consistency === 's' });
      print(formatMembers(members, ctx.format));
    }));

  withConnFlags(member.command('add').description('add NAME --peer-urls URLS [--learner]: announce a new member before starting it')
    .argument('<name>')
    .option('--peer-urls <urls>', 'the new member\'s peer URLs, comma-separated')
    .option('--learner', 'add as a non-voting learner (promote it once caught up)'))
    .action(async (name: string, f: ConnFlags & { peerUrls?: string; learner?: boolean }) => withClient(f, async (open, ctx) => {
      const urls = parsePeerUrls(f.peerUrls);
      const c = await open();
      const r = await c.members.add(urls, { learner: f.learner === true });
      if (ctx.format !== 'simple') {
        print(formatMembers(r.members, ctx.format));
        return;
      }
      const initial = [...r.members.filter((m) => m.id !== r.member.id && m.name !== '').map((m) => `${m.name}=${m.peerUrls[0] ?? ''}`), `${name}=${urls[0]!}`];
      print(`Member ${r.member.id} added to the cluster${f.learner === true ? ' as a learner' : ''}\n\n` +
        `Start it with (pick its client URL):\n  kite server --name ${name} --data-dir ./${name}-data --listen-peer ${urls[0]!} --listen-client http://127.0.0.1:<client-port> \\\n` +
        `    --initial-cluster ${initial.join(',')} --initial-cluster-state existing\n` +
        (f.learner === true ? `then, once it has caught up:  kite member promote ${r.member.id}\n` : ''));
    }));

  withConnFlags(member.command('remove').description('remove ID').argument('<id>'))
    .action(async (id: string, f: ConnFlags) => withClient(f, async (open, ctx) => {
      const c = await open();
      const { members } = await c.members.remove(id);
      print(ctx.format === 'simple' ? `Member ${id} removed from the cluster\n` : formatMembers(members, ctx.format));
    }));

  withConnFlags(member.command('update').description('update ID --peer-urls URLS: change a member\'s peer URLs, then restart it listening there')
    .argument('<id>')
    .option('--peer-urls <urls>', 'the member\'s new peer URLs, comma-separated'))
    .action(async (id: string, f: ConnFlags & { peerUrls?: string }) => withClient(f, async (open, ctx) => {
      const urls = parsePeerUrls(f.peerUrls);
      const c = await open();
      const { members } = await c.members.update(id, urls);
      print(ctx.format === 'simple' ? `Member ${id} updated in the cluster\n` : formatMembers(members, ctx.format));
    }));

  withConnFlags(member.command('promote').description('promote ID: make a caught-up learner a voter').argument('<id>'))
    .action(async (id: string, f: ConnFlags) => withClient(f, async (open, ctx) => {
      const c = await open();
      const { members } = await c.members.promote(id);
      print(ctx.format === 'simple' ? `Member ${id} promoted in the cluster\n` : formatMembers(members, ctx.format));
    }));
}

/** Member ids as `member list` prints them: up to 16 hex digits. */
function parseMemberId(raw: string): string {
  const id = raw.trim().toLowerCase().replace(/^0x/, '');
  if (!/^[0-9a-f]{1,16}$/.test(id)) throw new UsageError(`TARGET_ID must be a member id in hex, as 'kite member list' prints it; got '${raw}'`);
  return id;
}

export function registerMoveLeader(program: Command): void {
  withConnFlags(program.command('move-leader')
    .description('move-leader TARGET_ID: transfer leadership to the voting member TARGET_ID (hex id from member list)')
    .argument('<targetId>'))
    .action(async (raw: string, f: ConnFlags) => withClient(f, async (open, ctx) => {
      const target = parseMemberId(raw);
      const c = await open();
      const before = (await c.status()).leader;
      const r = await c.moveLeader(target);
      print(ctx.format === 'json'
        ? json({ from: before, to: target, revision: r.header.revision })
        : before === target ? `${target} is already the leader\n` : `Leadership transferred from ${before ?? '(none)'} to ${target}\n`);
    }));
}
