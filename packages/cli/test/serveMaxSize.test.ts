import t, { type Test } from 'tap';
import { readdirSync } from 'node:fs';
import { run, BIN, tempDir } from './helpers.js';
import { startServe } from './remoteHelpers.js';

// `serve --max-size 0` means what SPLITCACHE_MAX_SIZE=0 and `gc --max-size 0` mean
// (docs/CONFIG.md, docs/REMOTE.md): no size limit, which is also serve's default.

/** The size limit `GET /status` gives for a server started with `args`. */
async function statusMaxSize(t: Test, args: string[]): Promise<number | null> {
  const serve = await startServe(args);
  t.teardown(() => serve.stop());
  const r = await fetch(`${serve.url}/status`);
  return ((await r.json()) as { maxSize: number | null }).maxSize;
}

t.test('serve --max-size 0 serves with no size limit, as serve with none does', async (t) => {
  t.equal(await statusMaxSize(t, []), null, 'without --max-size, /status says maxSize null');
  t.equal(await statusMaxSize(t, ['--max-size', '0']), null, '--max-size 0 starts, and /status says maxSize null too (it was refused)');
  t.equal(await statusMaxSize(t, ['--max-size', '0k']), null, 'and 0k is 0 as well');
  t.equal(await statusMaxSize(t, ['--max-size', '2M']), 2 * 2 ** 20, 'a size is the limit, in bytes');
});

t.test('serve --max-size that is no size is a usage error, and no server starts', async (t) => {
  const dir = tempDir('serve');
  const r = await run(BIN, ['serve', '--dir', dir, '--listen', '127.0.0.1:0', '--max-size', 'lots']);
  t.equal(r.code, 2, 'exits 2');
  t.equal(r.stderr, "splitcache serve: --max-size takes a size such as 10G (0: no limit), not 'lots' (see `splitcache serve --help`)\n", 'one line naming it');
  t.same(readdirSync(dir), [], 'and no server made its store');
});
