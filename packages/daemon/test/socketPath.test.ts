import t, { type Test } from 'tap';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { legacySockets, socketPath, socketShown } from '../src/protocol.js';
import { listenOwnSocket } from '../src/ownedPath.js';

// A deep store's socket (a path past the 107 bytes a bind takes) is in the store dir, reached as
// /proc/self/fd/<fd>/daemon.sock. It was in the temp dir, named by a hash of the store's path:
// a short link to the store, or a call under another TMPDIR (an editor's, an `[env]` table's),
// found no daemon there, started a second one, which found the store locked, and the calls it
// took built uncached (hunting helpers' repros). Where /proc is not there, the temp dir still.

const connects = (sock: string) =>
  new Promise<boolean>((res) => {
    const c = connect(sock);
    c.once('connect', () => (c.destroy(), res(true)));
    c.once('error', () => res(false));
  });

const listening = (sock: string) =>
  new Promise<Server>((res, rej) => {
    const s = createServer((c) => c.destroy());
    s.once('error', rej);
    s.listen(sock, () => res(s));
  });

/** A store whose path is past the length a socket's may have, and a long link to it. */
function deepStore(t: Test) {
  const base = mkdtempSync(join(tmpdir(), 'sock-path-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  const deep = join(base, 'w'.repeat(90), 'store');
  mkdirSync(deep, { recursive: true });
  const longLink = join(base, 'l'.repeat(95));
  symlinkSync(deep, longLink);
  return { base, deep, longLink };
}

t.test('a deep store has one socket, in the store dir, however it is spelled and whatever the temp dir', async (t) => {
  const { base, deep, longLink } = deepStore(t);
  const shortLink = join(base, 's');
  symlinkSync(deep, shortLink);

  const sock = socketPath(deep);
  t.match(sock, /^\/proc\/self\/fd\/\d+\/daemon\.sock$/, `reached through a descriptor of the store dir (${sock})`);
  t.equal(socketShown(sock), join(deep, 'daemon.sock'), 'shown by the store dir');
  const server = await listening(sock);
  t.teardown(() => server.close());
  t.ok(lstatSync(join(deep, 'daemon.sock')).isSocket(), 'the socket is the store dir\'s own file');

  const saved = process.env.TMPDIR;
  t.teardown(() => (saved === undefined ? delete process.env.TMPDIR : (process.env.TMPDIR = saved)));
  for (const tmp of [saved, join(base, 't'.repeat(70)), 'reltmp']) {
    if (tmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmp;
    for (const [what, spelled] of [['its path', deep], ['a trailing slash', `${deep}/`], ['a long link', longLink], ['a short link', shortLink]]) {
      t.ok(await connects(socketPath(spelled!)), `by ${what}, TMPDIR ${tmp ?? '(unset)'}: the one socket`);
    }
  }
  t.equal(socketPath(join(base, 'short')), join(base, 'short', 'daemon.sock'), 'a store of a short path keeps its socket path');
});

t.test('a deep store not made yet, or made again', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'sock-path-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  const deep = join(base, 'x'.repeat(90), 'store');
  t.equal(socketPath(deep), join(deep, 'daemon.sock'), 'not made: no descriptor (the client asks again once it has made it)');
  mkdirSync(deep, { recursive: true });
  const first = socketPath(deep);
  t.match(first, /^\/proc\/self\/fd\//, 'made: through its descriptor');
  t.equal(socketPath(deep), first, 'the same descriptor for the next ask');
  rmSync(deep, { recursive: true });
  mkdirSync(deep);
  const again = socketPath(deep);
  t.not(again, first, 'a store made again: a descriptor of the new dir');
  const server = await listening(again);
  t.teardown(() => server.close());
  t.ok(lstatSync(join(deep, 'daemon.sock')).isSocket(), 'whose socket is in the new dir');
});

const procHidden = spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs none /proc && echo hidden'], { encoding: 'utf8' }).stdout?.trim() === 'hidden';
t.test('without /proc: a deep store\'s socket in the temp dir, within the length a bind takes', { skip: procHidden ? false : 'no mount namespace to hide /proc in (needs root and unshare)' }, async (t) => {
  const { base, deep, longLink } = deepStore(t);
  const longTmp = join(base, 't'.repeat(70));
  mkdirSync(longTmp);
  const script = `import(${JSON.stringify(new URL('../src/protocol.js', import.meta.url).href)}).then((p) => console.log(JSON.stringify(process.argv.slice(1).map((d) => p.socketPath(d)))))`;
  const ask = (tmp: string) => {
    const r = spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs none /proc && exec "$0" "$@"', process.execPath, '-e', script, deep, `${deep}/`, longLink], {
      encoding: 'utf8',
      env: { ...process.env, TMPDIR: tmp },
    });
    t.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as string[];
  };
  const [a, b, c] = ask(tmpdir());
  t.ok(Buffer.byteLength(a!) < 92, `in the temp dir, short (${a})`);
  t.same([b, c], [a, a], 'one socket by every spelling');
  t.match(ask(longTmp)[0], /^\/tmp\/splitcache-[^/]+\/[0-9a-f]+\.sock$/, "a long TMPDIR: in /tmp's own user dir");
  t.match(ask('reltmp')[0], /^\/tmp\/splitcache-[^/]+\/[0-9a-f]+\.sock$/, 'a relative TMPDIR: /tmp');
});

t.test("a deep store's socket that can't be put in place: the error names the store dir, and leaves no bound name behind", async (t) => {
  const { deep } = deepStore(t);
  mkdirSync(join(deep, 'daemon.sock', 'in-the-way'), { recursive: true }); // a dir where the socket goes
  const server = createServer();
  t.teardown(() => server.close());
  const err = await listenOwnSocket(server, socketPath(deep)).then(() => undefined, (e: Error) => e);
  t.ok(err, 'the listen fails');
  t.notMatch(err!.message, /\/proc\/self\/fd/, `no descriptor of the daemon's in it (${err!.message})`);
  t.match(err!.message, deep, 'the store dir instead');
  t.same(readdirSync(deep), ['daemon.sock'], `no daemon.sock.<pid> left`);
  const tooLong = await listenOwnSocket(createServer(), join(deep, 'daemon.sock')).then(() => undefined, (e: Error) => e);
  t.match(tooLong?.message, /too long for a unix socket/, 'a path past 107 bytes is refused, not cut short by node');
});

t.test("the old sockets of a deep store are named without making the dirs they'd be in", async (t) => {
  const { base, deep } = deepStore(t);
  const saved = process.env.TMPDIR;
  t.teardown(() => (saved === undefined ? delete process.env.TMPDIR : (process.env.TMPDIR = saved)));
  process.env.TMPDIR = join(base, 'fresh-tmp');
  mkdirSync(process.env.TMPDIR);
  const names = legacySockets(deep);
  t.ok(names.some((n) => n.startsWith(`${process.env.TMPDIR}/splitcache-`)), `one in this TMPDIR's user dir (${names.join(', ')})`);
  t.same(readdirSync(process.env.TMPDIR), [], 'which is not made (`server status` left one in two temp dirs)');
});
