// diskFullPath: which I/O errors mean "the disk is full", and the path they name.
import { describe, expect, it } from 'vitest';
import { diskFullPath } from '../src/disk-full.js';

describe('diskFullPath', () => {
  it('reads the path of a Node ENOSPC error, or falls back to the data dir', () => {
    const err = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', path: '/d/snap/5.part' });
    expect(diskFullPath(err, '/d')).toBe('/d/snap/5.part');
    expect(diskFullPath(Object.assign(new Error('x'), { code: 'ENOSPC' }), '/d')).toBe('/d');
  });

  it('reads the file of a LevelDB IO error, also wrapped in a message or a cause', () => {
    const level = Object.assign(new Error('IO error: /d/raft/000003.log: No space left on device'), { code: 'LEVEL_IO_ERROR' });
    expect(diskFullPath(level, '/d')).toBe('/d/raft/000003.log');
    expect(diskFullPath(new Error(`cannot open raft log at /d/raft: ${level.message}`), '/d')).toBe('/d/raft/000003.log');
    expect(diskFullPath(new Error('open failed', { cause: level }), '/d')).toBe('/d/raft/000003.log');
  });

  it('treats a full quota (EDQUOT) as a full disk', () => {
    expect(diskFullPath(Object.assign(new Error('EDQUOT: disk quota exceeded, write'), { code: 'EDQUOT', path: '/d/snap/5.part' }), '/d')).toBe('/d/snap/5.part');
    expect(diskFullPath(new Error('IO error: /d/kv/000007.log: Disk quota exceeded'), '/d')).toBe('/d/kv/000007.log');
  });

  it('is null for every other error', () => {
    expect(diskFullPath(new Error('IO error: /d/raft/LOCK: Resource temporarily unavailable'), '/d')).toBeNull();
    expect(diskFullPath(Object.assign(new Error('EACCES'), { code: 'EACCES', path: '/d' }), '/d')).toBeNull();
    expect(diskFullPath('No space', '/d')).toBeNull();
    expect(diskFullPath(null, '/d')).toBeNull();
  });
});
