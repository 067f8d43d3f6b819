import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrefixTable } from '@splitcache/paths';
import { namedInputs } from '../src/checkoutInSource.js';

// An absolute input under the checkout whose path a text names (a source, a generated file, a
// dependency's rmeta) is recorded as it is too; a crate whose own sources hold the checkout's path
// while an input under it is named by no text is not stored. The cli tests (absoluteInputs,
// embeddedPaths, pgo) drive the real crates; these, the rule's edges.

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
const data = `${ws}/data.txt`;
const named = (inputs: string[], externs: string[] = [], root = 'src/main.rs') => namedInputs(inputs, table, ws, root, externs);

t.test('a path a text names whole', async (t) => {
  source(`fn main() { print!("{}", include_str!("${data}")); }\n`);
  t.same(await named(['src/main.rs', data]), { named: new Set([data]) }, 'in the crate\'s own source');
  source('include!(concat!(env!("OUT_DIR"), "/inc.rs"));\n');
  writeFileSync(join(out, 'inc.rs'), `fn main() { print!("{}", include_str!("${data}")); }\n`);
  t.same(await named(['src/main.rs', `${out}/inc.rs`, data]), { named: new Set([data]) }, 'in a file copied into OUT_DIR');
  source('fn main() { print!("{}", dep::data!()); }\n');
  writeFileSync(join(dir, 'libdep.rmeta'), Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(`include_str!("${data}")`), Buffer.from([0])]));
  t.same(await named(['src/main.rs', data], [join(dir, 'libdep.rmeta')]), { named: new Set([data]) }, "in a dependency's metadata (its macro_rules!)");
});

t.test('a path made from the checkout, named by no text', async (t) => {
  source('fn main() { print!("{}", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/data.txt"))); }\n');
  t.same(await named(['src/main.rs', data]), { named: new Set() }, "CARGO_MANIFEST_DIR's: under its placeholder only");
  t.same(await named(['src/main.rs', '/rust/lib/rustlib/x/libstd.rlib']), { named: new Set() }, "the sysroot's files are the toolchain's");
  source(`// ${ws}-old/data.txt is another checkout's\nfn main() {}\n`);
  t.same(await named(['src/main.rs', data]), { named: new Set() }, 'a longer name that starts with the path is another path');
});

t.test("the checkout's path in an own source, split from the rest of an input's", async (t) => {
  source(`fn main() { print!("{}", include_str!(concat!("${ws}", "/data.txt"))); }\n`);
  t.same(await named(['src/main.rs', data]), { named: new Set(), refused: 'src/main.rs' }, 'refused: it may be a literal split');
  source(`#![doc = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))]\nfn main() { print!("{}", include_str!("${data}")); }\n`);
  t.same(await named(['src/main.rs', `${ws}/README.md`, data]), { named: new Set([data]), refused: 'src/main.rs' }, 'beside the README idiom too: which of the two the literal was is not known');
  writeFileSync(join(out, 'gen.rs'), `// generated in ${ws}\n`);
  source('include!(concat!(env!("OUT_DIR"), "/gen.rs"));\nfn main() {}\n');
  t.same(await named(['src/main.rs', `${out}/gen.rs`]), { named: new Set() }, "in a generated file, not an own source: not refused (its digest follows the checkout)");
});
