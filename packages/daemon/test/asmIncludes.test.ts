import t, { type Test } from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asmIncludes } from '../src/asmIncludes.js';

// The files an assembler reads for asm!/global_asm!, which dep-info doesn't name: each one missed
// is a blob whose change a hit doesn't see (a clean build linking the old bytes). The end-to-end
// cases are in cli/test/asmIncludes.test.ts; here, the spellings the search must take.

function crate(t: Test, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'asm-includes-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

t.test('a tab between the directive and its operand, or a Rust escape the assembler reads as a blank', async (t) => {
  const dir = crate(t, { 'src/main.rs': 'global_asm!(".include\t\\"more.s\\"");\nglobal_asm!(".incbin\\t\\"tab.bin\\"");\nglobal_asm!(".incbin \\\n    \\"next.bin\\"");\n', 'more.s': '' });
  t.same(await asmIncludes([join(dir, 'src/main.rs')], dir), { paths: ['more.s', 'tab.bin', 'next.bin'], unknown: false }, 'a real tab, `\\t`, and a line continuation');
});

t.test('an .include-d file is searched in turn, from the working directory, and an .include alone is found', async (t) => {
  const dir = crate(t, {
    'src/main.rs': 'global_asm!(r#".include "asm/outer.s""#);\n',
    'asm/outer.s': '.include "asm/inner.s"\n',
    'asm/inner.s': '.incbin "asm/blob.bin"\n',
  });
  t.same(await asmIncludes([join(dir, 'src/main.rs')], dir), { paths: ['asm/outer.s', 'asm/inner.s', 'asm/blob.bin'], unknown: false });
});

t.test('an operand that is not a plain quoted path: unknown, so nothing is stored', async (t) => {
  const dir = crate(t, { 'src/main.rs': 'global_asm!(concat!(".incbin \\"", "one.bin", "\\""));\n' });
  t.same(await asmIncludes([join(dir, 'src/main.rs')], dir), { paths: [], unknown: true });
});

t.test('every spelling the assembler reads as a directive: no blank, an escaped blank or quote, a continuation over an empty line', async (t) => {
  // Each one assembles with rustc 1.95 (global_asm!, an .incbin that a binary then prints). Missed,
  // the blob was no input of the result, and a hit after it changed linked the old bytes.
  const main = [
    'global_asm!(".incbin\\"none.bin\\"");',
    'global_asm!(".incbin\\x09\\"hex-tab.bin\\"");',
    'global_asm!(".incbin\\u{20}\\"unicode-space.bin\\"");',
    'global_asm!(".incbin\\\n\n    \\"continued.bin\\"");',
    'global_asm!(".incbin \\x22quote.bin\\x22");',
  ].join('\n');
  const dir = crate(t, { 'src/main.rs': `${main}\n` });
  // The last one's operand, quoted with an escape, can't be read: unknown, so the result is not stored.
  t.same(await asmIncludes([join(dir, 'src/main.rs')], dir), { paths: ['none.bin', 'hex-tab.bin', 'unicode-space.bin', 'continued.bin'], unknown: true });
});

t.test('no directive: a method call, an escaped backslash before t, a word in a comment, a string that ends in one', async (t) => {
  const main = 'cc::Build::new().include("dir");\nglobal_asm!(".incbin\\\\t\\"x.bin\\"");\n// .include this and .incbin that\nmatch d { ".include" => 1, _ => 2 }\n';
  const dir = crate(t, { 'src/main.rs': main });
  t.same(await asmIncludes([join(dir, 'src/main.rs')], dir), { paths: [], unknown: false });
});
