import t from 'tap';
import { run, BIN, Store } from './helpers.js';

// `splitcache stats` after `SPLITCACHE_MAX_SIZE=20gigs` showed `of 10.0 GiB` with no word of why:
// the shell's setting, unusable, falls back to the daemon's own default, so no setting differed.
// It names them now, as `server status` and a build do; the JSON is as it was.

t.test("stats names the settings of its own shell that can't be used", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  t.equal((await store.splitcache(['server', 'start'])).code, 0, 'a daemon runs with the default settings');
  const bad = store.env({ SPLITCACHE_MAX_SIZE: '20gigs' });
  const stats = await run(BIN, ['stats'], { env: bad });
  t.equal(stats.code, 0, 'stats exits 0');
  t.match(stats.stdout, /of 10\.0 GiB/, 'with the limit in force');
  t.match(stats.stdout, /\nsetting not used: SPLITCACHE_MAX_SIZE is not a size such as 10G .*"20gigs"; using 10G\n$/, 'and says why, last');
  const json = await run(BIN, ['stats', '--json'], { env: bad });
  t.notMatch(json.stdout, /setting not used|problems/, '--json is as it was');
  t.notMatch((await store.splitcache(['stats'])).stdout, /setting not used/, 'a shell without it is told nothing');
});
