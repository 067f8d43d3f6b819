/**
 * Files another user of the machine leaves in the shared temp dir, where a
 * store keeps its failed-start note (and, without /proc, a deep store its
 * socket) under names anyone can work out (a hash of the store's path). They must never reach this user's
 * calls: a socket there got every compile request, each with the caller's
 * whole environment, and a note there was printed as the reason to build
 * uncached (daemon/src/userTempDir.ts).
 *
 * The other user is uid 65534 (nobody): the files are made by this test and
 * handed to that uid, which needs root.
 */
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { BIN, printingCrate, printingCrateArgs, run, Store, tempDir } from './helpers.js';

const root = process.getuid?.() === 0;
const OTHER = 65534;

/** The hash the temp dir's names carry: the same 32-bit FNV-1a pair as protocol.ts, worked out here as anyone could. */
function storeHash(dir: string): string {
  const fnv = (seed: number) => {
    let h = seed >>> 0;
    for (let i = 0; i < dir.length; i++) h = Math.imul(h ^ dir.charCodeAt(i), 0x01000193) >>> 0;
    return h.toString(16).padStart(8, '0');
  };
  return fnv(0x811c9dc5) + fnv(0x01000193);
}

/** A shared temp dir, as /tmp is: world-writable, sticky. */
function sharedTmp(): string {
  const dir = tempDir('sharedtmp');
  chmodSync(dir, 0o1777);
  return dir;
}

/** Another user's listener at `path`: it keeps what it is sent. */
async function plantedListener(t: Test, path: string): Promise<{ got: () => string }> {
  const chunks: Buffer[] = [];
  const server: Server = createServer((c) => c.on('data', (d: Buffer) => chunks.push(d)));
  await new Promise<void>((res) => server.listen(path, () => res()));
  chmodSync(path, 0o777);
  chownSync(path, OTHER, OTHER);
  t.teardown(() => new Promise<void>((res) => server.close(() => res())));
  return { got: () => Buffer.concat(chunks).toString('latin1') };
}

/** One call of rustc through splitcache; run, not spawnSync, so that the listeners in this process take what comes meanwhile. */
async function compile(store: Store, text: string, tmp: string) {
  const cwd = printingCrate(text);
  const r = await run(BIN, ['rustc', ...printingCrateArgs(cwd)], { cwd, env: store.env({ TMPDIR: tmp, SECRET_OF_THIS_USER: 'hunter2' }) });
  const printed = r.code === 0 ? spawnSync(join(cwd, 'out', 'trial-t'), { encoding: 'utf8' }).stdout : '';
  return { code: r.code, stderr: r.stderr, printed };
}

const stop = (t: Test, store: Store, tmp: string) => t.teardown(() => run(BIN, ['server', 'stop'], { env: store.env({ TMPDIR: tmp }) }).then(() => undefined));

// A deep store's socket was in the temp dir; it is the store dir's own now (daemon/src/storeSocket.ts),
// so a listener planted there, or a directory of this user's name taken first, changes nothing.
t.test('a deep store: another user listening where its socket was in the temp dir gets nothing, and the call is served', { skip: !root && 'needs root, to hand files to another uid' }, async (t) => {
  const tmp = sharedTmp();
  const store = new Store(join(tempDir('deep'), 'd'.repeat(100), 'store'));
  stop(t, store, tmp);
  const h = storeHash(store.dir);
  // Where the socket once was (the temp dir itself), and this user's directory made first by the other user.
  const inTemp = await plantedListener(t, join(tmp, `splitcache-${h}.sock`));
  const theirs = join(tmp, `splitcache-${process.getuid!()}`);
  mkdirSync(theirs, { mode: 0o777 });
  chmodSync(theirs, 0o777);
  chownSync(theirs, OTHER, OTHER);
  const inTheirs = await plantedListener(t, join(theirs, `${h}.sock`));

  const r = await compile(store, 'not theirs', tmp);
  t.equal(r.code, 0, 'the call succeeds');
  t.equal(r.printed, 'not theirs\n', 'with the right binary');
  t.notMatch(inTemp.got(), /hunter2|compile/, 'the listener in the temp dir got nothing of the call');
  t.notMatch(inTheirs.got(), /hunter2|compile/, 'nor the one in the directory the other user made');
  t.equal(r.stderr, '', 'and says nothing');
  t.ok(statSync(join(store.dir, 'daemon.sock')).isSocket(), 'its daemon listens in the store dir');
  t.equal(statSync(join(store.dir, 'daemon.sock')).mode & 0o777, 0o600, 'on a socket only this user can open');
});

t.test('a failed-start note another user left for a store is not read', { skip: !root && 'needs root, to hand files to another uid' }, async (t) => {
  const tmp = sharedTmp();
  const store = new Store();
  stop(t, store, tmp);
  const note = join(tmp, `splitcache-${storeHash(store.dir)}.start-failed`);
  writeFileSync(note, 'planted by another user\n');
  chownSync(note, OTHER, OTHER);
  const r = await compile(store, 'no note', tmp);
  t.equal(r.code, 0, 'the call succeeds');
  t.equal(r.printed, 'no note\n', 'with the right binary');
  t.equal(r.stderr, '', 'printing nothing of the note (it built through the daemon)');
});
