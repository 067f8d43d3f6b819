import t from 'tap';
import { chmodSync, chownSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { digestBytes, initHash } from '@splitcache/hash';
import { serve, tmp } from './serverHelpers.js';

// A stored blob's file made unreadable (mode 000: an admin's chmod, a restore as another user) was
// a 500 to each GET and HEAD of it, for good: a writer's HEAD never got the 404 that sends the blob
// again, and every reader missed it. Now it is a 404, removed with one line, and the next PUT stores it.
// The server runs here under another effective uid (root reads a mode-000 file), given back at the end.

const OTHER = 4711;
const root = process.geteuid?.() === 0;

t.before(initHash);

t.test('a blob file the server cannot read is a 404, removed, and stored again by a PUT', { skip: !root && 'needs root, to serve as another uid' }, async (t) => {
  const dir = tmp('sc-unreadable-');
  chownSync(dir, OTHER, OTHER);
  process.setegid!(OTHER);
  process.seteuid!(OTHER);
  t.teardown(() => {
    process.seteuid!(0);
    process.setegid!(0);
  });
  const lines: string[] = [];
  const s = await serve(t, { dir, log: (l) => lines.push(l) });
  const blob = randomBytes(3000);
  const digest = digestBytes(blob);
  const url = `${s.url}/cas/${digest}`;
  t.equal((await fetch(url, { method: 'PUT', body: new Uint8Array(blob) })).status, 201);
  chmodSync(join(dir, 'cas', digest.slice(0, 2), digest.slice(2)), 0);
  t.equal((await fetch(url, { method: 'HEAD' })).status, 404, 'HEAD: 404, so a writer sends it again');
  t.equal((await fetch(url)).status, 404, 'GET: 404');
  t.match(lines, [/^SPLITCACHE_SERVE_IO: blob file of [0-9a-f]{32} is unreadable \(EACCES\)/], 'one line says it');
  const st = (await (await fetch(`${s.url}/status`)).json()) as { entries: number };
  t.equal(st.entries, 0, '/status counts it no more');
  t.equal((await fetch(url, { method: 'PUT', body: new Uint8Array(blob) })).status, 201, 'a PUT stores it again');
  const got = await fetch(url);
  t.ok(Buffer.from(await got.arrayBuffer()).equals(blob), 'and it is served');
});
