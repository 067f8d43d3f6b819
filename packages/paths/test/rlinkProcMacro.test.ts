import t from 'tap';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrefixTable, listRlinkPaths, rewriteRlink } from '../src/index.js';
import { findToolchain } from './realRlink.js';

// A proc-macro's .rlink embeds its encoded metadata, whose internal offsets
// break if a path inside it changes length. Relocating to a directory of a
// different length must leave that blob alone and still link a working macro.
const tc = findToolchain('stable')!;
const env = { ...process.env, RUSTC_BOOTSTRAP: '1' };
const a = mkdtempSync(join(tmpdir(), 'sc-pm-a-'));
const b = join(mkdtempSync(join(tmpdir(), 'sc-pm-b-')), 'a-longer-checkout-directory');
t.teardown(() => [a, b].forEach((d) => rmSync(d, { recursive: true, force: true })));

t.test('a proc-macro .rlink relocated to a longer directory links and works', async (t) => {
  mkdirSync(join(a, 'out'), { recursive: true });
  mkdirSync(join(b, 'out'), { recursive: true });
  writeFileSync(
    join(a, 'pm.rs'),
    'extern crate proc_macro;\nuse proc_macro::TokenStream;\n#[proc_macro]\npub fn answer(_i: TokenStream) -> TokenStream { "42".parse().unwrap() }\n',
  );
  const common = ['--crate-name', 'pm', '--crate-type', 'proc-macro', '--edition=2021', '--emit=dep-info,link'];
  execFileSync(tc.rustc, [...common, join(a, 'pm.rs'), '-Zno-link', '--out-dir', join(a, 'out')], { cwd: a, env, stdio: 'pipe' });
  const original = readFileSync(join(a, 'out', 'pm.rlink'));
  const meta = original.indexOf(Buffer.from('rust\0\0\0'));
  t.ok(meta > 0, 'the .rlink embeds metadata');
  t.ok(original.subarray(meta).includes(Buffer.from(a)), 'and the metadata names the source directory');

  const here = new PrefixTable([{ name: 'cwd', path: a }, { name: 'sysroot', path: tc.sysroot }]);
  const there = new PrefixTable([{ name: 'cwd', path: b }, { name: 'sysroot', path: tc.sysroot }]);
  const stored = rewriteRlink(original, (s) => here.normalise(s));
  const moved = rewriteRlink(stored, (s) => there.expand(s));
  t.ok(listRlinkPaths(moved).filter((p) => p.endsWith('.o')).every((p) => p.startsWith(b + '/')), 'objects point at the new directory');
  const movedMeta = moved.indexOf(Buffer.from('rust\0\0\0'));
  const len = original.length - meta - (original.length - original.lastIndexOf(Buffer.from('rust-end-file')));
  t.ok(moved.subarray(movedMeta).subarray(0, 64).equals(original.subarray(meta).subarray(0, 64)), 'the metadata blob is untouched');
  t.ok(len > 0);

  for (const f of readdirSync(join(a, 'out')).filter((f) => f.endsWith('.o'))) copyFileSync(join(a, 'out', f), join(b, 'out', f));
  writeFileSync(join(b, 'out', 'pm.rlink'), moved);
  execFileSync(tc.rustc, [...common, '-Zlink-only', join(b, 'out', 'pm.rlink')], { cwd: b, env, stdio: 'pipe' });
  const so = readdirSync(join(b, 'out')).find((f) => f.endsWith('.so'))!;
  t.ok(so, 'the proc-macro was linked in the new directory');

  writeFileSync(join(b, 'main.rs'), 'fn main() { println!("{}", pm::answer!()); }\n');
  execFileSync(tc.rustc, ['--edition=2021', join(b, 'main.rs'), '--extern', `pm=${join(b, 'out', so)}`, '-o', join(b, 'main')], { cwd: b, stdio: 'pipe' });
  t.equal(execFileSync(join(b, 'main'), { encoding: 'utf8' }), '42\n', 'the relocated macro expands');
});
