import t, { type Test } from 'tap';
import { cpSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, run, Store, tempDir } from './helpers.js';
import { producerAndReader } from './remoteHelpers.js';

// A lib between a -sys crate and the bin. cargo hands it the -sys crate's -L native dir, which holds
// the archive the build script compiled. The lib's rlib holds that archive's members only where the
// lib bundles it (a `#[link(kind = "static")]` of its own): the archives an rlib bundled are inputs of
// its result, not of its key (item 8, bundledArchives.ts). So after a change of the C, a lib over a
// -sys crate that links it unbundled (`static:-bundle`) or as a dylib hits, and the bin's link takes
// the new C; one that bundles the archive misses, as does a -sys crate that bundles its own (`static=`),
// while a lib over that one hits too: cargo gives it the -sys crate's .rmeta, which holds none of the C.

/** A build script that compiles c/<lib>.c into lib<lib>.a in OUT_DIR (and lib<lib>.so with `so`), names the dir, and prints `link` if given. */
const buildRs = (lib: string, link: string | undefined, so = false) =>
  'use std::process::Command;\nfn main() {\n    let out = std::env::var("OUT_DIR").unwrap();\n' +
  `    println!("cargo:rerun-if-changed=c/${lib}.c");\n` +
  `    assert!(Command::new("cc").args(["-c", "-fPIC", "c/${lib}.c", "-o"]).arg(format!("{out}/${lib}.o")).status().unwrap().success());\n` +
  `    let _ = std::fs::remove_file(format!("{out}/lib${lib}.a"));\n` +
  `    assert!(Command::new("ar").arg("crs").arg(format!("{out}/lib${lib}.a")).arg(format!("{out}/${lib}.o")).status().unwrap().success());\n` +
  (so ? `    assert!(Command::new("cc").args(["-shared", "-o"]).arg(format!("{out}/lib${lib}.so")).arg(format!("{out}/${lib}.o")).status().unwrap().success());\n` : '') +
  `    println!("cargo:rustc-link-search=native={out}");\n` +
  (link === undefined ? '' : `    println!("cargo:rustc-link-lib=${link}=${lib}");\n`) +
  '}\n';

const PKG = (name: string, deps: string[] = []) =>
  `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n${deps.map((d) => `${d} = { path = "../${d}" }\n`).join('')}`;

/** A -sys crate `<lib>-sys` whose get() calls the C function `<lib>()` (`attr` above the extern block), and a lib `mid-<lib>` over it. */
const sysAndMid = (lib: string, link: string | undefined, opts: { so?: boolean; attr?: string; midAttr?: string } = {}) => {
  const ext = (attr = '') => `${attr}extern "C" { fn ${lib}() -> i32; }\n`;
  return {
    [`${lib}-sys/Cargo.toml`]: PKG(`${lib}-sys`),
    [`${lib}-sys/build.rs`]: buildRs(lib, link, opts.so),
    [`${lib}-sys/src/lib.rs`]: opts.midAttr === undefined ? `${ext(opts.attr)}pub fn get() -> i32 { unsafe { ${lib}() } }\n` : 'pub fn get() -> i32 { 0 }\n',
    [`${lib}-sys/c/${lib}.c`]: '',
    [`mid-${lib}/Cargo.toml`]: PKG(`mid-${lib}`, [`${lib}-sys`]),
    [`mid-${lib}/src/lib.rs`]: opts.midAttr === undefined ? `pub fn get() -> i32 { ${lib}_sys::get() + 100 }\n` : `${ext(opts.midAttr)}pub fn get() -> i32 { ${lib}_sys::get() + unsafe { ${lib}() } + 100 }\n`,
  };
};

/** A workspace of those pairs and `app`, a bin printing each mid's get(). */
const workspace = (libs: string[], pairs: Record<string, string>[]) => ({
  'Cargo.toml': `[workspace]\nmembers = [${[...libs.flatMap((l) => [`"${l}-sys"`, `"mid-${l}"`]), '"app"'].join(', ')}]\nresolver = "2"\n`,
  ...Object.assign({}, ...pairs),
  'app/Cargo.toml': PKG('app', libs.map((l) => `mid-${l}`)),
  'app/src/main.rs': `fn main() {\n${libs.map((l) => `    println!("${l} {}", mid_${l}::get());\n`).join('')}}\n`,
});

/** The workspace's C functions return `n`. */
const setC = (ws: string, libs: string[], n: number) => libs.forEach((l) => writeFileSync(join(ws, `${l}-sys`, 'c', `${l}.c`), `int ${l}(void) { return ${n}; }\n`));

/** The workspace's C functions return `n`; a build; what `cargo run -p app` prints. */
async function buildWith(t: Test, store: Store, ws: string, libs: string[], n: number, session: string): Promise<string> {
  setC(ws, libs, n);
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: session }), `a build with each C function returning ${n}`);
  const r = await store.cargo(ws, ['run', '-q', '-p', 'app'], { SPLITCACHE_SESSION: `${session}-run` });
  assertOk(t, r, 'the bin runs');
  return r.stdout;
}

/** Each crate's outcome in a session, by crate (build scripts left out). */
const outcomes = async (store: Store, session: string) =>
  Object.fromEntries((await store.audit(session)).filter((e) => e.crateType !== 'build-script').map((e) => [`${e.crate} ${e.crateType}`, e.outcome]));

/** The bin and every rlib of the build, byte-compared with a plain cargo build's of the same sources in the same dir. */
async function sameAsPlain(t: Test, store: Store, ws: string, crates: string[]): Promise<void> {
  const debug = join(ws, 'target', 'debug');
  const files = ['app', ...crates.map((c) => `deps/lib${c.replace(/-/g, '_')}-*.rlib`)];
  const read = () => new Map(files.flatMap((f) => globOne(debug, f)).map((f) => [f, readFileSync(join(debug, f))]));
  const cached = read();
  renameSync(join(ws, 'target'), join(ws, 'target-cached'));
  const plainEnv = store.env();
  delete plainEnv.RUSTC_WRAPPER;
  assertOk(t, await run('cargo', ['build'], { cwd: ws, env: plainEnv }), 'a plain build of the same sources');
  const plain = read();
  t.same([...cached.keys()].sort(), [...plain.keys()].sort(), 'the same files');
  for (const [f, bytes] of plain) t.ok(cached.get(f)?.equals(bytes), `${f}: byte-identical to plain cargo's`);
}

/** The files of `dir` matching `pattern` (one `*` at most, in the file name). */
function globOne(dir: string, pattern: string): string[] {
  const slash = pattern.lastIndexOf('/');
  const sub = slash < 0 ? '' : pattern.slice(0, slash + 1);
  const [head, tail] = pattern.slice(slash + 1).split('*');
  if (tail === undefined) return [pattern];
  return readdirSync(join(dir, sub)).filter((f) => f.startsWith(head!) && f.endsWith(tail)).map((f) => sub + f);
}

t.test('libs over a -sys crate linking its C unbundled (static:-bundle) or as a dylib: after the C changed they hit, and the bin runs the new C', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const libs = ['ub', 'dy'];
  const ws = fileTree(workspace(libs, [sysAndMid('ub', 'static:-bundle'), sysAndMid('dy', 'dylib', { so: true })]), 'native-between');
  t.equal(await buildWith(t, store, ws, libs, 1, 'one'), 'ub 101\ndy 101\n', 'the first build');
  t.equal(await buildWith(t, store, ws, libs, 2, 'two'), 'ub 102\ndy 102\n', 'after the C changed, the bin runs the new C');
  const two = await outcomes(store, 'two');
  for (const crate of ['ub_sys lib', 'mid_ub lib', 'dy_sys lib', 'mid_dy lib', 'app bin']) t.equal(two[crate], 'hit', `${crate}: a hit`);
  await sameAsPlain(t, store, ws, ['ub-sys', 'mid-ub', 'dy-sys', 'mid-dy']);
});

t.test('a lib bundling the archive of the -sys crate below (#[link(kind = "static")]), and a -sys crate bundling its own (static=): after the C changed they miss, and the bin is plain cargo\'s', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const libs = ['bd', 'wa', 'st'];
  const pairs = [
    sysAndMid('bd', undefined, { midAttr: '#[link(name = "bd", kind = "static")]\n' }),
    // Packed into the rlib as one member of the archive's file name.
    sysAndMid('wa', undefined, { midAttr: '#[link(name = "wa", kind = "static", modifiers = "+whole-archive")]\n' }),
    sysAndMid('st', 'static'),
  ];
  const ws = fileTree(workspace(libs, pairs), 'native-bundled');
  t.equal(await buildWith(t, store, ws, libs, 1, 'one'), 'bd 101\nwa 101\nst 101\n', 'the first build');
  t.equal(await buildWith(t, store, ws, libs, 2, 'two'), 'bd 102\nwa 102\nst 102\n', 'after the C changed, the bin runs the new C');
  const two = await outcomes(store, 'two');
  t.equal(two['mid_bd lib'], 'miss', 'the lib bundling the archive missed');
  t.equal(two['mid_wa lib'], 'miss', 'the lib bundling it +whole-archive (packed) missed');
  t.equal(two['st_sys lib'], 'miss', 'the -sys crate bundling its own missed');
  t.equal(two['bd_sys lib'], 'hit', 'the -sys crate that only names the dir hit');
  t.equal(two['mid_st lib'], 'hit', "the lib over the one bundling its own hit: cargo gives it that crate's .rmeta, which the C leaves as it is");
  const why = JSON.parse((await store.splitcache(['explain', 'mid_bd', '--json'])).stdout) as { verdict: string; differences: { name: string }[] };
  t.equal(why.verdict, 'inputs', 'explain: the same key, an input differs');
  t.match(why.differences.map((d) => d.name).join(' '), /\/out\/libbd\.a\b/, 'the archive it bundled');
  t.equal(await buildWith(t, store, ws, libs, 1, 'back'), 'bd 101\nwa 101\nst 101\n', 'back to the first C: the first C runs');
  const back = await outcomes(store, 'back');
  t.equal(back['mid_bd lib'], 'hit', 'the bundling lib is served by the first entry');
  await sameAsPlain(t, store, ws, ['bd-sys', 'mid-bd', 'wa-sys', 'mid-wa', 'st-sys', 'mid-st']);
});

// Through a remote: the input set a reader digests names the archive the lib bundled, in the reader's
// own target dir. A reader whose C differs misses it, one whose C is the producer's hits it.
t.test("a lib bundling a -sys crate's archive, through a remote: a reader with other C misses it, one with the producer's C hits", async (t) => {
  const libs = ['bd'];
  const ws = fileTree(workspace(libs, [sysAndMid('bd', undefined, { midAttr: '#[link(name = "bd", kind = "static")]\n' })]), 'native-remote');
  setC(ws, libs, 1);
  const { b, wsB } = await producerAndReader(t, ws);
  t.equal(await buildWith(t, b, wsB, libs, 2, 'other'), 'bd 102\n', 'the reader with other C runs its own C');
  const other = (await b.audit('other')).find((e) => e.crate === 'mid_bd');
  t.equal(other?.outcome, 'miss', 'it missed the lib');
  const wsC = join(tempDir('native-remote-c'), 'checkout');
  cpSync(ws, wsC, { recursive: true });
  rmSync(join(wsC, 'target'), { recursive: true });
  t.equal(await buildWith(t, b, wsC, libs, 1, 'same'), 'bd 101\n', "a checkout with the producer's C runs it");
  const same = (await b.audit('same')).find((e) => e.crate === 'mid_bd');
  t.same([same?.outcome, same?.origin], ['hit', 'remote'], 'and hits the lib from the remote');
});
