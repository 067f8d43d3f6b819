import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrefixTable } from '@splitcache/paths';
import { envDepHolds, envDepValue } from '../src/envDepValue.js';
import { includedPaths, outDirOf } from '../src/includedPathEnv.js';

// typenum's way of taking in generated code: `cargo:rustc-env=TYPENUM_BUILD_OP=<OUT_DIR>/op.rs`
// and `include!(env!("TYPENUM_BUILD_OP"))`. Kept exactly, the value missed in every checkout at
// another path (and every crate above typenum with it).

const root = mkdtempSync(join(tmpdir(), 'included-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
const ws = join(root, 'ws');
const out = join(ws, 'target/debug/build/tn-1/out');
mkdirSync(out, { recursive: true });
const op = join(out, 'op.rs');
writeFileSync(op, 'pub fn op() -> u32 { 7 }\n');

/** A source file of `text` (a new one each time); its path. */
let sources = 0;
const source = (text: string) => {
  const file = join(root, `src${++sources}.rs`);
  writeFileSync(file, text);
  return file;
};
const found = async (texts: string[], value = op, o: { outDir?: string; externs?: string[]; files?: string[] } = {}) =>
  (await includedPaths([{ name: 'TN_OP', value }], o.outDir ?? out, o.files ?? [...texts.map(source), op], o.externs ?? [])).has('TN_OP');

t.test('a variable naming a generated file the crate only includes qualifies', async (t) => {
  t.ok(await found(['include!(env!("TN_OP"));\n']), 'include!(env!(…))');
  t.ok(await found(['pub static A: &[u8] = include_bytes! ( env! [ "TN_OP" ] );\n', 'const S: &str = include_str!{env!{"TN_OP"}};\n']), 'include_bytes!/include_str!, any brackets and spacing, in two files');
  t.ok(await found(['include!(env!("TN\\x5fOP"));\n']), 'the name spelled with an escape');
  t.ok(await found(['include!(env!("TN_OP"));\n'], op, { outDir: `${out}/` }), 'OUT_DIR with a trailing slash');
  t.ok(await found(['use std::fmt::{self, Display};\n#[macro_use] mod m;\nstd::include!(env!("TN_OP"));\n']), 'a path to std::include!, other imports, a #[macro_use] module');
  const docs = '/**\n```\n#[macro_use] extern crate tn;\nuse tn::include;\n```\n */\npub struct A;\n/// use dep::{include};\n';
  t.ok(await found(['mod include;\nuse crate::include::x;\ninclude!(env!("TN_OP"));\n']), 'a module named include');
  t.ok(await found([docs, 'include!(env!("TN_OP"));\n']), "imports in doc comments (typenum's docs show #[macro_use] extern crate typenum)");
  t.ok(await found(['macro_rules! differ { ($a:expr, $b:expr) => { $a != $b }; }\ninclude!(env!("TN_OP"));\n']), 'a macro comparing its arguments ($a != $b: no macro named by one)');
});

t.test('anything else keeps the value exact', async (t) => {
  t.notOk(await found(['include!(env!("TN_OP"));\nfn main() { println!("{}", env!("TN_OP")); }\n']), 'also pasted as a value');
  t.notOk(await found(['include!(env!("TN_OP"));\n', 'const P: &str = env!("TN_OP");\n']), 'pasted in another input');
  t.notOk(await found(['include!(env!("TN_OP"));\n', '// TN_OP\n']), 'named in a comment: a mention too many costs a hit elsewhere, never a build');
  t.notOk(await found(['include!(concat!(env!("TN_OP"), ".in"));\n']), 'a path made from it');
  t.notOk(await found(['macro_rules! include { ($e:expr) => { $e } }\n', 'const P: &str = include!(env!("TN_OP"));\n']), 'an include macro shadowed');
  t.notOk(await found(['use dep::include;\n', 'const P: &str = include!(env!("TN_OP"));\n']), "a dependency's include macro imported");
  t.notOk(await found(['use dep::{self, include_str};\nconst P: &str = include_str!(env!("TN_OP"));\n']), 'imported in a list');
  t.notOk(await found(['#[macro_use]\nextern crate dep;\nconst P: &str = include!(env!("TN_OP"));\n']), "a #[macro_use] crate's macros shadow the prelude's");
  t.notOk(await found(['include!(env!("TN_OP"));\nconst P: &str = env!(concat!("TN", "_OP"));\n']), 'read with a name built by concat!');
  t.notOk(await found(['include!(env!("TN_OP"));\n', 'macro_rules! e { ($n:expr) => { option_env!($n) } }\n']), "a macro's env! of its argument");
  const grab = 'macro_rules! grab { ($i:ident ! ($e:ident ! ($n:literal))) => { $e!($n) } }\n';
  t.notOk(await found([grab, 'include!(env!("TN_OP"));\nconst P: &str = grab!(include!(env!("TN_OP")));\n']), 'a macro named by a metavariable (it can rebuild env! from an include form)');
  t.notOk(await found([]), 'never named in the inputs (a macro of another crate may expand it)');
  t.notOk(await found(['include!(env!("TN_OP"));\n'], op, { externs: [source('macro_rules! p { () => { env!("TN_OP") } }')] }), 'an --extern file names it');
  t.notOk(await found(['include!(env!("TN_OP"));\n'], join(ws, 'data.rs'), { files: [source('include!(env!("TN_OP"));\n'), join(ws, 'data.rs')] }), 'a file outside OUT_DIR');
  t.notOk(await found(['include!(env!("TN_OP"));\n'], op, { files: [source('include!(env!("TN_OP"));\n')] }), 'a file that is not an input');
  t.notOk(await found(['include!(env!("TN_OP"));\n'], op, { outDir: '' }), 'no OUT_DIR');
  const named = await includedPaths([{ name: 'OUT_DIR', value: op }, { name: 'CLIPPY_CONF_DIR', value: op }], out, [source('include!(env!("OUT_DIR"));\ninclude!(env!("CLIPPY_CONF_DIR"));\n'), op], []);
  t.same([...named], [], 'OUT_DIR and CLIPPY_CONF_DIR keep their own rules');
});

t.test('recorded normalised, the value holds in another checkout for the same file, and only there', async (t) => {
  const tableOf = (dir: string) => new PrefixTable([{ name: 'cwd', path: dir }, { name: 'target', path: `${dir}/target` }, { name: 'out_dir', path: `${dir}/target/debug/build/tn-1/out` }]);
  const here = tableOf('/a/ws');
  const there = tableOf('/b/copy');
  t.equal(outDirOf(here), '/a/ws/target/debug/build/tn-1/out', "the OUT_DIR of the call's table");
  const inputs = [here.normalise('/a/ws/target/debug/build/tn-1/out/op.rs')];
  const recorded = envDepValue('TN_OP', '/a/ws/target/debug/build/tn-1/out/op.rs', inputs, here, false, true);
  t.equal(recorded, inputs[0], 'recorded as the input it names');
  t.ok(envDepHolds('TN_OP', '/b/copy/target/debug/build/tn-1/out/op.rs', recorded, inputs, there), "holds for the copy's own file");
  t.notOk(envDepHolds('TN_OP', '/b/copy/target/debug/build/tn-1/out/other.rs', recorded, inputs, there), 'not for another file');
  t.notOk(envDepHolds('TN_OP', undefined, recorded, inputs, there), 'nor unset');
  t.equal(envDepValue('TN_OP', '/a/ws/target/debug/build/tn-1/out/op.rs', [], here, false, true), '/a/ws/target/debug/build/tn-1/out/op.rs', 'a file that is no input: exact');
  const exact = envDepValue('TN_OP', '/a/ws/target/debug/build/tn-1/out/op.rs', inputs, here);
  t.equal(exact, '/a/ws/target/debug/build/tn-1/out/op.rs', 'not found only included: exact');
  t.notOk(envDepHolds('TN_OP', '/b/copy/target/debug/build/tn-1/out/op.rs', exact, inputs, there), 'and so a miss in the copy');
});
