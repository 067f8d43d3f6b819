import t from 'tap';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normaliseOutput, PrefixTable } from '@splitcache/paths';
import { outputTable } from '../src/outputTable.js';

// A prefix a source holds as text is left out of the table a result's output is normalised
// with, where the output names it: a diagnostic's quote of that line then stays as the source has it.

const ws = mkdtempSync(join(tmpdir(), 'sc-output-table-'));
const out = join(ws, 'target', 'out');
mkdirSync(join(ws, 'src'), { recursive: true });
mkdirSync(out, { recursive: true });
const table = new PrefixTable([{ name: 'cwd', path: ws }, { name: 'tmp', path: '/scratch' }, { name: 'out_dir', path: out }]);
const quote = Buffer.from('6 |     let mut p = "/scratch/app.sock";\n');

t.test('a literal under a prefix, in a source the output quotes, stays as it is', async (t) => {
  writeFileSync(join(ws, 'src/lib.rs'), 'pub fn p() -> &\'static str { let mut p = "/scratch/app.sock"; p }\n');
  const shown = await outputTable(table, [Buffer.alloc(0), quote], ['src/lib.rs'], ws);
  t.equal(normaliseOutput(quote, shown).toString(), quote.toString(), 'the quote is stored as the source has it');
  t.same(shown.entries.map((e) => e.name).sort(), ['cwd', 'out_dir'], 'the other prefixes stay');
  t.equal(await outputTable(table, [quote], [], ws), table, 'no source holds it: the call\'s own table');
  t.equal(await outputTable(table, [Buffer.from('warning: unused\n')], ['src/lib.rs'], ws), table, 'an output naming no prefix: the call\'s own table');
});

t.test('a file generated under OUT_DIR that names OUT_DIR keeps it a prefix', async (t) => {
  writeFileSync(join(out, 'gen.rs'), `pub const DATA: &[u8] = include_bytes!("${out}/data.bin");\n`);
  const at = Buffer.from(`warning: unused\n --> ${out}/gen.rs:1:1\n`);
  const shown = await outputTable(table, [at], [join(out, 'gen.rs')], ws);
  t.equal(shown, table, 'each checkout\'s build script writes its own OUT_DIR there');
  t.equal(normaliseOutput(at, shown).toString(), 'warning: unused\n --> @@sc:out_dir@@/gen.rs:1:1\n', 'and the place is normalised');
});

t.test("a source holding its own checkout's path, quoted: the quote stays as the source has it", async (t) => {
  writeFileSync(join(ws, 'src/lib.rs'), `pub fn d() -> &'static str { let mut d = "${ws}/data"; d }\n`);
  const at = Buffer.from(`2 |     let mut d = "${ws}/data";\n`);
  const shown = await outputTable(table, [at], ['src/lib.rs'], ws);
  t.equal(normaliseOutput(at, shown).toString(), at.toString(), 'not under a placeholder');
});

t.test('artifact notices, which name the target dir for every crate, start no search', async (t) => {
  const notice = Buffer.from(`{"$message_type":"artifact","artifact":"${out}/libx.rmeta","emit":"metadata"}\n`);
  writeFileSync(join(ws, 'src/lib.rs'), `// built into ${out}\n`);
  t.equal(await outputTable(table, [notice], ['src/lib.rs'], ws), table, "the call's own table");
});

t.test('a checkout under a shorter prefix (a base dir, TMPDIR): its literal is not stored under that one instead', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'sc-output-base-'));
  const a = join(base, 'a');
  mkdirSync(join(a, 'src'), { recursive: true });
  writeFileSync(join(a, 'src/lib.rs'), `pub fn d() -> &'static str { let mut d = "${a}/data"; d }\n`);
  const nested = new PrefixTable([{ name: 'cwd', path: a }, { name: 'base0', path: base }, { name: 'tmp', path: '/scratch' }]);
  const at = Buffer.from(`2 |     let mut d = "${a}/data";\n`);
  const shown = await outputTable(nested, [at], ['src/lib.rs'], a);
  t.equal(normaliseOutput(at, shown).toString(), at.toString(), 'the quote is stored as the source has it, not as @@sc:base0@@/a/data');
  t.same(shown.entries.map((e) => e.name), ['tmp'], 'both prefixes it lay under are left out');
});

t.test('a source naming a longer path that starts with a prefix, or ends with one, does not hold it', async (t) => {
  writeFileSync(join(ws, 'src/lib.rs'), 'pub const A: &str = "/scratch-old/app.sock"; pub const B: &str = "/var/scratch/x";\n');
  const at = Buffer.from('warning: unused\n --> /scratch/gen/lib.rs:1:1\n');
  t.equal(await outputTable(table, [at], ['src/lib.rs'], ws), table, "/scratch-old and /var/scratch don't hold /scratch");
  writeFileSync(join(ws, 'src/lib.rs'), 'pub const A: &str = "/scratch-old/app.sock"; pub const C: &str = "/scratch";\n');
  t.same((await outputTable(table, [at], ['src/lib.rs'], ws)).entries.map((e) => e.name).sort(), ['cwd', 'out_dir'], 'a later "/scratch" of its own does');
});

t.test('a compiled crate the dep-info lists (-Zbinary-dep-depinfo) is not read for literals', async (t) => {
  const rlib = join(ws, 'target', 'libdep.rlib');
  writeFileSync(rlib, Buffer.concat([Buffer.from('!<arch>\n'), Buffer.from('"/scratch/app.sock"')]));
  writeFileSync(join(ws, 'src/lib.rs'), 'pub fn p() {}\n');
  t.equal(await outputTable(table, [quote], ['src/lib.rs', rlib], ws), table, "the call's own table: no source holds it");
});
