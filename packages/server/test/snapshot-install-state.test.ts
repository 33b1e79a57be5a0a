// stateOnDisk (snapshot-install.ts): the install state a restart reads back from the Raft log's
// snapshot index, the store's applied index and the staged files, one case per row of the
// module's table. The crash walks over a real member are in
// test/sim/real-host/snapshot-install-crash.test.ts.
import { describe, expect, it } from 'vitest';
import { stateOnDisk, type DiskInstallState, type InstallDisk } from '../src/snapshot-install.js';

const cases: readonly (readonly [string, InstallDisk, DiskInstallState])[] = [
  ['recorded: the log holds X, the store is behind, the file is there', { recordedIndex: 10, storeAppliedIndex: 4, stagedIndexes: [10] }, { state: 'recorded', index: 10 }],
  ['recorded, with a newer snapshot staged beside it', { recordedIndex: 10, storeAppliedIndex: 4, stagedIndexes: [10, 12] }, { state: 'recorded', index: 10 }],
  ['lost: the log holds X, the store is behind, no file for X', { recordedIndex: 10, storeAppliedIndex: 4, stagedIndexes: [12] }, { state: 'lost', index: 10 }],
  ['restored: the store reached X, its file is not pruned yet', { recordedIndex: 10, storeAppliedIndex: 10, stagedIndexes: [10] }, { state: 'restored', index: 10 }],
  ['restored: an older file left too', { recordedIndex: 10, storeAppliedIndex: 11, stagedIndexes: [7, 10] }, { state: 'restored', index: 10 }],
  ['staged: only a file newer than the record (never recorded)', { recordedIndex: 10, storeAppliedIndex: 10, stagedIndexes: [12] }, { state: 'staged', index: 12 }],
  ['pruned: nothing staged', { recordedIndex: 10, storeAppliedIndex: 10, stagedIndexes: [] }, { state: 'pruned', index: 10 }],
  ['bootstrap (nothing to restore): a staged file is one never recorded', { recordedIndex: 0, storeAppliedIndex: 0, stagedIndexes: [5] }, { state: 'staged', index: 5 }],
];

describe('stateOnDisk', () => {
  it.each(cases)('%s', (_name, disk, expected) => {
    expect(stateOnDisk(disk)).toEqual(expected);
  });
});
