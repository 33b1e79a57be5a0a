// `kite alarm`: etcdctl-like lines, JSON and table output, and --alarm checked before connecting.
import { describe, expect, it } from 'vitest';
import { formatAlarms, parseAlarmType } from '../src/commands/alarm.js';
import { UsageError } from '../src/errors.js';

const alarms = [{ memberId: '8e9e05c52164694d', alarm: 'NOSPACE' as const }, { memberId: 'a1b2', alarm: 'NOSPACE' as const }];

describe('kite alarm', () => {
  it('prints one memberID/alarm line per alarm, nothing when none is armed', () => {
    expect(formatAlarms(alarms, 'simple')).toBe('memberID:8e9e05c52164694d alarm:NOSPACE\nmemberID:a1b2 alarm:NOSPACE\n');
    expect(formatAlarms([], 'simple')).toBe('');
  });

  it('prints JSON and a table', () => {
    expect(JSON.parse(formatAlarms(alarms, 'json'))).toEqual({ alarms });
    const rows = formatAlarms(alarms.slice(0, 1), 'table').split('\n').filter((l) => l.startsWith('|'));
    expect(rows).toEqual(['| MEMBER ID        | ALARM   |', '| 8e9e05c52164694d | NOSPACE |']);
  });

  it('takes --alarm case-insensitively and refuses unknown types as a usage error', () => {
    expect(parseAlarmType(undefined)).toBeUndefined();
    expect(parseAlarmType('nospace')).toBe('NOSPACE');
    expect(parseAlarmType('corrupt')).toBe('CORRUPT');
    expect(() => parseAlarmType('NOSPACE2')).toThrow(UsageError);
  });
});
