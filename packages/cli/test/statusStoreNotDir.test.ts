import t from 'tap';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, run, Store, tempDir } from './helpers.js';

// A SPLITCACHE_DIR that names a file, or a path through one: every build call and `stats` say
// `the store dir … is not a directory`, but `server status`, where a user looks first, said only
// `splitcache daemon not running`, exit 0, as if a build would start one.

t.test('server status names a store dir that is no directory, and exits 1', async (t) => {
  const file = join(tempDir('status-file'), 'a-file');
  writeFileSync(file, 'not a store\n');
  for (const [dir, what] of [[file, 'a file is there'], [join(file, 'store'), 'a file is on its path']] as const) {
    const store = new Store(dir);
    const r = await run(BIN, ['server', 'status'], { env: store.env() });
    t.equal(r.code, 1, `${what}: exit 1`);
    t.equal(r.stdout, 'splitcache daemon not running\n', `${what}: not running`);
    t.equal(r.stderr, `splitcache: SPLITCACHE_DAEMON_UNREACHABLE: the store dir ${dir} is not a directory (${what}): set SPLITCACHE_DIR to a directory\n`, `${what}: and why none can start, as stats says`);
    const stats = await run(BIN, ['stats'], { env: store.env() });
    t.match(stats.stderr, `the store dir ${dir} is not a directory (${what})`, `${what}: the words stats uses`);
  }
});

t.test('server status of a store not made yet: not running, exit 0, and the dir is not made', async (t) => {
  const dir = join(tempDir('status-none'), 'store');
  const r = await run(BIN, ['server', 'status'], { env: new Store(dir).env() });
  t.same([r.code, r.stdout, r.stderr], [0, 'splitcache daemon not running\n', ''], 'as before');
  t.notOk(existsSync(dir), 'and no store dir is made');
});
