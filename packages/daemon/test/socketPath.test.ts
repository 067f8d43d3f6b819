import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { socketPath } from '../src/protocol.js';

// A deep store's socket goes in the temp dir, named by a hash of the store's path. Hashed as
// spelled, `<dir>/` and a link to the store named other sockets: a second daemon started, found
// the store locked, and the calls it took built uncached. A long TMPDIR made a socket path past
// the 107 bytes a bind takes (node cut it short, and no daemon could start); a relative one, a
// socket in each crate's directory (a hunting helper's repros).

t.test('a deep store has one socket however it is spelled, within the length a bind takes', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'sock-path-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  const deep = join(base, 'w'.repeat(90), 'store');
  mkdirSync(deep, { recursive: true });
  const link = join(base, 'l'.repeat(95));
  symlinkSync(deep, link);
  const sock = socketPath(deep);
  t.ok(Buffer.byteLength(sock) < 92, `in the temp dir, short (${sock})`);
  t.equal(socketPath(`${deep}/`), sock, 'with a trailing slash');
  t.equal(socketPath(`${deep}//`), sock, 'with two');
  t.equal(socketPath(link), sock, 'through a link');
  // A long link to a store of a short path: its socket in the store dir, as a short spelling's.
  const shallow = join(base, 'shallow');
  mkdirSync(shallow);
  const longLink = join(base, 'k'.repeat(100));
  symlinkSync(shallow, longLink);
  t.equal(socketPath(longLink), join(shallow, 'daemon.sock'), "a long spelling of a short store: the store dir's socket");
  t.equal(socketPath(shallow), join(shallow, 'daemon.sock'), 'as its short spelling');
  const notYet = join(deep, 'inner', 'store');
  t.equal(socketPath(join(link, 'inner', 'store')), socketPath(notYet), 'a store not yet made, under a link');

  const saved = process.env.TMPDIR;
  t.teardown(() => (saved === undefined ? delete process.env.TMPDIR : (process.env.TMPDIR = saved)));
  const longTmp = join(base, 't'.repeat(70));
  mkdirSync(longTmp);
  process.env.TMPDIR = longTmp;
  const fallback = socketPath(deep);
  t.ok(Buffer.byteLength(fallback) < 92, `a long TMPDIR: a socket path a bind takes (${fallback})`);
  t.match(fallback, /^\/tmp\/splitcache-[^/]+\/[0-9a-f]+\.sock$/, "in /tmp's own user dir");
  process.env.TMPDIR = 'reltmp';
  t.match(socketPath(deep), /^\/tmp\/splitcache-[^/]+\/[0-9a-f]+\.sock$/, 'a relative TMPDIR: /tmp');
  t.equal(socketPath(join(base, 'short')), join(base, 'short', 'daemon.sock'), 'a store of a short path keeps its socket');
});
