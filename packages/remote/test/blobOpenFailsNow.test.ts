import t from 'tap';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readdirSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { digestBytes, initHash } from '@splitcache/hash';
import { serve, tmp } from './serverHelpers.js';

// A blob file that can't be opened for a cause of the moment, not of the file: every descriptor held
// (EMFILE: a client with 520 unread GETs, a helper's repro). It was taken for a lost file, dropped from
// the index and left on disk, uncounted and never evicted. It is the server's fault of the moment: a 500,
// the blob kept. Alone in its file: the process's descriptors run out here, which would fail any test
// beside it.

t.before(initHash);

const nofile = () => spawnSync('prlimit', ['--pid', String(process.pid), '--nofile', '--output', 'SOFT,HARD', '--noheadings'], { encoding: 'utf8' }).stdout.trim().split(/\s+/);
const canLimit = spawnSync('prlimit', ['--version']).status === 0;

t.test('a GET of a blob whose file the server cannot open now (EMFILE) is a 500, and the blob is served once it can', { skip: !canLimit && 'needs prlimit' }, async (t) => {
  const s = await serve(t, { dir: tmp() });
  const blob = Buffer.from('kept through a want of descriptors\n'.repeat(30));
  const d = digestBytes(blob);
  t.equal((await fetch(`${s.url}/cas/${d}`, { method: 'PUT', body: new Uint8Array(blob) })).status, 201, 'stored');
  // One kept-alive connection: a new one could not be accepted with no descriptor left.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const ask = (method: string) =>
    new Promise<number>((res, rej) => {
      const req = request(`${s.url}/cas/${d}`, { agent, method }, (r) => {
        r.resume();
        r.on('end', () => res(r.statusCode ?? 0));
      });
      req.on('error', rej);
      req.end();
    });
  // A HEAD closes the blob's file before it answers; a GET's stream may close it after the client has the body.
  t.equal(await ask('HEAD'), 200, 'found on the connection kept');
  const [soft, hard] = nofile();
  const restore = () => spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=${soft}:${hard}`]);
  t.teardown(restore);
  // Every descriptor under a limit a little above those open taken.
  const open = readdirSync('/proc/self/fd').map(Number);
  t.equal(spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=${Math.max(...open) + 64}:${hard}`]).status, 0, 'the limit lowered');
  const held: number[] = [];
  t.teardown(() => held.forEach((fd) => closeSync(fd)));
  try {
    for (;;) held.push(openSync('/dev/null', 'r'));
  } catch (err) {
    t.equal((err as NodeJS.ErrnoException).code, 'EMFILE', `every descriptor taken (${held.length})`);
  }
  const during = await ask('GET');
  held.splice(0).forEach((fd) => closeSync(fd));
  restore();
  t.equal(during, 500, "the GET fails as the server's fault of the moment, not a 404");
  t.equal(await ask('GET'), 200, 'and once it can be opened, the blob is served: it was not dropped from the index');
  const st = (await (await fetch(`${s.url}/status`)).json()) as { entries: number };
  t.equal(st.entries, 1, '/status still counts it');
});
