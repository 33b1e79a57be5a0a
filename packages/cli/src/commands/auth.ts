// etcdctl's auth commands: `kite user add|delete|get|list|passwd|grant-role|revoke-role`,
// `kite role add|delete|get|list|grant-permission|revoke-permission`, `kite auth
// enable|disable|status`. New passwords are asked on the terminal without echo unless given
// (`user add NAME:PASSWORD`, --new-user-password); the member hashes them before replicating.
import type { Command } from 'commander';
import type { KiteClient, Permission } from '@kite/client';
import { PERMISSION_TYPES } from '@kite/protocol';
import { withConnFlags, print, type ConnFlags } from '../context.js';
import { UsageError } from '../errors.js';
import { parseChoice } from '../flags.js';
import { json } from '../output/format-kv.js';
import { renderTable } from '../output/table.js';
import { promptPassword } from '../password-prompt.js';
import { withClient } from '../run.js';

const decoder = new TextDecoder();

async function newPassword(name: string, given: string | undefined): Promise<string> {
  if (given !== undefined) return given;
  return promptPassword(`Password of ${name}: `, 'give it as NAME:PASSWORD or with --new-user-password');
}

/** A permission's range as etcdctl prints it: [key, end), a prefix, or from a key. */
export function describePermission(p: Permission): string {
  const key = decoder.decode(p.key);
  if (p.rangeEnd === undefined || p.rangeEnd.length === 0) return `${p.type} ${key}`;
  if (p.rangeEnd.length === 1 && p.rangeEnd[0] === 0) return `${p.type} [${key}, <open ended>`;
  return `${p.type} [${key}, ${decoder.decode(p.rangeEnd)})`;
}

type Fmt = 'simple' | 'json' | 'table';

function printList(title: string, items: readonly string[], fmt: Fmt): void {
  if (fmt === 'json') print(json({ [title]: items }));
  else if (fmt === 'table') print(renderTable([title.replace(/s$/, '')], items.map((x) => [x])));
  else print(items.map((x) => `${x}\n`).join(''));
}

/** A one-line confirmation in simple output (etcdctl prints such lines too). */
function done(fmt: Fmt, line: string, obj: Record<string, unknown>): void {
  print(fmt === 'json' ? json(obj) : `${line}\n`);
}

function run(f: ConnFlags, work: (c: KiteClient, fmt: Fmt) => Promise<void>): Promise<void> {
  return withClient(f, async (open, ctx) => work(await open(), ctx.format));
}

export function registerUser(program: Command): void {
  const user = program.command('user').description('user add | delete | get | list | passwd | grant-role | revoke-role');

  withConnFlags(user.command('add').argument('<name[:password]>').description('add a user (password asked on the terminal when not given)')
    .option('--new-user-password <password>', 'the new user\'s password')
    .option('--no-password', 'a user without a password (identified by a client certificate CN only)'))
    .action(async (spec: string, f: ConnFlags & { newUserPassword?: string }) => run(f, async (c, fmt) => {
      const colon = spec.indexOf(':');
      const name = colon < 0 ? spec : spec.slice(0, colon);
      if (name === '') throw new UsageError('user add needs a name');
      // commander's --no-password sets `password: false`; --password (the login flag) is a string.
      const pw = (f.password as unknown) === false ? null : await newPassword(name, colon < 0 ? f.newUserPassword : spec.slice(colon + 1));
      await c.auth.userAdd(name, pw);
      done(fmt, `User ${name} created`, { user: name, created: true });
    }));

  withConnFlags(user.command('delete').argument('<name>').description('delete a user'))
    .action(async (name: string, f: ConnFlags) => run(f, async (c, fmt) => {
      await c.auth.userDelete(name);
      done(fmt, `User ${name} deleted`, { user: name, deleted: true });
    }));

  withConnFlags(user.command('get').argument('<name>').description('a user\'s roles'))
    .action(async (name: string, f: ConnFlags) => run(f, async (c, fmt) => {
      const { roles } = await c.auth.userGet(name);
      if (fmt === 'json') print(json({ user: name, roles }));
      else if (fmt === 'table') print(renderTable(['user', 'roles'], [[name, roles.join(',')]]));
      else print(`User: ${name}\nRoles: ${roles.join(' ')}\n`);
    }));

  withConnFlags(user.command('list').description('every user'))
    .action(async (f: ConnFlags) => run(f, async (c, fmt) => printList('users', (await c.auth.userList()).users, fmt)));

  withConnFlags(user.command('passwd').argument('<name>').description('change a user\'s password (asked on the terminal when not given); the user\'s logins end')
    .option('--new-user-password <password>', 'the new password'))
    .action(async (name: string, f: ConnFlags & { newUserPassword?: string }) => run(f, async (c, fmt) => {
      await c.auth.userChangePassword(name, await newPassword(name, f.newUserPassword));
      done(fmt, 'Password updated', { user: name, passwordChanged: true });
    }));

  withConnFlags(user.command('grant-role').argument('<name>').argument('<role>').description('give a user a role'))
    .action(async (name: string, role: string, f: ConnFlags) => run(f, async (c, fmt) => {
      await c.auth.userGrantRole(name, role);
      done(fmt, `Role ${role} is granted to user ${name}`, { user: name, role, granted: true });
    }));

  withConnFlags(user.command('revoke-role').argument('<name>').argument('<role>').description('take a role from a user'))
    .action(async (name: string, role: string, f: ConnFlags) => run(f, async (c, fmt) => {
      await c.auth.userRevokeRole(name, role);
      done(fmt, `Role ${role} is revoked from user ${name}`, { user: name, role, revoked: true });
    }));
}

interface RangeFlags {
  prefix?: boolean;
  fromKey?: boolean;
}

function rangeSelector(rangeEnd: string | undefined, f: RangeFlags): { prefix?: boolean; fromKey?: boolean; rangeEnd?: string } {
  const given = [rangeEnd !== undefined, f.prefix === true, f.fromKey === true].filter(Boolean).length;
  if (given > 1) throw new UsageError('give at most one of RANGE_END, --prefix and --from-key');
  if (rangeEnd !== undefined) return { rangeEnd };
  if (f.prefix === true) return { prefix: true };
  if (f.fromKey === true) return { fromKey: true };
  return {};
}

export function registerRole(program: Command): void {
  const role = program.command('role').description('role add | delete | get | list | grant-permission | revoke-permission');

  withConnFlags(role.command('add').argument('<name>').description('add a role'))
    .action(async (name: string, f: ConnFlags) => run(f, async (c, fmt) => {
      await c.auth.roleAdd(name);
      done(fmt, `Role ${name} created`, { role: name, created: true });
    }));

  withConnFlags(role.command('delete').argument('<name>').description('delete a role (taken from every user that has it)'))
    .action(async (name: string, f: ConnFlags) => run(f, async (c, fmt) => {
      await c.auth.roleDelete(name);
      done(fmt, `Role ${name} deleted`, { role: name, deleted: true });
    }));

  withConnFlags(role.command('get').argument('<name>').description('a role\'s permissions'))
    .action(async (name: string, f: ConnFlags) => run(f, async (c, fmt) => {
      const { permissions } = await c.auth.roleGet(name);
      if (fmt === 'json') {
        print(json({ role: name, permissions: permissions.map((p) => ({ type: p.type, key: decoder.decode(p.key), ...(p.rangeEnd !== undefined ? { rangeEnd: decoder.decode(p.rangeEnd) } : {}) })) }));
      } else if (fmt === 'table') {
        print(renderTable(['type', 'permission'], permissions.map((p) => [p.type, describePermission(p).slice(p.type.length + 1)])));
      } else {
        print(`Role ${name}\n${permissions.map((p) => `  ${describePermission(p)}\n`).join('')}`);
      }
    }));

  withConnFlags(role.command('list').description('every role'))
    .action(async (f: ConnFlags) => run(f, async (c, fmt) => printList('roles', (await c.auth.roleList()).roles, fmt)));

  withConnFlags(role.command('grant-permission').argument('<role>').argument('<type>', 'read, write or readwrite').argument('<key>').argument('[rangeEnd]')
    .description('allow a role to read and/or write a key, a range [key, rangeEnd), a prefix (--prefix) or every key from key (--from-key)')
    .option('--prefix', 'the permission covers every key starting with KEY')
    .option('--from-key', 'the permission covers every key >= KEY'))
    .action(async (name: string, type: string, key: string, rangeEnd: string | undefined, f: ConnFlags & RangeFlags) => run(f, async (c, fmt) => {
      const t = parseChoice('TYPE', type, PERMISSION_TYPES);
      await c.auth.roleGrantPermission(name, t, key, rangeSelector(rangeEnd, f));
      done(fmt, `Role ${name} updated`, { role: name, granted: { type: t, key } });
    }));

  withConnFlags(role.command('revoke-permission').argument('<role>').argument('<key>').argument('[rangeEnd]')
    .description('remove a role\'s permission on exactly that key, range, prefix (--prefix) or from-key range (--from-key)')
    .option('--prefix', 'the permission was granted with --prefix')
    .option('--from-key', 'the permission was granted with --from-key'))
    .action(async (name: string, key: string, rangeEnd: string | undefined, f: ConnFlags & RangeFlags) => run(f, async (c, fmt) => {
      await c.auth.roleRevokePermission(name, key, rangeSelector(rangeEnd, f));
      done(fmt, `Permission of key ${key} is revoked from role ${name}`, { role: name, revoked: { key } });
    }));
}

export function registerAuth(program: Command): void {
  const auth = program.command('auth').description('auth enable | disable | status');

  withConnFlags(auth.command('enable').description('turn authentication on (refused until the user root exists with the role root)'))
    .action(async (f: ConnFlags) => run(f, async (c, fmt) => {
      await c.auth.enable();
      done(fmt, 'Authentication Enabled', { enabled: true });
    }));

  withConnFlags(auth.command('disable').description('turn authentication off (root only)'))
    .action(async (f: ConnFlags) => run(f, async (c, fmt) => {
      await c.auth.disable();
      done(fmt, 'Authentication Disabled', { enabled: false });
    }));

  withConnFlags(auth.command('status').description('whether authentication is on, and the auth revision'))
    .action(async (f: ConnFlags) => run(f, async (c, fmt) => {
      const s = await c.auth.status();
      if (fmt === 'json') print(json({ enabled: s.enabled, authRevision: s.authRevision }));
      else if (fmt === 'table') print(renderTable(['enabled', 'auth revision'], [[String(s.enabled), String(s.authRevision)]]));
      else print(`Authentication Status: ${s.enabled}\nAuthRevision: ${s.authRevision}\n`);
    }));
}
