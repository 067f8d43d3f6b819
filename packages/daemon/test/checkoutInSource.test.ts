import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrefixTable } from '@splitcache/paths';
import { namesItsCheckout } from '../src/checkoutInSource.js';

// A crate whose own sources name the path of a prefix one of its absolute inputs is under is not
// stored: such an input may be named there (include_str!("/ci/a/data.txt")), and expanded in
// another checkout it would be another file than the one rustc reads. The cli tests
// (absoluteInputs, embeddedPaths, pgo) drive the real crates; these, the rule's edges.

const dir = mkdtempSync(join(tmpdir(), 'sc-own-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const ws = join(dir, 'ws');
const out = join(ws, 'target', 'debug', 'build', 'x-1', 'out');
mkdirSync(join(ws, 'src'), { recursive: true });
mkdirSync(out, { recursive: true });
const table = new PrefixTable([
  { name: 'sysroot', path: '/rust' }, { name: 'cwd', path: ws }, { name: 'tmp', path: dir },
  { name: 'target', path: join(ws, 'target') }, { name: 'out_dir', path: out },
]);
const source = (text: string) => writeFileSync(join(ws, 'src', 'main.rs'), text);

t.test('the literal path of an absolute input in the crate\'s own source', async (t) => {
  source(`fn main() { print!("{}", include_str!("${ws}/data.txt")); }\n`);
  t.equal(await namesItsCheckout(['src/main.rs', `${ws}/data.txt`], table, ws, 'src/main.rs'), 'src/main.rs', 'is found, in the file that names it');
  source(`fn main() { print!("{}", include_str!(concat!("${ws}", "/data.txt"))); }\n`);
  t.equal(await namesItsCheckout(['src/main.rs', `${ws}/data.txt`], table, ws, 'src/main.rs'), 'src/main.rs', 'split across literals: by its prefix');
});

t.test('a path made from the checkout, not written in its sources', async (t) => {
  source('fn main() { print!("{}", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/data.txt"))); }\n');
  t.equal(await namesItsCheckout(['src/main.rs', `${ws}/data.txt`], table, ws, 'src/main.rs'), undefined, 'CARGO_MANIFEST_DIR\'s');
  writeFileSync(join(out, 'gen.rs'), `pub static A: &[u8] = include_bytes!("${ws}/assets/a.bin");\n`);
  source('include!(concat!(env!("OUT_DIR"), "/gen.rs"));\nfn main() {}\n');
  t.equal(await namesItsCheckout(['src/main.rs', `${out}/gen.rs`, `${ws}/assets/a.bin`], table, ws, 'src/main.rs'), undefined, 'one written in a generated file: that file\'s digest follows the checkout');
  source(`// built at ${ws}extra, not in it\nfn main() {}\n`);
  t.equal(await namesItsCheckout(['src/main.rs', `${out}/gen.rs`], table, ws, 'src/main.rs'), undefined, 'a longer name that starts with the path is another path');
  t.equal(await namesItsCheckout(['src/main.rs', '/rust/lib/rustlib/x/libstd.rlib'], table, ws, 'src/main.rs'), undefined, 'the sysroot\'s files are the toolchain\'s');
  source(`fn main() { println!("${ws}"); }\n`);
  t.equal(await namesItsCheckout(['src/main.rs'], table, ws, 'src/main.rs'), undefined, 'no absolute input: nothing to tell apart');
});

t.test('an absolute crate root: the files under its directory are its own sources', async (t) => {
  const pkg = join(dir, 'vendor', 'dep');
  mkdirSync(join(pkg, 'src'), { recursive: true });
  writeFileSync(join(pkg, 'src', 'lib.rs'), `pub const D: &str = include_str!("${dir}/vendor/dep/data.txt");\n`);
  t.equal(await namesItsCheckout([`${pkg}/src/lib.rs`, `${pkg}/data.txt`], table, ws, `${pkg}/src/lib.rs`), `${pkg}/src/lib.rs`);
});
