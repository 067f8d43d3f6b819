import t from 'tap';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, printingCrate, printingCrateArgs, run, Store, tempDir } from './helpers.js';

// One store, named two ways: a deep store (a path past the 107 bytes a socket's may have) by its
// path and with a trailing slash, by a long link or a short one, or under another TMPDIR; a short
// store by a long link. The socket was named by the path as spelled (in the temp dir, for a deep
// store): the second spelling found no daemon, started one, which found the store locked and
// answered every call "build uncached" for as long as the first one ran (hunting and review
// helpers' repros: 0 hits, SPLITCACHE_STORE_LOCKED). A deep store's socket is in the store dir now,
// reached through a descriptor of it (daemon/src/storeSocket.ts).

/** A store of a deep real path, or of a short one, and a long and a short link to it. */
const store = (deep: boolean) => {
  const real = deep ? join(tempDir('deep'), 'd'.repeat(90), 'store') : join(tempDir('shallow'), 'store');
  mkdirSync(real, { recursive: true });
  const longLink = join(tempDir('long'), 'l'.repeat(100));
  symlinkSync(real, longLink);
  const shortLink = join(tempDir('short'), 's');
  symlinkSync(real, shortLink);
  return { real, 'real/': `${real}/`, longLink, shortLink };
};

type Spelling = 'real' | 'real/' | 'longLink' | 'shortLink';
const cases: [string, boolean, Spelling, Spelling, 'another TMPDIR'?][] = [
  ['a deep store by its path, then with a trailing slash', true, 'real', 'real/'],
  ['a deep store by a long link, then by its path', true, 'longLink', 'real'],
  ['a deep store by its path, then by a long link', true, 'real', 'longLink'],
  ['a deep store by its path, then by a short link', true, 'real', 'shortLink'],
  ['a deep store by a short link, then by its path', true, 'shortLink', 'real'],
  ['a deep store by its path, then under another TMPDIR', true, 'real', 'real', 'another TMPDIR'],
  ['a short store by its path, then by a long link', false, 'real', 'longLink'],
  ['a short store by a long link, then by its path', false, 'longLink', 'real'],
];
for (const [what, deep, first, second, otherTmp] of cases) {
  t.test(`${what}: one daemon serves both`, async (t) => {
    const spelled = store(deep);
    const a = new Store(spelled[first]);
    const b = new Store(spelled[second]);
    t.teardown(() => a.stop());
    const tmp = otherTmp ? { TMPDIR: tempDir('tmp') } : {};
    const call = async (s: Store, text: string, client: string) => {
      const cwd = printingCrate(text);
      const r = await run(BIN, ['rustc', ...printingCrateArgs(cwd)], { cwd, env: s.env({ ...(s === b ? tmp : {}), ...(client === 'node' ? { SPLITCACHE_CLIENT: 'node' } : {}) }) });
      t.equal(r.code, 0, `${text} builds (${r.stderr.trim()})`);
      t.equal(r.stderr, '', `${text} says nothing (no store locked, no daemon lost)`);
    };
    await call(a, 'same', 'node');
    const pid = a.daemonPid();
    for (const client of ['node', 'exec']) await call(b, 'same', client);
    const status = await run(BIN, ['server', 'status'], { env: b.env(tmp) });
    t.match(status.stdout, new RegExp(`running \\(pid ${pid}\\b`), `server status by the other spelling names it (${status.stdout.trim()})`);
    t.notMatch(status.stdout, /unavailable/);
    const s = await b.stats();
    t.same([s.misses, s.hits], [1, 2], 'one miss, then hits through both clients');
  });
}
