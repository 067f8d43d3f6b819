import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, run, Store } from './helpers.js';

// cargo's -Zchecksum-freshness (nightly) finds a crate fresh only where its dep-info has a
// `# checksum:` line for every file it names. A hit in a second checkout on the same machine
// names the first checkout's file of an input it records twice (nearInputs.ts: a file
// generated in OUT_DIR), and rustc wrote no checksum line for that path: cargo said "the
// checksum for file `<first checkout>/…/gen.rs` is missing" and built the crate again on
// every build, where plain cargo's second build is fresh. (No space in these paths: cargo reads
// a checksum line's path as written, escaped, and finds a crate there never fresh, plain or not.)

const FILES = {
  'Cargo.toml': '[package]\nname = "sums"\nversion = "0.1.0"\nedition = "2021"\n',
  'build.rs':
    'fn main() {\n    let out = std::env::var("OUT_DIR").unwrap();\n' +
    '    std::fs::write(std::path::Path::new(&out).join("gen.rs"), "pub const N: u32 = 7;\\n").unwrap();\n    println!("cargo:rerun-if-changed=build.rs");\n}\n',
  'src/main.rs': 'include!(concat!(env!("OUT_DIR"), "/gen.rs"));\nfn main() { println!("{N}"); }\n',
};
const NIGHTLY = ['+nightly', '-Zchecksum-freshness'];
const noNightly = spawnSync('rustup', ['run', 'nightly', 'rustc', '-V']).status !== 0 && 'nightly is not installed';

t.test('a hit in another checkout is fresh on the next build under -Zchecksum-freshness', { skip: noNightly }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const a = fileTree(FILES, 'sums-a');
  const b = fileTree(FILES, 'sums-b');
  const plain = await run('cargo', [...NIGHTLY, 'build', '-v'], { cwd: b, env: { ...process.env, CARGO_TARGET_DIR: join(b, 'plain') } });
  assertOk(t, plain, 'plain cargo builds');
  const plainAgain = await run('cargo', [...NIGHTLY, 'build', '-v'], { cwd: b, env: { ...process.env, CARGO_TARGET_DIR: join(b, 'plain') } });
  t.match(plainAgain.stderr, /Fresh sums/, "plain cargo's second build is fresh");
  assertOk(t, await store.cargo(a, [...NIGHTLY, 'build'], { SPLITCACHE_SESSION: 'a' }), 'checkout A builds');
  assertOk(t, await store.cargo(b, [...NIGHTLY, 'build'], { SPLITCACHE_SESSION: 'b' }), 'checkout B builds');
  t.same((await store.calls('b')).map((e) => `${e.crateType} ${e.outcome}`).sort(), ['bin hit', 'build-script hit'], 'from hits');
  const deps = join(b, 'target', 'debug', 'deps');
  const depInfo = readFileSync(join(deps, readdirSync(deps).find((f) => f.endsWith('.d'))!), 'utf8');
  const named = depInfo.split('\n').filter((l) => l.startsWith(`${a}/`) && l.endsWith(':'));
  t.equal(named.length, 1, "B's dep-info names A's generated file, as the entry records it twice");
  t.ok(depInfo.split('\n').some((l) => /^# checksum:\S+ file_len:\d+ /.test(l) && l.endsWith(` ${named[0]?.slice(0, -1)}`)), 'with a checksum line for it');
  const again = await store.cargo(b, [...NIGHTLY, 'build', '-v'], { SPLITCACHE_SESSION: 'b2' });
  assertOk(t, again, 'B builds again');
  t.match(again.stderr, /Fresh sums/, 'and cargo finds it fresh');
  t.notMatch(again.stderr, /checksum for file .* is missing/, 'no checksum missing');
  t.same(await store.calls('b2'), [], 'no call of it at all');
});

// A file named by a fixed absolute path (checkoutInSource.ts records it both ways): a hit in
// another checkout names that file and its own copy, and rustc wrote a checksum line for one.
t.test('a hit of a crate that includes a file by absolute path is fresh on the next build', { skip: noNightly }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const a = fileTree({ 'Cargo.toml': FILES['Cargo.toml'], 'data.txt': 'data\n' }, 'fixed-a');
  const main = `fn main() { print!("{}", include_str!("${a}/data.txt")); }\n`;
  mkdirSync(join(a, 'src'));
  writeFileSync(join(a, 'src', 'main.rs'), main);
  const b = fileTree({ 'Cargo.toml': FILES['Cargo.toml'], 'data.txt': 'data\n', 'src/main.rs': main }, 'fixed-b');
  assertOk(t, await store.cargo(a, [...NIGHTLY, 'build'], { SPLITCACHE_SESSION: 'a' }), 'checkout A builds');
  assertOk(t, await store.cargo(b, [...NIGHTLY, 'build'], { SPLITCACHE_SESSION: 'b' }), 'checkout B builds');
  t.same((await store.calls('b')).map((e) => `${e.crateType} ${e.outcome}`), ['bin hit'], 'from a hit');
  const again = await store.cargo(b, [...NIGHTLY, 'build', '-v'], { SPLITCACHE_SESSION: 'b2' });
  assertOk(t, again, 'B builds again');
  t.match(again.stderr, /Fresh sums/, 'and cargo finds it fresh');
  t.same(await store.calls('b2'), [], 'no call of it at all');
});
