import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { encodeFrame, FrameReader, socketPath } from '@splitcache/daemon/protocol';
import { BIN, run, Store, tempDir } from './helpers.js';

// A daemon answers a request it could not plan (a fault thrown while it planned) with
// `{ error }` (daemon/src/server.ts), not a plan. The node client must take that for a
// fault, and build uncached, not for a plan to carry out. Here a stand-in daemon on the
// store's socket answers every frame so; the call's rustc is real.

t.test('a compile answered with an error, not a plan: the call builds uncached, says so once, exit 0', async (t) => {
  const store = new Store();
  mkdirSync(store.dir, { recursive: true });
  const server = createServer((c) => {
    const reader = new FrameReader();
    c.on('data', (chunk) => {
      for (const _ of reader.push(chunk)) c.write(encodeFrame({ error: 'SPLITCACHE_INTERNAL: planning failed' }));
    });
    c.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(socketPath(store.dir), r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const dir = tempDir('errreply');
  mkdirSync(join(dir, 'out'));
  writeFileSync(join(dir, 'main.rs'), 'fn main() { println!("built anyway"); }\n');
  const args = ['rustc', '--crate-name', 'errreply', '--edition=2021', 'main.rs', '--crate-type', 'bin', '--emit=dep-info,link', '-C', 'metadata=e77', '--out-dir', join(dir, 'out')];
  const r = await run(BIN, args, { cwd: dir, env: store.env({ SPLITCACHE_CLIENT: 'node' }) });
  t.equal(r.code, 0, `the call builds: ${r.stderr}`);
  t.equal((await run(join(dir, 'out', 'errreply'), [])).stdout, 'built anyway\n', 'and its binary runs');
  t.match(r.stderr, /^splitcache: SPLITCACHE_DAEMON_PROTOCOL: bad reply .*planning failed.* \(building uncached\)\n$/, 'one line naming the reply');
});
