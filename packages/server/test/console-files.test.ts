// Which URL paths name a console file: only plain names under /ui/ (one optional folder), never
// a path that climbs out of the console directory or names a hidden file.
import { describe, expect, it } from 'vitest';
import { consoleFileName } from '../src/console-files.js';

describe('consoleFileName', () => {
  it('maps /ui/ to index.html and plain names to themselves', () => {
    expect(consoleFileName('/ui/')).toBe('index.html');
    expect(consoleFileName('/ui/index.html')).toBe('index.html');
    expect(consoleFileName('/ui/assets/app-ABC123.js')).toBe('assets/app-ABC123.js');
  });

  it('refuses traversal, hidden files, deep paths, encoded bytes and other prefixes', () => {
    for (const p of ['/ui/../package.json', '/ui/assets/../../x.js', '/ui/.env', '/ui/assets/.x.js', '/ui/a/b/c.js',
      '/ui/%2e%2e/x.js', '/ui//x.js', '/uix/a.js', '/ui/a..js/..', '/other/ui/a.js', '/ui/assets/']) {
      expect(consoleFileName(p), p).toBeNull();
    }
  });
});
