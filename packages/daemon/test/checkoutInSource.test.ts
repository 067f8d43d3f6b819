import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrefixTable } from '@splitcache/paths';
import { parseInvocation } from '@splitcache/rustc';
import { recordedInputs } from '../src/checkoutInSource.js';

// An absolute input under the checkout is recorded under its placeholder alone only where
// something the key holds normalised names its place and no text names its whole path; else
// as it is too (`both`). A crate whose own sources hold its checkout's path beside an input
// recorded under its placeholder alone is not stored. The cli tests (absoluteInputs,
// embeddedPaths, pgo) drive the real crates; these, the rule's edges.

const dir = mkdtempSync(join(tmpdir(), 'sc-own-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const ws = join(dir, 'ws');
const out = join(ws, 'target', 'debug', 'build', 'x-1', 'out');
mkdirSync(join(ws, 'src'), { recursive: true });
mkdirSync(out, { recursive: true });
const table = new PrefixTable([
  { name: 'sysroot', path: '/rust' }, { name: 'cwd', path: ws }, { name: 'tmp', path: dir },
  { name: 'target', path: join(ws, 'target') }, { name: 'out_dir', path: out }, { name: 'pkg', path: ws },
]);
const source = (text: string) => writeFileSync(join(ws, 'src', 'main.rs'), text);
const data = `${ws}/data.txt`;
const args = ['--crate-name', 'x', 'src/main.rs', '--crate-type', 'bin', '-L', `dependency=${ws}/target/debug/deps`];
type Options = { extra?: string[]; env?: { name: string; value?: string }[]; recorded?: [string, string | null][] };
const recorded = (inputs: string[], o: Options = {}) => recordedInputs(inputs, table, ws, parseInvocation([...args, ...(o.extra ?? [])]), o.env ?? [], o.recorded ?? []);
/** What is recorded as it is too, and what refused: the rest of the inputs under a placeholder is `near` (below). */
const decide = async (inputs: string[], o: Options = {}) => {
  const { both, refused } = await recorded(inputs, o);
  return refused === undefined ? { both } : { both, refused };
};
const MANIFEST_DIR: [string, string | null][] = [['CARGO_MANIFEST_DIR', '@@sc:cwd@@']];

t.test('made from the checkout, named whole by no text: under its placeholder alone', async (t) => {
  source('fn main() { print!("{}", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/data.txt"))); }\n');
  t.same(await decide(['src/main.rs', data], { recorded: MANIFEST_DIR }), { both: new Set() }, "CARGO_MANIFEST_DIR's");
  writeFileSync(join(out, 'gen.rs'), '// generated\n');
  t.same(await decide(['src/main.rs', `${out}/gen.rs`], { recorded: [['OUT_DIR', '@@sc:out_dir@@']] }), { both: new Set() }, "OUT_DIR's");
  t.same(await decide(['src/main.rs', `${out}/gen.rs`], { recorded: [['OUT_DIR', '@@sc:out_dir@@ (in the profile dir debug)']] }), { both: new Set() }, "OUT_DIR's, recorded with its profile dir's place (profileDirs.ts)");
  t.same(await decide(['src/main.rs', `${out}/gen.rs`], { recorded: [['OUT_DIR', out]] }), { both: new Set() }, 'OUT_DIR recorded exactly: its own prefix');
  t.same(await decide(['src/main.rs', `${ws}/pgo/m.profdata`], { extra: ['-C', `profile-use=${ws}/pgo/m.profdata`] }), { both: new Set() }, 'a profile -C profile-use names');
  t.same(await decide(['src/main.rs', '/rust/lib/rustlib/x/libstd.rlib']), { both: new Set() }, "the sysroot's files are the toolchain's");
});

t.test('anything else is recorded as it is too', async (t) => {
  source(`fn main() { print!("{}", include_str!("${data}")); }\n`);
  t.same(await decide(['src/main.rs', data], { recorded: MANIFEST_DIR }), { both: new Set([data]) }, 'a literal in the source, beside the README idiom');
  source('fn main() { print!("{}", include_str!(env!("DATA_FILE"))); }\n');
  t.same(await decide(['src/main.rs', data], { env: [{ name: 'DATA_FILE', value: data }], recorded: [...MANIFEST_DIR, ['DATA_FILE', data]] }), { both: new Set([data]) }, 'a path an env-dep holds (a [env] value)');
  source('fn main() { print!("{}", c::data!()); }\n');
  t.same(await decide(['src/main.rs', data]), { both: new Set([data]) }, 'a path nothing names here (a macro behind a re-export, a proc-macro\'s constant)');
  const sibling = `${ws}/target/debug/deps-old/data.txt`;
  t.same(await decide(['src/main.rs', sibling]), { both: new Set([sibling]) }, "in a sibling of the -L dependency dir whose name starts with that dir's: not under it");
  writeFileSync(join(out, 'inc.rs'), `fn main() { print!("{}", include_str!("${data}")); }\n`);
  source('include!(concat!(env!("OUT_DIR"), "/inc.rs"));\n');
  t.same(await decide(['src/main.rs', `${out}/inc.rs`, data], { recorded: [['OUT_DIR', '@@sc:out_dir@@'], ...MANIFEST_DIR] }), { both: new Set([data]) }, 'a literal in a file copied into OUT_DIR');
});

t.test("the checkout's path in an own source beside an input under its placeholder alone: not stored", async (t) => {
  source(`fn main() { print!("{}", include_str!(concat!("${ws}", "/data.txt"))); }\n`);
  t.same(await decide(['src/main.rs', data], { recorded: MANIFEST_DIR }), { both: new Set(), refused: 'src/main.rs' }, 'a literal split');
  // A crate whose root cargo names by its absolute path (a path dependency outside the workspace): its own sources are those under the root's dir.
  const absRoot = parseInvocation(['--crate-name', 'x', `${ws}/src/main.rs`, '--crate-type', 'bin', '-L', `dependency=${ws}/target/debug/deps`]);
  const abs = await recordedInputs([`${ws}/src/main.rs`, data], table, ws, absRoot, [], MANIFEST_DIR);
  t.equal(abs.refused, `${ws}/src/main.rs`, 'the same split literal in a crate with an absolute root: not stored either');
  source(`// ${ws}-old/data.txt is another checkout's\nfn main() {}\n`);
  t.same(await decide(['src/main.rs', data], { recorded: MANIFEST_DIR }), { both: new Set() }, 'a longer name that starts with the path is another path');
});

// Files over a MiB are read a window at a time (an --extern rlib of 24 MB was read whole for each
// crate using it): a path across two windows is still found, one cut by a window's end is not
// taken for a path that ends there.
t.test('a large --extern file is looked through a window at a time, with what a window cuts seen whole', async (t) => {
  source('fn main() { print!("{}", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/data.txt"))); }\n');
  const lib = join(dir, 'libdep.rlib');
  const withPathAt = (end: number, after: string) => {
    const bytes = Buffer.alloc(3 << 20, 0x61); // 'a': a path-name byte, so nothing around it ends a path
    Buffer.from(`\0${data}${after}`).copy(bytes, end - data.length - 1);
    writeFileSync(lib, bytes);
  };
  const extern = { extra: ['--extern', `dep=${lib}`], recorded: MANIFEST_DIR };
  // Windows end at n MiB + the longest path + 1 (what each keeps of the one before).
  const edge = (n: number) => (n << 20) + Buffer.byteLength(data) + 1;
  for (const end of [edge(1) - 1, edge(1), edge(1) + 1, edge(1) + 9, edge(2), edge(2) + 3]) {
    withPathAt(end, '"');
    t.same(await decide(['src/main.rs', data], extern), { both: new Set([data]) }, `the path named whole, ending at byte ${end}`);
    withPathAt(end, 'x');
    t.same(await decide(['src/main.rs', data], extern), { both: new Set() }, `a longer name ending at byte ${end + 1}: another path`);
  }
});

// Each input under its placeholder alone is `near`: also checked at its path as it was, where a
// file is there (nearInputs.ts): every rule that told a fixed path from one made from the checkout
// by the crate's texts was beaten by a shape it did not see (a split literal, an environment
// variable naming the checkout's directory, a dependency's macro).
t.test('what is recorded under its placeholder alone is checked at its path as it was too, where a file is there', async (t) => {
  source('fn main() { print!("{}", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/data.txt"))); }\n');
  t.same(await recorded(['src/main.rs', data], { recorded: MANIFEST_DIR }), { both: new Set(), near: new Set([data]) }, "CARGO_MANIFEST_DIR's");
  source(`fn main() { print!("{}", include_str!("${data}")); }\n`);
  t.same(await recorded(['src/main.rs', data], { recorded: MANIFEST_DIR }), { both: new Set([data]), near: new Set() }, 'a path named whole is recorded as it is, not near');
  t.same(await recorded(['src/main.rs', '/rust/lib/rustlib/x/libstd.rlib']), { both: new Set(), near: new Set() }, "the sysroot's are neither");
});
