import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readdirSync, renameSync, symlinkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, oneFileCrate, realRustc, run, Store, tempDir } from './helpers.js';

// With no node, bin/splitcache says so at most once a minute: a marker per minute in the user's
// own temp dir. One dated ahead of the clock (made before the clock was stepped back) counted as
// made in the last minute, and kept the line unsaid until the clock caught up with it.

/** A time's minute as bin/splitcache names its markers: %Y%m%d%H%M, local time. */
const minute = (d: Date) => [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes()].map((n, i) => String(n).padStart(i === 0 ? 4 : 2, '0')).join('');

t.test('with no node, a marker dated an hour ahead does not keep the line unsaid', async (t) => {
  const rustc = await realRustc();
  const bin = tempDir('path');
  for (const tool of ['find', 'id', 'mkdir', 'rm']) symlinkSync(spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim(), join(bin, tool));
  const env = { ...new Store().env(), PATH: bin, TMPDIR: tempDir('tmp') };
  const cwd = oneFileCrate('pub fn f() {}\n');
  const call = () => run(BIN, [rustc, '--crate-name', 'ahead', '--edition=2021', 'src/main.rs', '--crate-type', 'lib', '--emit=metadata', '--out-dir', join(cwd, 'out')], { cwd, env });
  const said = async () => {
    const r = await call();
    t.equal(r.code, 0, r.stderr);
    return r.stderr.includes('SPLITCACHE_NODE_MISSING');
  };
  t.ok(await said(), 'the first call says it');
  const own = join(env.TMPDIR, `splitcache-${process.getuid!()}`);
  const markers = readdirSync(own);
  t.equal(markers.length, 1, 'and leaves one marker');
  // As the clock stepped back an hour leaves it: named by the minute an hour on, and dated so.
  const ahead = new Date(Date.now() + 3600_000);
  const later = markers[0]!.replace(/\.\d{12}$/, `.${minute(ahead)}`);
  renameSync(join(own, markers[0]!), join(own, later));
  utimesSync(join(own, later), ahead, ahead);
  t.ok(await said(), 'said again once the marker is an hour ahead of the clock (before: not for an hour)');
  t.notOk(await said(), 'and not again within the minute');
  t.notOk(readdirSync(own).includes(later), 'the marker from ahead is gone');
});
