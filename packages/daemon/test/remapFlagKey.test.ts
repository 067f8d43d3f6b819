import t from 'tap';
import { PrefixTable } from '@splitcache/paths';
import { covers, normaliseKeyedArg, realCwdRemap, remapFroms } from '../src/remapFlagKey.js';

// Key item 18 asks whether a user's --remap-path-prefix covers the working directory as the kernel
// has it; rustc matches a FROM by whole components.

t.test('the FROMs of a call, in both spellings, split at the last =', async (t) => {
  t.same(remapFroms(['--remap-path-prefix=/ci/ws=/build', '-C', 'x', '--remap-path-prefix', '/a=b=/c', '--remap-path-prefix']), ['/ci/ws', '/a=b']);
});

t.test('covers compares whole components, `//` and `/./` as one separator', async (t) => {
  t.ok(covers('/ci/ws', '/ci/ws') && covers('/ci/ws', '/ci/ws/src') && covers('/ci/ws/', '/ci/ws/src'));
  t.ok(covers('/ci//ws', '/ci/ws/src') && covers('/ci/./ws', '/ci/ws'), 'a FROM spelt with // or /./ (a review helper\'s repro)');
  t.notOk(covers('/ci/w', '/ci/ws'), 'a FROM that ends inside a component');
  t.notOk(covers('/ci/ws/src', '/ci/ws'), 'a longer FROM');
  t.notOk(covers('ci/ws', '/ci/ws'), 'a relative FROM does not cover an absolute path');
  t.ok(covers('/', '/ci/ws'), 'the root covers every absolute path');
});

// A registry crate runs in its own package's dir, outside the checkout; a FROM that holds the target
// dir is keyed as the target dir's ancestor, and any other as it normalises.
t.test('a FROM is keyed as the target dir\'s ancestor only where it is one, in both spellings of the flag', async (t) => {
  const table = new PrefixTable([{ name: 'cwd', path: '/home/u/.cargo/registry/src/dep-1.0' }, { name: 'target', path: '/ci/ws/target' }]);
  const key = (arg: string) => normaliseKeyedArg(arg, table);
  t.equal(key('--remap-path-prefix=/ci/ws=/build'), '--remap-path-prefix=@@sc:target@@/..=/build', 'the checkout: the target dir\'s parent');
  t.equal(key('--remap-path-prefix /ci/ws=/build'), '--remap-path-prefix @@sc:target@@/..=/build', 'as namedArgs joins the flag and its value: the same (a checkout elsewhere hits)');
  t.equal(key('--remap-path-prefix=/ci/ws/target=/t'), '--remap-path-prefix=@@sc:target@@=/t', 'the target dir itself: not its parent (that remap writes other paths)');
  t.not(key('--remap-path-prefix=/ci/ws/src=/s'), key('--remap-path-prefix=/ci/ws/lib=/s'), 'two dirs beside the target dir are no ancestor of it: keyed apart');
  t.equal(key('--remap-path-prefix=src=/ci/ws/target/mapped'), '--remap-path-prefix=src=/ci/ws/target/mapped', 'a TO under a prefix is kept: rustc writes it into file!() and debuginfo');
  for (const arg of ['-Zremap-cwd-prefix=/ci/ws/target/mapped', '-Z remap-cwd-prefix=/ci/ws/target/mapped', '-Zremap_cwd_prefix=/ci/ws/target/mapped']) {
    t.equal(key(arg), arg, `${arg}: its TO kept likewise`);
  }
  t.equal(key('-Zremap-cwd-prefix=.'), '-Zremap-cwd-prefix=.', 'and `.`, as before');
});

// A target dir named with `..` reaches rustc as written (`/ci/ws/../t`): rustc's FROM `/ci/ws` covers
// it by components, and remaps its OUT_DIR files through it. Resolved, it was no descendant of FROM,
// and a registry crate kept the checkout's path in its key (a hunt: 8 hits of 72 in a copy).
t.test('a FROM that covers a target dir named with `..` is keyed as its ancestor by components as written', async (t) => {
  const key = (target: string, from: string) => normaliseKeyedArg(`--remap-path-prefix=${from}=/build`, new PrefixTable([{ name: 'cwd', path: '/reg/dep-1.0' }, { name: 'target', path: target }]));
  t.equal(key('/ci/a/ws/../t', '/ci/a/ws'), '--remap-path-prefix=@@sc:target@@/../..=/build', 'two components up, as written');
  t.equal(key('/ci/a/ws/../t', '/ci/a/ws'), key('/elsewhere/b/ws/../t', '/elsewhere/b/ws'), 'the same in a checkout elsewhere');
  t.not(key('/ci/a/ws/../t', '/ci/a'), key('/ci/a/ws/../t', '/ci/a/ws'), 'a FROM one level up is another key');
});

// rustc writes a file under FROM as TO joined with the rest of its path: OUT_DIR's place below FROM
// is in the name of every file a build script wrote (/build/out/debug/… or /build/target/debug/…),
// and the call's dir's in its sources' and working dir's (/build/ws-a/…).
t.test('a FROM that covers OUT_DIR is keyed with OUT_DIR\'s place below it', async (t) => {
  const key = (cwd: string, outDir: string | undefined, from: string) => {
    const entries = [{ name: 'cwd', path: cwd }, { name: 'target', path: outDir?.replace(/\/debug\/.*/, '') ?? `${cwd}/target` }];
    return normaliseKeyedArg(`--remap-path-prefix=${from}=/build`, new PrefixTable(outDir ? [...entries, { name: 'out_dir', path: outDir }] : entries));
  };
  t.equal(key('/ci/ws', '/ci/ws/out/debug/build/g-1/out', '/ci/ws'), '--remap-path-prefix=@@sc:cwd@@ (out_dir out/debug/build/g-1/out)=/build', 'a member, its checkout remapped');
  t.not(key('/ci/ws', '/ci/ws/out/debug/build/g-1/out', '/ci/ws'), key('/ci/ws', '/ci/ws/target/debug/build/g-1/out', '/ci/ws'), 'target dirs of other names: keyed apart (old code: one key, and a hit named the other)');
  t.equal(key('/ci/ws', '/ci/ws/target/debug/build/g-1/out', '/ci/ws'), key('/e/b/ws', '/e/b/ws/target/debug/build/g-1/out', '/e/b/ws'), 'the same place in a checkout elsewhere: one key');
  t.not(key('/reg/d-1', '/ci/ws/../ta/debug/build/g-1/out', '/ci/ws'), key('/reg/d-1', '/ci/ws/../tb/debug/build/g-1/out', '/ci/ws'), 'a registry crate, target dirs beside the checkout: keyed apart');
  t.equal(key('/ci/ws', '/t/debug/build/g-1/out', '/ci/ws'), '--remap-path-prefix=@@sc:cwd@@=/build', 'an OUT_DIR outside FROM: as before');
  t.equal(key('/ci/ws', undefined, '/ci/ws'), '--remap-path-prefix=@@sc:cwd@@=/build', 'no build script: as before (target dirs of any name share it)');
});

t.test('a FROM above the call\'s dir is keyed with that dir\'s place below it', async (t) => {
  const key = (cwd: string, from: string) => normaliseKeyedArg(`--remap-path-prefix=${from}=/build`, new PrefixTable([{ name: 'cwd', path: cwd }, { name: 'target', path: `${cwd}/target` }]));
  t.equal(key('/home/u/ws-a', '/home/u'), '--remap-path-prefix=@@sc:target@@/../.. (cwd ws-a)=/build', 'its checkout\'s name');
  t.not(key('/home/u/ws-a', '/home/u'), key('/home/u/ws-b', '/home/u'), 'checkouts beside each other: keyed apart (old code: one key, and a hit named the other)');
  t.equal(key('/home/u/ws', '/home/u'), key('/home/v/ws', '/home/v'), 'the same name under another FROM: one key');
  t.equal(key('/home/u/ws', '/home/u/ws'), '--remap-path-prefix=@@sc:cwd@@=/build', 'FROM the call\'s dir itself: as before');
});

t.test("item 18: the real working dir's place below the last FROM that covers it, the one rustc applies", async (t) => {
  t.equal(realCwdRemap(['/r'], '/r/A'), 'remapped (A)');
  t.not(realCwdRemap(['/r'], '/r/A'), realCwdRemap(['/r'], '/r/B'), 'checkouts beside each other: apart');
  t.equal(realCwdRemap(['/r', '/r/A'], '/r/A'), 'remapped', 'the last FROM that covers it wins');
  t.equal(realCwdRemap(['/link'], '/r/A'), 'as it is');
});
