import t from 'tap';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, run, Store, tempDir } from './helpers.js';

// `report --html` to a place it can't write said the path twice, in node's words:
// `cannot write /x/y.html: ENOENT: no such file or directory, open '/x/y.html'`. One line, in words.

t.test('report --html where it cannot write: one line naming the path once, and why, exit 1', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const base = tempDir('report-out');
  const aDir = join(base, 'a-dir');
  mkdirSync(aDir);
  for (const [path, why] of [[join(base, 'no-such-dir', 'r.html'), 'its directory is not there'], [aDir, 'a directory is there']] as const) {
    const r = await run(BIN, ['report', '--html', path], { env: store.env() });
    t.equal(r.code, 1, `${why}: exit 1`);
    t.equal(r.stderr, `splitcache: cannot write ${path}: ${why}\n`, `${why}: one line`);
  }
});
