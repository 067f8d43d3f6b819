import t from 'tap';
import { readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, oneFileCrate, run, Store, tempDir } from './helpers.js';

// A client fault (here a SPLITCACHE_DIR naming a file: no daemon can start) meets every call of
// a build at once, and is said once a minute per code: a marker in this user's temp dir says
// when it was last said (client.ts, warnOnce; faultMarker.ts). A marker dated ahead of the clock
// (written before the clock was stepped back) kept the line unsaid until the clock caught up.

const CODE = 'SPLITCACHE_DAEMON_UNREACHABLE';

function setup() {
  const file = join(tempDir('faultstore'), 'file');
  writeFileSync(file, '');
  const tmp = tempDir('tmp');
  const env = new Store(file).env({ SPLITCACHE_CLIENT: 'node', TMPDIR: tmp });
  const cwd = oneFileCrate('pub fn f() {}\n');
  const call = () => run(BIN, ['rustc', '--crate-name', 'once', '--edition=2021', 'src/main.rs', '--crate-type', 'lib', '--emit=metadata', '--out-dir', join(cwd, 'out')], { cwd, env });
  const said = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith(`splitcache: ${CODE}:`)).length;
  const marker = () => {
    const own = join(tmp, `splitcache-${process.getuid!()}`);
    const found = readdirSync(own).filter((n) => n.endsWith(`.warned-${CODE}`));
    return found.length === 1 ? join(own, found[0]!) : undefined;
  };
  return { call, said, marker };
}

t.test('five calls at once that find the marker over a minute old: one line', async (t) => {
  const { call, said, marker } = setup();
  const first = await call();
  t.equal(first.code, 0, first.stderr);
  t.equal(said(first.stderr), 1, 'the first call says it');
  const old = new Date(Date.now() - 120_000);
  utimesSync(marker()!, old, old);
  const calls = await Promise.all(Array.from({ length: 5 }, call));
  t.ok(calls.every((c) => c.code === 0), 'every call builds, uncached');
  t.equal(calls.reduce((n, c) => n + said(c.stderr), 0), 1, 'one of them says it (faultMarker.test.ts lines such calls up at one instant)');
});

t.test('a marker dated over a minute ahead of the clock does not hide the fault', async (t) => {
  const { call, said, marker } = setup();
  t.equal(said((await call()).stderr), 1, 'said by the first call');
  const ahead = new Date(Date.now() + 3600_000);
  utimesSync(marker()!, ahead, ahead);
  t.equal(said((await call()).stderr), 1, 'said again by a call after the clock was stepped back an hour (before: not for an hour)');
  t.equal(said((await call()).stderr), 0, 'and then not again within the minute');
  const soon = new Date(Date.now() + 30_000);
  utimesSync(marker()!, soon, soon);
  t.equal(said((await call()).stderr), 0, 'a marker less than a minute ahead (a clock a little off) is taken as just made');
});
