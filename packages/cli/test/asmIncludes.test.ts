import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, run, Store } from './helpers.js';

// The assembler reads the files of `.incbin` and `.include` in asm!/global_asm! code while rustc
// codegens, and rustc's dep-info names none of them: a blob that changed hit with the old bytes.

const MAIN = `use std::arch::global_asm;
global_asm!(".pushsection .rodata.one,\\"a\\"", ".globl one_start", "one_start:", ".incbin \\"one.bin\\"", ".byte 0", ".popsection");
global_asm!(include_str!("../boot.s"));
unsafe extern "C" { static one_start: u8; static two_start: u8; }
fn text(p: *const u8) -> &'static str { unsafe { std::ffi::CStr::from_ptr(p as *const _) }.to_str().unwrap() }
// A method named include is no directive, nor is a mention of a file that isn't there
// (.incbin "nowhere.bin"): the crate is stored all the same.
struct B;
impl B { fn include(&self, _: &str) -> &Self { self } }
fn main() { B.include("dir"); println!("{} {}", text(unsafe { &one_start }), text(unsafe { &two_start })); }
`;

const pkg = () =>
  fileTree({
    'Cargo.toml': '[package]\nname = "asminc"\nversion = "0.1.0"\nedition = "2024"\n',
    'src/main.rs': MAIN,
    'one.bin': 'one',
    // Brought in by include_str! (a dep-info input), and itself .include-ing a file that .incbin-s a blob.
    'boot.s': '.pushsection .rodata.two,"a"\n.globl two_start\ntwo_start:\n.include "asm/inner.s"\n.byte 0\n.popsection\n',
    'asm/inner.s': '.incbin "asm/two.bin"\n',
    'asm/two.bin': 'two',
  });

t.test('a blob read by .incbin (directly, or through .include) that changed is a miss, as a plain build reads it anew', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = pkg();
  const build = async (session: string) => {
    await store.cargo(ws, ['clean']);
    assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: session }), `build ${session}`);
    return { outcomes: (await store.calls(session)).map((e) => e.outcome), prints: (await run(join(ws, 'target/debug/asminc'), [])).stdout };
  };
  const plain = async () => {
    await run('cargo', ['clean'], { cwd: ws });
    assertOk(t, await run('cargo', ['build'], { cwd: ws, env: { ...process.env, CARGO_INCREMENTAL: '0', RUSTC_WRAPPER: '' } }), 'a plain build');
    return (await run(join(ws, 'target/debug/asminc'), [])).stdout;
  };

  t.same(await build('first'), { outcomes: ['miss'], prints: 'one two\n' });
  t.same((await store.stats()).notStored, {}, 'stored');
  t.same(await build('again'), { outcomes: ['hit'], prints: 'one two\n' }, 'nothing changed: a hit');

  writeFileSync(join(ws, 'one.bin'), 'ONE');
  t.equal(await plain(), 'ONE two\n', 'one.bin changed: a plain build has its new bytes');
  t.same(await build('one-changed'), { outcomes: ['miss'], prints: 'ONE two\n' }, 'so does one through splitcache (before: a hit with "one")');

  writeFileSync(join(ws, 'asm/two.bin'), 'TWO');
  t.equal(await plain(), 'ONE TWO\n', 'asm/two.bin changed: a plain build has its new bytes');
  t.same(await build('two-changed'), { outcomes: ['miss'], prints: 'ONE TWO\n' }, 'the blob of an .include\'d file too');

  t.same(await build('last'), { outcomes: ['hit'], prints: 'ONE TWO\n' }, 'and a hit once stored');
});

t.test('an .incbin whose path is not a plain literal is not stored', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree({
    'Cargo.toml': '[package]\nname = "asmcat"\nversion = "0.1.0"\nedition = "2024"\n',
    'src/main.rs': MAIN.replace('".incbin \\"one.bin\\""', 'concat!(".incbin \\"", "one.bin", "\\"")').replace('global_asm!(include_str!("../boot.s"));\n', '').replace(' static two_start: u8;', '').replace(', text(unsafe { &two_start })', ', "-"'),
    'one.bin': 'one',
  });
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'one' }));
  t.equal((await run(join(ws, 'target/debug/asmcat'), [])).stdout, 'one -\n');
  t.same((await store.stats()).notStored, { 'asm-include-unknown': 1 }, 'not stored: the file it reads is not known');
  writeFileSync(join(ws, 'one.bin'), 'ONE');
  await store.cargo(ws, ['clean']);
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'two' }));
  t.equal((await run(join(ws, 'target/debug/asmcat'), [])).stdout, 'ONE -\n', 'so a changed blob is read anew');
});
