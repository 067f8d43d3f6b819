import t from 'tap';
import { PrefixTable } from '@splitcache/paths';
import { parseInvocation } from '@splitcache/rustc';
import { foreignCrateFile } from '../src/rlinkCrates.js';

const SYSROOT = '/opt/rust';

/** A bin's call as cargo makes it, in the workspace `ws` with the target dir `target`. */
function binCall(ws: string, target: string) {
  return parseInvocation([
    '--crate-name', 'app', '--edition=2021', 'src/main.rs', '--crate-type', 'bin', '--emit=dep-info,link',
    '--out-dir', `${target}/debug/deps`, '-L', `dependency=${target}/debug/deps`,
    '--extern', `util=${target}/debug/deps/libutil-1.rlib`, '--extern', 'local=libs/liblocal.rlib',
  ]);
}

t.test("the crates an .rlink links: its own dirs' and the call's are its own; one by another path that bears the name of one of them is foreign", async (t) => {
  const ws = '/ws';
  const inv = binCall(ws, '/ws/target');
  const table = new PrefixTable([
    { name: 'sysroot', path: SYSROOT },
    { name: 'cwd', path: ws },
    { name: 'tmp', path: '/tmp' },
    { name: 'target', path: '/ws/target' },
    { name: 'target_real', path: '/cache/ws-target' },
  ]);
  // What the call's -L dependency dir holds, as the check looks it up.
  const inDeps = new Set(['/ws/target/debug/deps/libclap_builder-5.rlib']);
  const exists = (p: string) => inDeps.has(p);
  const own = [
    '@@sc:sysroot@@/lib/rustlib/x86_64-unknown-linux-gnu/lib/libstd-1.rlib',
    '@@sc:target@@/debug/deps/libutil-1.rlib',
    '@@sc:target_real@@/debug/deps/libserde_derive-2.so',
    '@@sc:cwd@@/libs/liblocal.rlib',
    '/ws/target/debug/deps/libfound-3.rmeta',
    '@@sc:target@@/debug/deps/app-4.app.cgu.0.rcgu.o',
    '/tmp/elsewhere/app.o',
    // A sysroot assembled from links to a toolchain's files: rustc names those by their real paths.
    '/opt/toolchain/lib/rustlib/x86_64-unknown-linux-gnu/lib/libcore-6.rlib',
  ];
  t.equal(foreignCrateFile(own, inv, ws, table, exists), undefined, "the sysroot, the target dir by either path, an --extern given relative to the cwd, a file in an -L dir, a toolchain's crate elsewhere; objects are no crates");
  t.equal(
    foreignCrateFile([...own, '@@sc:tmp@@/a-real-target/debug/deps/libutil-1.rlib'], inv, ws, table, exists),
    '/tmp/a-real-target/debug/deps/libutil-1.rlib',
    "another checkout's real target dir under the temp dir's prefix (an entry stored before the target's real path was a prefix), named as an --extern",
  );
  t.equal(foreignCrateFile(['/elsewhere/deps/libclap_builder-5.rlib'], inv, ws, table, exists), '/elsewhere/deps/libclap_builder-5.rlib', 'an absolute path to a crate named as one in the -L dir (a dependency of a dependency)');
  t.equal(foreignCrateFile(['@@sc:cwd@@/libs/other/liblocal.rlib'], inv, ws, table, exists), '/ws/libs/other/liblocal.rlib', "under the cwd, but not the --extern's own path");
  // A Makefile's kindless -L dir (-L all) is searched for crates as -L crate is; -L native is not.
  const kinds = (kind: string) => parseInvocation(['--crate-name', 'app', 'src/main.rs', '--crate-type', 'bin', '--out-dir', 'out', '-L', `${kind}/ws/lib`]);
  const inLib = (p: string) => p === '/ws/lib/libmk-7.rlib';
  for (const kind of ['', 'all=', 'crate=']) {
    t.equal(foreignCrateFile(['/linked/lib/libmk-7.rlib'], kinds(kind), ws, table, inLib), '/linked/lib/libmk-7.rlib', `named as one in an -L ${kind || '(kindless)'} dir: foreign`);
  }
  t.equal(foreignCrateFile(['/linked/lib/libmk-7.rlib'], kinds('native='), ws, table, inLib), undefined, 'an -L native dir holds no crates of the call');
  // The -L dir's own file, outside the target dir (a prebuilt crate a Makefile links): the call's own, whatever the dir holds.
  // With that check gone, every test passed (a mutation audit's survivor): such a crate's result was never stored.
  for (const kind of ['', 'all=', 'crate=', 'dependency=']) {
    t.equal(foreignCrateFile(['/ws/lib/libmk-7.rlib'], kinds(kind), ws, table, inLib), undefined, `the file in an -L ${kind || '(kindless)'} dir itself: its own`);
  }
});
