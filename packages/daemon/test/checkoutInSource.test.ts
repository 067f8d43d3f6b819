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
const decide = (inputs: string[], o: { extra?: string[]; env?: { name: string; value?: string }[]; recorded?: [string, string | null][] } = {}) =>
  recordedInputs(inputs, table, ws, parseInvocation([...args, ...(o.extra ?? [])]), o.env ?? [], o.recorded ?? []);
const MANIFEST_DIR: [string, string | null][] = [['CARGO_MANIFEST_DIR', '@@sc:cwd@@']];

t.test('made from the checkout, named whole by no text: under its placeholder alone', async (t) => {
  source('fn main() { print!("{}", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/data.txt"))); }\n');
  t.same(await decide(['src/main.rs', data], { recorded: MANIFEST_DIR }), { both: new Set() }, "CARGO_MANIFEST_DIR's");
  writeFileSync(join(out, 'gen.rs'), '// generated\n');
  t.same(await decide(['src/main.rs', `${out}/gen.rs`], { recorded: [['OUT_DIR', '@@sc:out_dir@@']] }), { both: new Set() }, "OUT_DIR's");
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
  writeFileSync(join(out, 'inc.rs'), `fn main() { print!("{}", include_str!("${data}")); }\n`);
  source('include!(concat!(env!("OUT_DIR"), "/inc.rs"));\n');
  t.same(await decide(['src/main.rs', `${out}/inc.rs`, data], { recorded: [['OUT_DIR', '@@sc:out_dir@@'], ...MANIFEST_DIR] }), { both: new Set([data]) }, 'a literal in a file copied into OUT_DIR');
});

t.test("the checkout's path in an own source beside an input under its placeholder alone: not stored", async (t) => {
  source(`fn main() { print!("{}", include_str!(concat!("${ws}", "/data.txt"))); }\n`);
  t.same(await decide(['src/main.rs', data], { recorded: MANIFEST_DIR }), { both: new Set(), refused: 'src/main.rs' }, 'a literal split');
  source(`// ${ws}-old/data.txt is another checkout's\nfn main() {}\n`);
  t.same(await decide(['src/main.rs', data], { recorded: MANIFEST_DIR }), { both: new Set() }, 'a longer name that starts with the path is another path');
});
