// alarm list | disarm (etcdctl's): the cluster's armed alarms, one `memberID:<id> alarm:<type>`
// line each in simple output, like etcdctl. Disarm with no selector clears every alarm.
import type { Command } from 'commander';
import { ALARM_TYPES, type AlarmMember, type AlarmType } from '@kite/protocol';
import { withConnFlags, print, type ConnFlags } from '../context.js';
import { UsageError } from '../errors.js';
import { json } from '../output/format-kv.js';
import { renderTable } from '../output/table.js';
import { withClient } from '../run.js';

export function formatAlarms(alarms: readonly AlarmMember[], fmt: 'simple' | 'json' | 'table'): string {
  if (fmt === 'json') return json({ alarms });
  if (fmt === 'table') return renderTable(['member id', 'alarm'], alarms.map((a) => [a.memberId, a.alarm]));
  return alarms.map((a) => `memberID:${a.memberId} alarm:${a.alarm}\n`).join('');
}

export function parseAlarmType(raw: string | undefined): AlarmType | undefined {
  if (raw === undefined) return undefined;
  const t = raw.toUpperCase();
  if (!(ALARM_TYPES as readonly string[]).includes(t)) throw new UsageError(`--alarm: '${raw}' is not one of ${ALARM_TYPES.join(', ')}`);
  return t as AlarmType;
}

export function registerAlarm(program: Command): void {
  const alarm = program.command('alarm').description('alarm list | disarm').addHelpText('after', `
Alarms:
  NOSPACE  a member's store passed its --quota-bytes: writes that add data are refused.
           Free space (delete, compact, \`kite defrag\`, or restart with a larger quota), then disarm.
  CORRUPT  the leader's corruption check found a member whose store differs from the others
           at the same revision: every write is refused, reads keep serving. Replace that member:
             kite member remove <id>
             stop it, delete its data directory
             kite member add <name> --peer-urls <url>
             start it with --initial-cluster-state existing (it receives a snapshot)
           then: kite alarm disarm --alarm CORRUPT`);

  withConnFlags(alarm.command('list').description('the cluster\'s armed alarms (e.g. NOSPACE)'))
    .action(async (f: ConnFlags) => withClient(f, async (open, ctx) => {
      const c = await open();
      const { alarms } = await c.alarms.list();
      print(formatAlarms(alarms, ctx.format));
    }));

  withConnFlags(alarm.command('disarm').description('clear alarms (all, or --member / --alarm); a condition that still holds raises its alarm again')
    .option('--member <id>', 'only the alarms this member raised')
    .option('--alarm <type>', `only this alarm type (${ALARM_TYPES.join(', ')})`))
    .action(async (f: ConnFlags & { member?: string; alarm?: string }) => withClient(f, async (open, ctx) => {
      const type = parseAlarmType(f.alarm);
      const c = await open();
      const { alarms } = await c.alarms.disarm({ ...(f.member !== undefined ? { memberId: f.member } : {}), ...(type !== undefined ? { alarm: type } : {}) });
      print(formatAlarms(alarms, ctx.format));
    }));
}
