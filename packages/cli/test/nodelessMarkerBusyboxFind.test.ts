import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, oneFileCrate, realRustc, run, Store, tempDir } from './helpers.js';

// With no node, bin/splitcache leaves a marker a minute in the user's temp dir and removes those
// over five minutes old. busybox's find (Alpine's) refuses -newermt, which the removal of markers
// dated ahead of the clock takes: asked in one find with -mmin +5, it removed nothing, and a
// marker a minute of the fault stayed there for good (Debian's busybox refuses -delete too).
// Here busybox's own find where it is installed, else a find that refuses -newermt as it does.

const which = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();

t.test('with no node and a find without -newermt, markers over five minutes old still go', async (t) => {
  const rustc = await realRustc();
  const bin = tempDir('path');
  for (const tool of ['id', 'mkdir', 'rm']) symlinkSync(which(tool), join(bin, tool));
  const busybox = which('busybox');
  if (busybox) writeFileSync(join(bin, 'find'), `#!/bin/bash\nexec ${busybox} find "$@"\n`, { mode: 0o755 });
  else writeFileSync(join(bin, 'find'), `#!/bin/bash\nfor a; do [ "$a" != -newermt ] || { echo "find: unrecognized: $a" >&2; exit 1; }; done\nexec ${which('find')} "$@"\n`, { mode: 0o755 });
  const env = { ...new Store().env(), PATH: bin, TMPDIR: tempDir('tmp') };
  const cwd = oneFileCrate('pub fn f() {}\n');
  const r = await run(BIN, [rustc, '--crate-name', 'oldmarks', '--edition=2021', 'src/main.rs', '--crate-type', 'lib', '--emit=metadata', '--out-dir', join(cwd, 'out')], { cwd, env });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /SPLITCACHE_NODE_MISSING/, 'the first call says it');
  const own = join(env.TMPDIR, `splitcache-${process.getuid!()}`);
  const made = readdirSync(own);
  t.equal(made.length, 1, 'and leaves one marker');
  // Markers of earlier minutes of the fault, as a build an hour long leaves them.
  const old = [10, 30, 60].map((min) => {
    const name = made[0]!.replace(/\.\d{12}$/, `.old${min}`);
    writeFileSync(join(own, name), '');
    const when = new Date(Date.now() - min * 60_000);
    utimesSync(join(own, name), when, when);
    return name;
  });
  const again = await run(BIN, [rustc, '--crate-name', 'oldmarks', '--edition=2021', 'src/main.rs', '--crate-type', 'lib', '--emit=metadata', '--out-dir', join(cwd, 'out')], { cwd, env });
  t.equal(again.code, 0, again.stderr);
  t.notMatch(again.stderr, /SPLITCACHE_NODE_MISSING/, 'not said again within the minute');
  t.same(old.filter((m) => existsSync(join(own, m))), [], 'the markers over five minutes old are gone');
  t.same(readdirSync(own), made, 'only this minute\'s is left');
});
