// Who a config change is recorded as: --author, else $USER, else the OS account. Found by
// running the README's config commands in a container without $USER: release refused.
import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { authorOf } from '../src/commands/config.js';

describe('config author', () => {
  it('prefers --author, then $USER', () => {
    expect(authorOf({ author: 'ann' }, { USER: 'bob' })).toBe('ann');
    expect(authorOf({}, { USER: 'bob' })).toBe('bob');
  });

  it('falls back to the OS account when $USER is unset', () => {
    expect(authorOf({}, {})).toBe(userInfo().username);
  });

  it('refuses with a clear message when nothing names the author', () => {
    expect(() => authorOf({}, {}, () => '')).toThrow(/no author: pass --author/);
  });
});
