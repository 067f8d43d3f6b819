import t, { type Test } from 'tap';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolchainStamp } from '../src/toolchainStamp.js';

// A memoised rustc identity is checked on each call against this stamp: what changes when what a
// toolchain runs does. A daemon that kept the old identity served the old toolchain's rlibs to the
// new one (E0514) or its .rlink files, whose link failed.

function toolchain(t: Test) {
  const root = mkdtempSync(join(tmpdir(), 'toolchain-stamp-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const sysroot = join(root, 'sysroot');
  mkdirSync(join(sysroot, 'lib', 'rustlib', 'x86_64-unknown-linux-gnu', 'lib'), { recursive: true });
  writeFileSync(join(sysroot, 'lib', 'librustc_driver-abc.so'), 'driver v1');
  const home = join(root, 'rustup');
  mkdirSync(join(home, 'toolchains'), { recursive: true });
  const cwd = join(root, 'work', 'crate');
  mkdirSync(cwd, { recursive: true });
  const env = { RUSTUP_HOME: home };
  const stamp = (e: Record<string, string> = env, proxy = true) => toolchainStamp(sysroot, ['librustc_driver-abc.so'], cwd, e, proxy, ['x86_64-unknown-linux-gnu']);
  return { root, sysroot, home, cwd, env, stamp };
}

t.test('a proxy no RUSTUP_TOOLCHAIN pins: a toolchain file written in the call\'s dir or above, or rustup\'s settings, change it', async (t) => {
  const f = toolchain(t);
  const before = f.stamp();
  t.equal(f.stamp(), before, 'the same while nothing changed');
  writeFileSync(join(f.root, 'work', 'rust-toolchain.toml'), '[toolchain]\nchannel = "nightly"\n');
  const withFile = f.stamp();
  t.not(withFile, before, 'a rust-toolchain.toml above the call\'s dir');
  writeFileSync(join(f.cwd, 'rust-toolchain'), 'nightly\n');
  const withOld = f.stamp();
  t.not(withOld, withFile, 'a rust-toolchain (the older name) in it');
  writeFileSync(join(f.home, 'settings.toml'), 'default_toolchain = "beta"\n');
  t.not(f.stamp(), withOld, "rustup's settings (`rustup default`)");
  const pinned = { ...f.env, RUSTUP_TOOLCHAIN: 'stable' };
  const pinnedBefore = f.stamp(pinned);
  writeFileSync(join(f.cwd, 'rust-toolchain.toml'), '[toolchain]\nchannel = "beta"\n');
  t.equal(f.stamp(pinned), pinnedBefore, 'pinned by RUSTUP_TOOLCHAIN, the files name nothing it runs');
});

t.test('a driver rebuilt in place, or a toolchain linked anew, changes it', async (t) => {
  const f = toolchain(t);
  const before = f.stamp(f.env, false);
  // The same size, a new mtime: a rebuilt librustc_driver (a rustc developer's), the lib dir's own entry unchanged.
  writeFileSync(join(f.sysroot, 'lib', 'librustc_driver-abc.so'), 'driver v2');
  const later = new Date(Date.now() + 5000);
  utimesSync(join(f.sysroot, 'lib', 'librustc_driver-abc.so'), later, later);
  t.not(f.stamp(f.env, false), before, 'the driver rebuilt');
  const proxied = f.stamp();
  mkdirSync(join(f.home, 'toolchains', 'dev'));
  t.not(f.stamp(), proxied, "a toolchain linked (rustup's toolchains dir)");
});
