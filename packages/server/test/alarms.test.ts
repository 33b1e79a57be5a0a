// Replicated alarms in the member registry: raise/clear are idempotent (a log replay after a
// restart lands on the same set), survive the snapshot encoding, and a snapshot written before
// alarms existed decodes with none armed. The entry envelope carries alarm changes.
import { describe, expect, it } from 'vitest';
import { Packr } from 'msgpackr';
import { MemberRegistry } from '../src/member-registry.js';
import { decodeAlarmChange, decodeHostEntry, encodeAlarmChange, encodeHostEntry, type AlarmChange } from '../src/entry-codec.js';

const raise = (memberId: string): AlarmChange => ({ action: 'activate', memberId, alarm: 'NOSPACE' });
const clear = (memberId: string): AlarmChange => ({ action: 'deactivate', memberId, alarm: 'NOSPACE' });

describe('alarms in the member registry', () => {
  it('raises and clears per member, idempotently, and keeps them across encode/decode', () => {
    const reg = new MemberRegistry();
    for (const c of [raise('b'), raise('a'), raise('b'), clear('c')]) reg.applyAlarm(c);
    expect(reg.alarms()).toEqual([{ memberId: 'a', alarm: 'NOSPACE' }, { memberId: 'b', alarm: 'NOSPACE' }]);
    expect(reg.hasAlarm('NOSPACE')).toBe(true);
    expect(reg.hasAlarm('NOSPACE', 'c')).toBe(false);
    const back = MemberRegistry.decode(reg.encode());
    expect(back.alarms()).toEqual(reg.alarms());
    reg.applyAlarm(clear('a'));
    reg.applyAlarm(clear('a'));
    expect(reg.alarms()).toEqual([{ memberId: 'b', alarm: 'NOSPACE' }]);
    back.replaceAlarms(reg);
    expect(back.alarms()).toEqual(reg.alarms());
  });

  it('decodes a registry snapshot written before alarms were replicated', () => {
    const old = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false }).pack({ version: 1, members: [], removed: [] });
    expect(MemberRegistry.decode(old).alarms()).toEqual([]);
  });

  it('round-trips an alarm change inside a host entry and refuses a malformed one', () => {
    const he = decodeHostEntry(encodeHostEntry({ kind: 'alarm', proposer: 'p', seq: 4, payload: encodeAlarmChange(raise('m1')) }));
    expect(he.kind).toBe('alarm');
    expect(decodeAlarmChange(he.payload)).toEqual(raise('m1'));
    const bad = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false }).pack({ action: 'explode', memberId: 'm1', alarm: 'NOSPACE' });
    expect(() => decodeAlarmChange(bad)).toThrow(/assertion/);
  });
});
