import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, run, Store, tempDir } from './helpers.js';

// The other library types, under cargo: a cdylib that is also an rlib (an
// FFI or wasm crate that Rust code uses too) and a dylib used by a bin are
// split and cached like a bin; a staticlib is an archive, cached whole like
// an rlib. All built with `-C prefer-dynamic`, as a dylib asks (Bevy's
// dynamic_linking feature builds this way).

const FILES: Record<string, string> = {
  'Cargo.toml': '[workspace]\nresolver = "2"\nmembers = ["ffi", "st", "dy", "user"]\n',
  'ffi/Cargo.toml': pkg('ffi', '[lib]\ncrate-type = ["cdylib", "rlib"]\n'),
  'ffi/src/lib.rs': '#[no_mangle]\npub extern "C" fn ffi_add(a: i32, b: i32) -> i32 { a + b }\npub fn twice(x: i32) -> i32 { ffi_add(x, x) }\n',
  'st/Cargo.toml': pkg('st', '[lib]\ncrate-type = ["staticlib"]\n'),
  'st/src/lib.rs': '#[no_mangle]\npub extern "C" fn st_mul(a: i32, b: i32) -> i32 { a * b }\n',
  'dy/Cargo.toml': pkg('dy', '[lib]\ncrate-type = ["dylib"]\n'),
  'dy/src/lib.rs': 'pub fn hello() -> &\'static str { "hello from a dylib" }\n',
  'user/Cargo.toml': pkg('user', '[dependencies]\nffi = { path = "../ffi" }\ndy = { path = "../dy" }\n'),
  'user/src/main.rs': 'fn main() { println!("{} {}", ffi::twice(21), dy::hello()); }\n',
};

function pkg(name: string, rest: string): string {
  return `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\n\n${rest}`;
}

/** Outputs in target/debug that carry no crate hash: each must be byte-identical to plain. */
const SAME = ['libffi.so', 'libst.a', 'user'];

t.test('a cdylib+rlib, a staticlib and a dylib are cached and hit; the cdylib, the staticlib and the bin are byte-identical to plain', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree(FILES, 'libtypes');
  const env = { RUSTFLAGS: '-C prefer-dynamic' };
  const plainTarget = tempDir('libtypes-plain');
  assertOk(t, await run('cargo', ['build', '--offline', '--target-dir', plainTarget], { cwd: ws, env: { ...store.env(env), RUSTC_WRAPPER: '' } }), 'a plain build');
  const plain = (f: string) => readFileSync(join(plainTarget, 'debug', f));
  const ours = (f: string) => readFileSync(join(ws, 'target', 'debug', f));

  assertOk(t, await store.cargo(ws, ['build', '--offline'], env), 'a cold build through the cache');
  const cold = await store.stats();
  t.same([cold.passthrough, cold.notStored, cold.errors], [{}, {}, {}], 'every call cached: none passed through, none unstored, no faults');
  for (const type of ['cdylib+rlib', 'staticlib', 'dylib', 'bin']) t.equal(cold.byType[type]?.misses, 1, `the ${type} call missed and was stored`);
  for (const f of SAME) t.ok(ours(f).equals(plain(f)), `${f} (miss) is byte-identical to the plain build's`);

  await store.cargo(ws, ['clean']);
  assertOk(t, await store.cargo(ws, ['build', '--offline'], env), 'a warm build after cargo clean');
  const warm = await store.stats();
  t.equal(warm.hits, cold.misses, 'every call hits');
  for (const f of SAME) t.ok(ours(f).equals(plain(f)), `${f} (hit) is byte-identical to the plain build's`);

  // The crate hash (SVH) of a split crate differs from a plain build's (docs/RELIABILITY.md,
  // known limits): 16 bytes in the rlib made by the cdylib's call, and in the dylib those
  // and its build-id. Nothing else may differ.
  for (const [f, most] of [['libffi.rlib', 16], ['libdy.so', 16 + 20]] as const) {
    const [a, b] = [ours(f), plain(f)];
    const differ = a.length === b.length ? a.filter((byte, i) => byte !== b[i]).length : -1;
    t.ok(differ >= 0 && differ <= most, `${f}: the same length as plain, ${differ} bytes differ (at most ${most}: the crate hash)`);
  }

  const stdDir = (await run('rustc', ['--print', 'target-libdir'])).stdout.trim();
  const ran = await run(join(ws, 'target', 'debug', 'user'), [], { env: { ...process.env, LD_LIBRARY_PATH: `${join(ws, 'target', 'debug', 'deps')}:${stdDir}` } });
  t.equal(ran.stdout, '42 hello from a dylib\n', 'the bin runs against the replayed dylib');
});
