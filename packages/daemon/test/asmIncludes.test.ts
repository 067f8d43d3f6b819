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
