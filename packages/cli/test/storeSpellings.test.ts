import t from 'tap';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, printingCrate, printingCrateArgs, run, Store, tempDir } from './helpers.js';

// One store, named two ways: a deep store (its socket in the temp dir) and a short link to it, or
// the deep path and the same with a trailing slash. The socket was named by the path as spelled:
// the second spelling found no daemon, started one, which found the store locked and answered
// every call "build uncached" for as long as the first one ran (hunting and review helpers'
// repros: 0 hits, SPLITCACHE_STORE_LOCKED). Every spelling now reaches the one daemon.

const deepStore = () => {
  const deep = join(tempDir('deep'), 'd'.repeat(90), 'store');
  mkdirSync(deep, { recursive: true });
  const link = join(tempDir('short'), 's');
  symlinkSync(deep, link);
  return { deep, link };
};

for (const [first, second] of [['link', 'deep'], ['deep', 'link'], ['deep', 'deep/']] as const) {
  t.test(`a deep store named by its ${first} path, then by its ${second} path: one daemon serves both`, async (t) => {
    const { deep, link } = deepStore();
    const spelled = { link, deep, 'deep/': `${deep}/` };
    const a = new Store(spelled[first]);
    const b = new Store(spelled[second]);
    t.teardown(() => a.stop());
    const call = async (store: Store, text: string, client: string) => {
      const cwd = printingCrate(text);
      const r = await run(BIN, ['rustc', ...printingCrateArgs(cwd)], { cwd, env: store.env(client === 'node' ? { SPLITCACHE_CLIENT: 'node' } : {}) });
      t.equal(r.code, 0, `${text} builds (${r.stderr.trim()})`);
      t.equal(r.stderr, '', `${text} says nothing (no store locked, no daemon lost)`);
    };
    await call(a, 'same', 'node');
    const pid = a.daemonPid();
    for (const client of ['node', 'exec']) await call(b, 'same', client);
    t.equal(b.daemonPid(), pid, 'the same daemon');
    const status = await run(BIN, ['server', 'status'], { env: b.env() });
    t.match(status.stdout, new RegExp(`running \\(pid ${pid}\\b`), `server status by the other spelling names it (${status.stdout.trim()})`);
    t.notMatch(status.stdout, /unavailable/);
    const s = await b.stats();
    t.same([s.misses, s.hits], [1, 2], 'one miss, then hits through both clients');
  });
}
