import t, { type Test } from 'tap';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileTree, run, Store, tempDir, type AuditLine } from './helpers.js';

// A custom profile that inherits another unchanged (`[profile.ci] inherits = "release"`) gets from
// cargo the same arguments and `-C metadata`, but for its dir's name (target/ci beside
// target/release) in every path: it shares the other's entries (daemon/src/profileDirs.ts).
// Before, `--profile ci` after `--release` in one checkout hit none. A profile with any setting
// changed (ci2: debug = 1) still misses; a crate that includes code from its OUT_DIR, whose spans
// name the profile dir, misses too, and prints its own dir; a build script's PROFILE (`release`
// for any profile that inherits release) keeps its effect.
const REGISTRY = '/usr/share/cargo/registry';
const have = (name: string) => existsSync(REGISTRY) && readdirSync(REGISTRY).some((e) => e.startsWith(`${name}-1.`));
const skip = !['itoa', 'proc-macro2', 'quote'].every(have) && 'Debian librust-{itoa,proc-macro2,quote}-dev are not installed (see .ci/debian-packages.txt)';

const PKG = (name: string, extra = '') => `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\n${extra}`;
const WORKSPACE = {
  'Cargo.toml':
    '[workspace]\nmembers = ["calc", "mac", "gen", "app"]\nresolver = "2"\n\n' +
    '[profile.ci]\ninherits = "release"\n\n[profile.ci2]\ninherits = "release"\ndebug = 1\n\n[profile.fast]\ninherits = "dev"\n',
  '.cargo/config.toml': `[source.crates-io]\nreplace-with = "debian"\n\n[source.debian]\ndirectory = ${JSON.stringify(REGISTRY)}\n`,
  'calc/Cargo.toml': PKG('calc', '\n[dependencies]\nitoa = "1"\n'),
  'calc/build.rs':
    'fn main() {\n    println!("cargo:rustc-check-cfg=cfg(calc_tuned)");\n    println!("cargo:rustc-cfg=calc_tuned");\n' +
    '    println!("cargo:rustc-env=CALC_PROFILE={}", std::env::var("PROFILE").unwrap());\n    println!("cargo:rerun-if-changed=build.rs");\n}\n',
  'calc/src/lib.rs':
    'pub const PROFILE: &str = env!("CALC_PROFILE");\n#[cfg(calc_tuned)]\npub fn render(n: u64) -> String { itoa::Buffer::new().format(n).to_string() }\n' +
    '#[test]\nfn renders() { assert_eq!(render(12), "12"); }\n',
  'mac/Cargo.toml': PKG('mac', '\n[lib]\nproc-macro = true\n\n[dependencies]\nproc-macro2 = "1"\nquote = "1"\n'),
  'mac/src/lib.rs':
    'use proc_macro::TokenStream;\n#[proc_macro]\npub fn answer(_: TokenStream) -> TokenStream {\n' +
    '    let n = proc_macro2::Literal::u64_unsuffixed(42);\n    quote::quote!(#n).into()\n}\n',
  'gen/Cargo.toml': PKG('gen'),
  'gen/build.rs':
    'fn main() {\n    let out = std::env::var("OUT_DIR").unwrap();\n' +
    '    std::fs::write(format!("{out}/origin.rs"), "pub fn origin() -> &\'static str { file!() }\\n").unwrap();\n' +
    '    println!("cargo:rerun-if-changed=build.rs");\n}\n',
  'gen/src/lib.rs': 'include!(concat!(env!("OUT_DIR"), "/origin.rs"));\n',
  'gen/src/main.rs': 'fn main() { println!("{}", gen::origin()); }\n',
  'app/Cargo.toml': PKG('app', '\n[dependencies]\ncalc = { path = "../calc" }\nmac = { path = "../mac" }\n'),
  'app/src/main.rs': 'fn main() { println!("{} {}", calc::render(mac::answer!()), calc::PROFILE); }\n',
  'app/tests/it.rs': '#[test]\nfn answers() { assert_eq!(calc::render(mac::answer!()), "42"); }\n',
};

/** The executables cargo left in `<target>/<profile>` and its deps/ (bins and test harnesses), by name, with their bytes. */
function executables(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const sub of ['', 'deps']) {
    for (const name of readdirSync(join(dir, sub))) {
      const file = join(dir, sub, name);
      const st = statSync(file);
      if (st.isFile() && (st.mode & 0o100) !== 0 && !name.includes('.')) out.set(join(sub, name), readFileSync(file));
    }
  }
  return out;
}

const named = (calls: AuditLine[], outcome: string) => calls.filter((c) => c.outcome === outcome).map((c) => `${c.crate}:${c.crateType}`).sort();
const GEN = /^gen:/;

async function cargo(t: Test, store: Store | undefined, ws: string, args: string[], session?: string) {
  const r = store ? await store.cargo(ws, args, { SPLITCACHE_SESSION: session }) : await run('cargo', args, { cwd: ws, env: { ...process.env, CARGO_INCREMENTAL: '0', CARGO_TERM_COLOR: 'never' } });
  if (!t.equal(r.code, 0, `${store ? '' : 'plain '}cargo ${args.join(' ')}`)) t.comment(r.stderr.slice(-4000));
  return r;
}

t.test('--profile ci hits the entries of --release, which it inherits unchanged; its binaries are plain cargo\'s', { skip }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree(WORKSPACE, 'profile-ws');
  const ci = join(ws, 'target', 'ci');
  // Plain cargo first, in the same dir (file!() of OUT_DIR code names it): its binaries kept aside.
  await cargo(t, undefined, ws, ['build', '--all-targets', '--profile', 'ci']);
  const plain = executables(ci);
  rmSync(ci, { recursive: true });

  await cargo(t, store, ws, ['build', '--all-targets', '--release'], 'release');
  await cargo(t, store, ws, ['build', '--all-targets', '--profile', 'ci'], 'ci');
  const calls = await store.calls('ci');
  const hits = named(calls, 'hit');
  t.ok(hits.length >= 12, `most calls hit (${hits.length} of ${calls.length})`);
  t.ok(['app:bin', 'app:test', 'it:test', 'calc:lib', 'mac:proc-macro', 'proc_macro2:lib', 'build_script_build:build-script'].every((c) => hits.includes(c)), 'the bin, its tests, the lib, the proc-macro, a registry crate and build scripts hit');
  t.same(named(calls, 'miss').filter((c) => !GEN.test(c)), [], 'every miss is gen\'s, whose code comes from its OUT_DIR');
  t.ok(calls.some((c) => GEN.test(`${c.crate}:`) && c.outcome === 'miss'), 'gen misses: its included code names target/ci');

  const again = await cargo(t, store, ws, ['build', '--all-targets', '--profile', 'ci', '-v'], 'ci-again');
  t.notMatch(again.stderr, /Compiling|Running/, 'a second build finds every crate fresh');
  t.match(again.stderr, /Fresh app/, '(cargo says so)');

  const cached = executables(ci);
  t.same([...cached.keys()].sort(), [...plain.keys()].sort(), 'the same executables as plain cargo');
  for (const [name, bytes] of plain) t.ok(cached.get(name)?.equals(bytes), `${name}: byte-identical to plain cargo's`);
  t.equal((await run(join(ci, 'app'), [])).stdout, '42 release\n', "the build script's PROFILE is release's, as cargo sets it");
  t.equal((await run(join(ci, 'gen'), [])).stdout.trim().split('/target/')[1]?.split('/')[0], 'ci', 'code from OUT_DIR names target/ci');

  // A profile with one setting changed: its crates miss (build scripts and proc-macros keep cargo's build-override settings).
  await cargo(t, store, ws, ['build', '--all-targets', '--profile', 'ci2'], 'ci2');
  const ci2 = named(await store.calls('ci2'), 'miss');
  t.ok(['app:bin', 'app:test', 'it:test', 'calc:lib', 'itoa:lib'].every((c) => ci2.includes(c)), `debug = 1 misses (${ci2.join(', ')})`);
  t.equal((await run(join(ws, 'target', 'ci2', 'app'), [])).stdout, '42 release\n', 'and its bin runs');

  // The other way, in a copy of the checkout: --release after --profile ci elsewhere.
  const copy = join(tempDir('profile-copy'), 'ws');
  cpSync(ws, copy, { recursive: true, filter: (src) => !src.endsWith('/target') });
  await cargo(t, store, copy, ['build', '--all-targets', '--release'], 'copy-release');
  const back = await store.calls('copy-release');
  t.same(named(back, 'miss'), [], `--release in a copy of the checkout hits every crate (${back.length})`);
  t.equal((await run(join(copy, 'target', 'release', 'gen'), [])).stdout.split('/target/')[1]?.split('/')[0], 'release', 'gen names a target/release');
  await cargo(t, store, copy, ['build', '--all-targets', '--profile', 'ci'], 'copy-ci');
  const copyCi = await store.calls('copy-ci');
  t.same(named(copyCi, 'miss'), [], `--profile ci in the copy hits every crate, gen's too (${copyCi.length})`);
  // Its checkout is the producer's, as for any code included from OUT_DIR in another checkout (docs/ARCHITECTURE.md); its profile dir is ci.
  t.equal((await run(join(copy, 'target', 'ci', 'gen'), [])).stdout.split('/target/')[1]?.split('/')[0], 'ci', 'gen names a target/ci');
});

t.test('--profile fast (inherits dev) with --target hits the dev build of that target, and names its own dir', { skip }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const host = /^host: (\S+)$/m.exec((await run('rustc', ['-vV'])).stdout)?.[1];
  const ws = fileTree(WORKSPACE, 'profile-fast');
  await cargo(t, store, ws, ['build', '--all-targets', '--target', host!], 'dev');
  await cargo(t, store, ws, ['build', '--all-targets', '--target', host!, '--profile', 'fast'], 'fast');
  const calls = await store.calls('fast');
  t.same(named(calls, 'miss').filter((c) => !GEN.test(c)), [], `every call but gen's hits (${calls.length})`);
  const fast = join(ws, 'target', host!, 'fast');
  t.equal((await run(join(fast, 'app'), [])).stdout, '42 debug\n', "the build script's PROFILE is dev's, debug");
  const depInfo = readFileSync(join(fast, 'deps', readdirSync(join(fast, 'deps')).find((f) => /^app-.*\.d$/.test(f))!), 'utf8');
  t.match(depInfo, `${fast}/deps/`, "the bin's dep-info names target/<host>/fast");
  t.notMatch(depInfo, '/debug/', 'and no dev dir');
  const again = await cargo(t, store, ws, ['build', '--all-targets', '--target', host!, '--profile', 'fast'], 'fast-again');
  t.notMatch(again.stderr, /Compiling/, 'a second build finds every crate fresh');
});
