import t from 'tap';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_VERSION } from '@splitcache/daemon';
import { readBuildInfo, versionLine } from '../src/versionLine.js';
import { BIN, ROOT, run, tempDir } from './helpers.js';

// `splitcache --version` said `splitcache 0.1.0` whatever was installed: two runners on two
// commits (and two cache formats, which share no entries) could not be told apart by it.
t.test('--version names the commit this install was built from and its cache format', async (t) => {
  const r = await run(BIN, ['--version']);
  t.equal(r.code, 0, 'exits 0');
  t.match(r.stdout, new RegExp(`^splitcache \\d+\\.\\d+\\.\\d+ \\(.*cache format ${CACHE_VERSION}\\)\\n$`), `with cache format ${CACHE_VERSION}`);
  const head = spawnSync('git', ['-C', ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' });
  if (head.status !== 0) return t.comment('not a git checkout: no commit to compare');
  // The install is built from the checkout it is in (npm ci / npm run build), so its commit is HEAD's.
  t.match(r.stdout, new RegExp(`\\(${head.stdout.trim().slice(0, 9)}(\\+changes)? \\d{4}-\\d\\d-\\d\\d, `), 'and the commit it was built from, with its date');
});

t.test('a build-info file missing, garbled or of the wrong shape leaves out what it cannot say', async (t) => {
  const dir = tempDir('buildinfo');
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  t.same(readBuildInfo(join(dir, 'none.json')), {}, 'missing');
  t.same(readBuildInfo(file('cut.json', '')), {}, 'empty');
  t.same(readBuildInfo(file('garbled.json', '{"commit": "abc')), {}, 'cut short');
  t.same(readBuildInfo(file('array.json', '[1,2]')), {}, 'not an object');
  t.same(readBuildInfo(file('hostile.json', JSON.stringify({ commit: 'abc\n\u001b[31mred', date: 'yesterday', changed: 'yes', cacheVersion: -1 }))), {}, 'fields of the wrong shape (an escape sequence in the commit) are dropped');
  const info = readBuildInfo(file('good.json', JSON.stringify({ commit: '0123456789abcdef0123456789abcdef01234567', date: '2026-12-07', changed: true, cacheVersion: 17 })));
  t.equal(versionLine(info).replace(/^splitcache \S+ /, ''), '(012345678+changes 2026-12-07, cache format 17)\n', 'a full one: short commit, +changes for an edited tree, date, format');
  t.equal(versionLine({ cacheVersion: 17 }).replace(/^splitcache \S+ /, ''), '(cache format 17)\n', 'outside a git checkout: the format only');
  t.match(versionLine({}), /^splitcache \d+\.\d+\.\d+\n$/, 'nothing known: the version alone');
});
