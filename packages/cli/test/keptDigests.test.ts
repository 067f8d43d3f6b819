/**
 * The file digests one daemon read are kept for the next (daemon/src/keptDigests.ts): a warm
 * build after an idle timeout then reads no source again. Here: the daemon writes them when it
 * stops, and the next build, under a new daemon, still hits every crate.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertOk, copyFixture, hitRate, Store } from './helpers.js';

t.test('a stopping daemon keeps the digests of the sources it read; the next one builds from them', async (t) => {
  const ws = copyFixture();
  const store = new Store();
  t.teardown(() => store.stop());
  await sleep(2100); // sources younger than 2 s are never kept (git's racy case)
  assertOk(t, await store.cargo(ws, ['build']), 'the first build succeeds');
  await store.stop();
  const kept = JSON.parse(readFileSync(join(store.dir, 'digests.json'), 'utf8')) as { v: number; entries: [string, string, string, string][] };
  const paths = kept.entries.map((e) => e[0]);
  for (const src of ['core/src/lib.rs', 'util/src/lib.rs', 'app/src/main.rs', 'core/build.rs']) t.ok(paths.includes(join(ws, src)), `${src} is kept`);
  // rustc's outputs are recorded without a ctime (FileDigestMemo.remember) and never kept. A build
  // script's output that rustc reads (core's OUT_DIR/cubes.rs, include!d) is an input, read like a
  // source: kept once it is older than the racy 2 s when its crate is stored, as on a loaded machine
  // (it failed so here, under load: the build script ran more than 2 s before core's compile ended).
  const outputs = paths.filter((p) => p.includes('/target/') && !/\/target\/debug\/build\/[^/]+\/out\//.test(p));
  t.same(outputs, [], 'no build output is kept (a build script\'s OUT_DIR files are inputs)');
  // An edit of the same size, its mtime put back: only the ctime tells the kept digest is stale.
  const edited = join(ws, 'util', 'src', 'lib.rs');
  const before = statSync(edited, { bigint: true });
  writeFileSync(edited, readFileSync(edited, 'utf8').replace('unused_on_purpose', 'unused_on_porpose'));
  // To the nanosecond (a Date has milliseconds only): `touch -d @<s>.<ns>`.
  const ns = before.mtimeNs.toString().padStart(10, '0');
  spawnSync('touch', ['-m', '-d', `@${ns.slice(0, -9)}.${ns.slice(-9)}`, edited]);
  const after = statSync(edited, { bigint: true });
  t.same([after.size, after.mtimeNs, after.ino], [before.size, before.mtimeNs, before.ino], 'size, mtime and inode are as they were');
  rmSync(join(ws, 'target'), { recursive: true, force: true }); // cargo, by mtimes, would call no rustc
  const next = await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'next' });
  assertOk(t, next, 'the next build, under a new daemon, succeeds');
  const { missed, total } = hitRate(await store.calls('next'));
  t.ok(total >= 5, `every crate was called (${total})`);
  t.ok(missed.includes('fx_util:lib'), `a source edited since it was kept (mtime put back) is read again: its crate misses (missed: ${missed.join(', ')})`);
  t.notOk(missed.includes('fx_core:lib') || missed.includes('fx_derive:proc-macro'), 'crates that do not use it hit');
});
