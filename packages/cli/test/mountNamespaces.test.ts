/**
 * A store dir shared by processes that see different files at the same paths:
 * containers given one cache volume (a CI runner's `/cache` shared by its
 * concurrent jobs, the host's store mounted into a `docker run`). The socket in
 * the store leads every one of them to the daemon that owns it, which reads and
 * writes paths in its own mount namespace. Before, another container's call was
 * keyed on the daemon's side's files (a hit for a source that differs), its
 * outputs were written into the daemon's side's out-dir, and its link failed
 * (SPLITCACHE_LINK_FAILED, the entry evicted); in a cargo build, the next crate
 * found no rlib and the build failed. The other container is made with
 * `unshare -m` and a bind mount of another checkout at the same path (root).
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ON_PIPES, printingCrate, printingCrateArgs, run, runOnPipes, Store, tempDir } from './helpers.js';

const root = process.getuid?.() === 0;
const canUnshare = root && spawnSync('unshare', ['-m', '--propagation', 'private', 'true']).status === 0;

t.test("a call from another mount namespace sharing the store: built uncached with one line, and the daemon's side is left alone", { skip: !canUnshare && 'needs root, for unshare -m and bind mounts' }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const [ours, theirs] = [printingCrate('from our side'), printingCrate('from their side')];
  // One path, two checkouts: ours bound there in this namespace, theirs in the other's.
  const at = tempDir('checkout');
  t.equal(spawnSync('mount', ['--bind', ours, at]).status, 0, 'our checkout is bound at the shared path');
  t.teardown(() => void spawnSync('umount', ['-l', at]));
  const args = ['rustc', ...printingCrateArgs(at)];

  const first = await runOnPipes(BIN, args, { cwd: at, env: store.env() });
  t.equal(first.code, 0, 'our call builds');
  const ourOut = readdirSync(join(ours, 'out')).sort();
  const ourBinary = readFileSync(join(ours, 'out', 'trial-t'));

  // Their call, at the same path, with the same store, in a mount namespace of its own.
  const inTheirs = 'mount --bind "$1" "$2" && cd "$2" && shift 2 && exec "$@"';
  const r = await run('unshare', ['-m', '--propagation', 'private', 'sh', '-c', inTheirs, 'sh', theirs, at, '/bin/bash', '-c', ON_PIPES, '_', BIN, ...args], { env: store.env() });
  t.equal(r.code, 0, 'their call succeeds');
  t.match(r.stderr, /^splitcache: SPLITCACHE_DAEMON_UNREACHABLE: this store's daemon \(pid \d+\) runs in another mount namespace[^\n]*\(building uncached\)\n$/, 'one line says why it built uncached');
  t.equal((await run(join(theirs, 'out', 'trial-t'), [])).stdout, 'from their side\n', 'their binary is built from their source');
  // Through the node client (the exec port declined the first: procCaller.ts), the daemon declines too (server.ts).
  const viaNode = await run('unshare', ['-m', '--propagation', 'private', 'sh', '-c', inTheirs, 'sh', theirs, at, '/bin/bash', '-c', ON_PIPES, '_', BIN, ...args], { env: store.env({ SPLITCACHE_CLIENT: 'node' }) });
  t.equal(viaNode.code, 0, 'their call through the node client succeeds');
  t.equal(viaNode.stderr, '', 'and says nothing more within the minute');
  t.equal((await run(join(theirs, 'out', 'trial-t'), [])).stdout, 'from their side\n', 'their binary is built from their source again');
  t.same(readdirSync(join(ours, 'out')).sort(), ourOut, 'nothing was written into our out-dir');
  t.ok(readFileSync(join(ours, 'out', 'trial-t')).equals(ourBinary), 'our binary is untouched');

  const again = await runOnPipes(BIN, args, { cwd: at, env: store.env() });
  t.equal(again.code, 0, 'our next call builds');
  t.equal(again.stderr, '', 'silently');
  const s = await store.stats();
  t.same([s.misses, s.hits], [1, 1], 'ours was stored, and is still a hit (their calls evicted nothing)');
  t.same(s.passthrough, { 'other-mount-namespace': 2 }, 'their two calls are counted as passed through, and why');
  t.equal((await run(join(ours, 'out', 'trial-t'), [])).stdout, 'from our side\n', 'our binary is ours');
});
