import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrefixTable } from '@splitcache/paths';
import { envDepHolds, envDepValue, envOfCall } from '../src/envDepValue.js';
import { readAsValues } from '../src/includeDirUse.js';

const readsOutDirAsValue = async (envDeps: string[], files: string[]) => (await readAsValues(envDeps, files)).has('OUT_DIR');

const tableFor = (ws: string) => new PrefixTable([{ name: 'cwd', path: ws }, { name: 'target', path: `${ws}/target` }]);
const OUT = '/build/target/debug/build/gen-1/out';

t.test('a path read through env!() is recorded exactly, so another checkout does not match', async (t) => {
  const here = tableFor('/build');
  const there = tableFor('/elsewhere/ws');
  for (const name of ['CARGO_MANIFEST_DIR', 'CARGO_BIN_EXE_app', 'CARGO_TARGET_TMPDIR', 'MY_BUILD_RS_PATH']) {
    const recorded = envDepValue(name, '/build/app', [], here);
    t.equal(recorded, '/build/app', `${name}: as it was`);
    t.not(envDepValue(name, '/elsewhere/ws/app', [], there), recorded, `${name}: the same place in another checkout differs`);
  }
  t.equal(envDepValue('CARGO_PKG_VERSION', '1.2.3', [], here), '1.2.3', 'a value that is no path is itself');
  // Another variable naming a dir the crate includes a file from ([env] DATA_DIR = { value = "data",
  // relative = true }, include_str!(concat!(env!("DATA_DIR"), "/x"))) is kept exactly all the same:
  // only OUT_DIR and CARGO_MANIFEST_DIR are normalised so. Normalised, a crate that also printed it
  // hit in another checkout and printed the first's path (a mutation audit's repro).
  t.equal(envDepValue('DATA_DIR', '/build/data', ['@@sc:cwd@@/data/x'], here), '/build/data', 'DATA_DIR with an input under it: as it was');
  t.equal(envDepValue('OPTIONAL', undefined, [], here), null, 'an unset variable is null');
});

t.test('OUT_DIR is normalised only when the crate includes a file from it', async (t) => {
  const here = tableFor('/build');
  const there = tableFor('/elsewhere/ws');
  const included = ['@@sc:cwd@@/src/lib.rs', `${here.normalise(OUT)}/gen.rs`];
  const recorded = envDepValue('OUT_DIR', OUT, included, here);
  t.equal(recorded, here.normaliseText(OUT), 'include!() from OUT_DIR: normalised');
  t.equal(envDepValue('OUT_DIR', '/elsewhere/ws/target/debug/build/gen-1/out', included, there), recorded, 'and the same in another checkout');
  t.equal(envDepValue('OUT_DIR', OUT, ['@@sc:cwd@@/src/lib.rs'], here), OUT, 'read for anything else: exactly');
  t.equal(envDepValue('OUT_DIR', OUT, [`${here.normalise(OUT)}-other/gen.rs`], here), OUT, 'a sibling dir that shares its prefix is not under it');
});

t.test('CLIPPY_CONF_DIR is normalised: it steers lints, and its clippy.toml is keyed by digest', async (t) => {
  const here = tableFor('/build');
  t.equal(envDepValue('CLIPPY_CONF_DIR', '/build/conf', [], here), envDepValue('CLIPPY_CONF_DIR', '/elsewhere/ws/conf', [], tableFor('/elsewhere/ws')));
});

t.test("OUT_DIR pasted into the code as well as included from: kept exactly, and matched only exactly", async (t) => {
  const here = tableFor('/build');
  const there = tableFor('/elsewhere/ws');
  const included = ['@@sc:cwd@@/src/lib.rs', `${here.normalise(OUT)}/gen.rs`];
  const exact = envDepValue('OUT_DIR', OUT, included, here, true);
  t.equal(exact, OUT, 'read as a value: exactly');
  t.ok(envDepHolds('OUT_DIR', OUT, exact, included, here), 'which holds in its own checkout');
  t.notOk(envDepHolds('OUT_DIR', '/elsewhere/ws/target/debug/build/gen-1/out', exact, included, there), 'and not in another');
  const normalised = envDepValue('OUT_DIR', OUT, included, here);
  t.ok(envDepHolds('OUT_DIR', '/elsewhere/ws/target/debug/build/gen-1/out', normalised, included, there), 'one recorded normalised holds in another checkout');
  t.notOk(envDepHolds('CARGO_MANIFEST_DIR', '/elsewhere/ws/app', '/build/app', [], there), 'another variable holds only exactly');
});

const OUT_DIR_READ = ['OUT_DIR'];

t.test('which inputs read OUT_DIR as a value', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-outdir-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
  const includes = file('inc.rs', 'include!(concat!(env!("OUT_DIR"), "/gen.rs"));\nconst B: &[u8] = include_bytes! ( concat! ( env! ( "OUT_DIR" ) , "/b.bin" ) );\n');
  const strs = file('str.rs', 'static S: &str = include_str!{concat!{env!{"OUT_DIR"}, "/s.txt"}};\n');
  const none = file('none.rs', 'fn main() {}\n');
  t.equal(await readsOutDirAsValue(OUT_DIR_READ, [includes, strs, none]), false, 'include!, include_str! and include_bytes! of a file under it: no');
  t.equal(await readsOutDirAsValue(OUT_DIR_READ, [includes, file('value.rs', 'const D: &str = env!("OUT_DIR");\n')]), true, 'env!("OUT_DIR") as a string: yes');
  t.equal(await readsOutDirAsValue(OUT_DIR_READ, [file('runtime.rs', 'fn f() { let _ = std::fs::read(concat!(env!("OUT_DIR"), "/d")); }\n')]), true, 'concat! to a file read at run time: yes');
  t.equal(await readsOutDirAsValue(OUT_DIR_READ, [file('note.rs', '// generated into OUT_DIR\n' + 'include!(concat!(env!("OUT_DIR"), "/gen.rs"));\n')]), true, 'any other mention, a comment too: yes (a miss elsewhere, never a wrong path)');
  t.equal(await readsOutDirAsValue(OUT_DIR_READ, [includes, file('gen.inc', 'pub fn dir() -> &\'static str { env!("OUT_DIR") }\n')]), true, 'a file include!()d under any name (gen.inc) that pastes it: yes');
  t.equal(await readsOutDirAsValue(OUT_DIR_READ, [file('data.txt', 'OUT_DIR')]), true, 'a data file that names it: yes (a miss elsewhere)');
  t.equal(await readsOutDirAsValue(OUT_DIR_READ, [includes, file('data.bin', 'no such name')]), false, 'one that does not: no');
  // Larger than what is read whole: searched as it streams, the name across the 1 MiB chunk boundary.
  const big = Buffer.alloc(17 << 20, 0x20);
  writeFileSync(join(dir, 'big.bin'), big);
  t.equal(await readsOutDirAsValue(OUT_DIR_READ, [join(dir, 'big.bin')]), false, 'a large file without it: no');
  big.write('OUT_DIR', (3 << 20) - 3, 'latin1');
  writeFileSync(join(dir, 'big.bin'), big);
  t.equal(await readsOutDirAsValue(OUT_DIR_READ, [join(dir, 'big.bin')]), true, 'a large file with it across a chunk boundary: yes');
  t.equal(await readsOutDirAsValue(OUT_DIR_READ, [join(dir, 'gone.rs')]), false, 'a file gone meanwhile says nothing');
  t.equal(await readsOutDirAsValue(['CARGO_PKG_NAME'], [file('unread.rs', 'const D: &str = env!("OUT_DIR");\n')]), false, 'a crate whose env-deps lack OUT_DIR: nothing is read');
});

t.test('CARGO_MANIFEST_DIR read only to include a file from the package (its README) is normalised; read as a value, exact', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-manifestdir-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
  const readme = file('README.md', '# answer\n');
  const lib = file('lib.rs', '#![doc = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))]\n');
  const both = ['CARGO_MANIFEST_DIR', 'OUT_DIR'];
  t.same([...(await readAsValues(both, [lib, readme]))], [], 'the include form only: read as no value');
  const fixture = file('fixture.rs', 'fn fixtures() -> &\'static str { env!("CARGO_MANIFEST_DIR") }\n');
  t.same([...(await readAsValues(both, [lib, fixture, readme]))], ['CARGO_MANIFEST_DIR'], 'a test finding its fixtures through it: a value');
  const outValue = file('out.rs', 'const O: &str = env!("OUT_DIR");\n');
  t.same([...(await readAsValues(both, [lib, outValue, fixture]))].sort(), ['CARGO_MANIFEST_DIR', 'OUT_DIR'], 'each name on its own');
  t.same([...(await readAsValues(['OUT_DIR'], [fixture]))], [], 'a name the crate did not read is not looked for');
  // Code taken in by include! from there carries its absolute path in its spans (file!(), panics): a value.
  const code = file('code.rs', 'include!(concat!(env!("CARGO_MANIFEST_DIR"), "/gen.rs"));\n');
  t.same([...(await readAsValues(both, [code]))], ['CARGO_MANIFEST_DIR'], 'code included from the package dir: a value, its path reaches panics');
  // Spelled with escapes, it is the same variable: a copy in another checkout hit, and printed the first's path.
  for (const [spelling, how] of [['CARGO_MANIFEST\\x5fDIR', '\\x5f'], ['CARGO_MANIFEST\\u{5f}DIR', '\\u{5f}'], ['CARGO_MANIFEST_\\\n    DIR', 'a line continuation']]) {
    const escaped = file('escaped.rs', `fn dir() -> &'static str { env!("${spelling}") }\n`);
    t.same([...(await readAsValues(both, [lib, escaped, readme]))], ['CARGO_MANIFEST_DIR'], `the name spelled with ${how}: a value`);
  }
  // An include macro shadowed (in one file, used in another): its forms may paste the path.
  const shadow = file('shadow.rs', 'macro_rules! include_str { ($e:expr) => { $e } }\n');
  t.same([...(await readAsValues(both, [shadow, lib, readme]))], ['CARGO_MANIFEST_DIR'], 'include_str! shadowed by a macro_rules: a value');
  const imported = file('imported.rs', 'use paste::id as include_bytes;\n');
  t.same([...(await readAsValues(both, [lib, imported, readme]))], ['CARGO_MANIFEST_DIR'], 'or by an import of that name');
  // A dependency's include macro imported as it is named: a copy of the checkout hit, and printed the first one's OUT_DIR.
  for (const [text, how] of <[string, string][]>[['use dep::include_str;\n', 'use dep::include_str'], ['use dep::{self, include_str};\n', 'an import list'], ['#[macro_use]\n#[cfg(all())]\nextern crate dep;\n', '#[macro_use] extern crate']]) {
    t.same([...(await readAsValues(both, [lib, file('imported.rs', text), readme]))], ['CARGO_MANIFEST_DIR'], `or by ${how}`);
  }
  t.same([...(await readAsValues(both, [lib, file('ansi.rs', 'const RED: &str = "\\x1b[31m";\n'), readme]))], [], 'escapes that spell nothing of it change nothing');
  // A name the input can read without spelling it (includedPathEnv's NAME_MADE): built by concat!,
  // a macro's `env!($n)`, or a macro named by a metavariable handed `env`. Each pastes the value.
  for (const [text, how] of <[string, string][]>[
    ['const D: &str = env!(concat!("CARGO_", "MANIFEST_DIR"));\n', 'env!(concat!(…))'],
    ['macro_rules! var { ($n:literal) => { option_env!($n) } }\n', 'option_env!($n)'],
    ['macro_rules! call { ($e:ident, $n:literal) => { $e!($n) } }\n', 'a macro named $e!'],
  ]) {
    t.same([...(await readAsValues(both, [lib, file('made.rs', text), readme]))].sort(), ['CARGO_MANIFEST_DIR', 'OUT_DIR'], `${how}: both read as values`);
  }
  // `!=` after a metavariable is a comparison, one token to rustc, and no macro named by it.
  const compared = file('compared.rs', 'macro_rules! differ { ($a:expr, $b:expr) => { $a != $b || $a!=$b }; }\n');
  t.same([...(await readAsValues(both, [lib, compared, readme]))], [], '$a != $b: no name made, the include still normalised');

  const here = tableFor('/build');
  const there = tableFor('/elsewhere/ws');
  const inputs = ['@@sc:cwd@@/app/src/lib.rs', '@@sc:cwd@@/app/README.md'];
  const recorded = envDepValue('CARGO_MANIFEST_DIR', '/build/app', inputs, here);
  t.equal(recorded, '@@sc:cwd@@/app', 'normalised');
  t.equal(envDepValue('CARGO_MANIFEST_DIR', '/elsewhere/ws/app', inputs, there), recorded, 'the same in another checkout');
  t.ok(envDepHolds('CARGO_MANIFEST_DIR', '/elsewhere/ws/app', recorded, inputs, there), 'so a lookup there matches');
  t.equal(envDepValue('CARGO_MANIFEST_DIR', '/build/app', inputs, here, true), '/build/app', 'read as a value: exactly');
  t.notOk(envDepHolds('CARGO_MANIFEST_DIR', '/elsewhere/ws/app', '/build/app', inputs, there), 'and matched only exactly');
});

t.test("a nightly --env-set value is what env! reads, over the process's", async (t) => {
  const env = { A: 'process', B: 'kept' };
  t.same(envOfCall(env, { envSet: [['A', 'flag']] }), { A: 'flag', B: 'kept' }, 'rustc records the flag\'s value as the env-dep\'s: compared with the process\'s, the crate missed on every lookup');
  t.equal(envOfCall(env, { envSet: [] }), env, 'no --env-set: the environment as it is');
});

t.test("OUT_DIR and an OUT_DIR file's variable, normalised, keep the place of their profile dir: a crate including code from there is the profile's own", async (t) => {
  // As prefixes.ts lays a call out: the target dir, its profile dir (profileDirs.ts) and the build script's OUT_DIR.
  const tableOf = (ws: string, profile: string) =>
    new PrefixTable([
      { name: 'cwd', path: ws },
      { name: 'target', path: `${ws}/target` },
      { name: 'profile', path: `${ws}/target/${profile}` },
      { name: 'out_dir', path: `${ws}/target/${profile}/build/gen-1/out` },
    ]);
  const out = (ws: string, profile: string) => `${ws}/target/${profile}/build/gen-1/out`;
  const release = tableOf('/build', 'release');
  const included = ['@@sc:cwd@@/src/lib.rs', '@@sc:out_dir@@/gen.rs'];
  const recorded = envDepValue('OUT_DIR', out('/build', 'release'), included, release);
  t.equal(recorded, '@@sc:out_dir@@ (in the profile dir release)', 'OUT_DIR: normalised, with its profile dir');
  t.equal(envDepValue('OUT_DIR', out('/elsewhere/ws', 'release'), included, tableOf('/elsewhere/ws', 'release')), recorded, 'the same in another checkout (a hit there)');
  const ci = tableOf('/build', 'ci');
  t.not(envDepValue('OUT_DIR', out('/build', 'ci'), included, ci), recorded, 'another profile dir: another value (a miss)');
  t.notOk(envDepHolds('OUT_DIR', out('/build', 'ci'), recorded, included, ci), 'so a lookup under target/ci does not take target/release\'s result');
  t.ok(envDepHolds('OUT_DIR', out('/elsewhere/ws', 'release'), recorded, included, tableOf('/elsewhere/ws', 'release')), 'one under the same profile elsewhere does');
  // typenum's way: a variable naming a file the build script wrote, which the crate only includes.
  const file = `${out('/build', 'release')}/op.rs`;
  const op = envDepValue('TN_OP', file, ['@@sc:out_dir@@/op.rs'], release, false, true);
  t.equal(op, '@@sc:out_dir@@/op.rs (in the profile dir release)', "typenum's variable: normalised, with its profile dir");
  t.not(envDepValue('TN_OP', `${out('/build', 'ci')}/op.rs`, ['@@sc:out_dir@@/op.rs'], ci, false, true), op, 'another profile dir: another value');
  t.equal(envDepValue('OUT_DIR', OUT, [`${tableFor('/build').normalise(OUT)}/gen.rs`], tableFor('/build')), tableFor('/build').normaliseText(OUT), 'a table with no profile dir (a call not laid out as cargo does): as before');
});
