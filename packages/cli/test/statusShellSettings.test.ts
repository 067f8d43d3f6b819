import t from 'tap';
import { run, BIN, Store } from './helpers.js';

// `splitcache server status` is where a user checks a setting just typed. It named only the
// settings the running daemon started with that it could not use: a shell's own
// `SPLITCACHE_MAX_SIZE=20gigs`, or a remote URL with a typo (`htp://…`), against a daemon
// started without them, got "running" and no word, though its next build is told of them.

t.test("server status names the settings of its own shell that can't be used, as a build is told", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const started = await store.splitcache(['server', 'start']);
  t.equal(started.code, 0, `a daemon starts with the default settings (${started.stderr})`);

  const bad = { SPLITCACHE_MAX_SIZE: '20gigs', SPLITCACHE_REMOTE: 'htp://cache.example:7878' };
  const status = await run(BIN, ['server', 'status'], { env: store.env(bad) });
  t.equal(status.code, 0, 'status exits 0');
  t.match(status.stdout, /^splitcache daemon running /m, 'the daemon runs');
  t.match(status.stdout, /^setting not used: SPLITCACHE_MAX_SIZE is not a size such as 10G .*"20gigs"; using 10G$/m, 'the size it cannot read is named');
  t.match(status.stdout, /^setting not used: SPLITCACHE_REMOTE is not an http\(s\) URL: "htp:\/\/cache.example:7878"; the remote cache is off$/m, 'and so is the remote URL');

  const plain = await store.splitcache(['server', 'status']);
  t.notMatch(plain.stdout, /setting not used/, 'a shell without them is told nothing');
});
