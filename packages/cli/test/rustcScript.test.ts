import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, realRustc, run, Store, tempDir } from './helpers.js';

// `RUSTC` may name a script in front of the real rustc that adds flags of its own.
// Such a script answers `-vV` and `--print sysroot` as the rustc behind it, so the
// flags it adds are in no argument the wrapper sees: the script itself must be
// part of the compiler's identity, or a build after an edit to it gets what the
// old flags compiled.

const MAIN = 'fn main() {\n    if cfg!(from_script) { println!("flag on"); } else { println!("flag off"); }\n}\n';
const MANIFEST = '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n[lints.rust]\nunexpected_cfgs = { level = "allow" }\n';

/** A `rustc` script in `dir` that runs the real one with `extra` appended to its arguments. */
async function rustcScript(dir: string, extra: string): Promise<string> {
  const rustc = join(dir, 'rustc');
  writeFileSync(rustc, `#!/bin/sh\nexec '${await realRustc()}' "$@"${extra}\n`, { mode: 0o755 });
  return rustc;
}

t.test('a RUSTC script whose added flags change misses, and builds what plain cargo builds with it', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree({ 'Cargo.toml': MANIFEST, 'src/main.rs': MAIN }, 'rustc-script');
  const bin = tempDir('rustc-bin');
  const rustc = join(bin, 'rustc');
  const script = (extra: string) => rustcScript(bin, extra);
  const app = join(ws, 'target', 'debug', 'app');
  const build = async (session: string, wrapped = true) => {
    assertOk(t, await run('cargo', ['clean'], { cwd: ws }), 'cargo clean');
    const env = store.env({ RUSTC: rustc, SPLITCACHE_SESSION: session, ...(wrapped ? {} : { RUSTC_WRAPPER: undefined }) });
    assertOk(t, await run('cargo', ['build'], { cwd: ws, env }), `cargo build (${session})`);
    return (await run(app, [])).stdout;
  };

  await script('');
  t.equal(await build('plain', false), 'flag off\n', 'plain cargo through the script as it is');
  t.equal(await build('first'), 'flag off\n', 'the same through splitcache');
  t.same((await store.calls('first')).map((e) => e.outcome), ['miss']);

  await script(' --cfg from_script');
  t.equal(await build('plain-edited', false), 'flag on\n', 'plain cargo, after `cargo clean`, compiles with the flag the script now adds');
  t.equal(await build('edited'), 'flag on\n', 'and so does splitcache (before, it served the binary compiled without the flag)');
  t.same((await store.calls('edited')).map((e) => e.outcome), ['miss'], 'a miss: the script is another compiler now');

  assertOk(t, await store.splitcache(['server', 'stop']), 'a new daemon, which finds the identity recorded');
  t.equal(await build('again'), 'flag on\n', 'the binary with the flag');
  t.same((await store.calls('again')).map((e) => e.outcome), ['hit'], 'the unchanged script hits');
});

t.test('a bare RUSTC=rustc is the one the PATH of the call finds', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree({ 'Cargo.toml': MANIFEST, 'src/main.rs': MAIN }, 'rustc-on-path');
  const plainDir = tempDir('rustc-plain');
  const flagDir = tempDir('rustc-flag');
  await rustcScript(plainDir, '');
  await rustcScript(flagDir, ' --cfg from_script');
  const build = async (dir: string, session: string) => {
    assertOk(t, await run('cargo', ['clean'], { cwd: ws }), 'cargo clean');
    const env = store.env({ RUSTC: 'rustc', PATH: `${dir}:${process.env.PATH}`, SPLITCACHE_SESSION: session });
    assertOk(t, await run('cargo', ['build'], { cwd: ws, env }), `cargo build (${session})`);
    return (await run(join(ws, 'target', 'debug', 'app'), [])).stdout;
  };
  t.equal(await build(plainDir, 'plain'), 'flag off\n', 'through the rustc in one dir');
  t.equal(await build(flagDir, 'flag'), 'flag on\n', 'through the one in the other, which adds a flag (before: the first binary, served)');
  t.same((await store.calls('flag')).map((e) => e.outcome), ['miss'], 'a miss');
  t.equal(await build(plainDir, 'plain-again'), 'flag off\n');
  t.same((await store.calls('plain-again')).map((e) => e.outcome), ['hit'], 'and the first rustc hits again');
});

t.test('a RUSTC script that sets RUSTC_BOOTSTRAP=1 itself builds a crate using #![feature] as plain cargo does', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree({
    'Cargo.toml': MANIFEST,
    'src/main.rs': '#![feature(never_type)]\nfn f() -> Result<u8, !> { Ok(7) }\nfn main() { println!("{:?}", f()); }\n',
  }, 'rustc-boot');
  const rustc = join(tempDir('rustc-boot'), 'rustc');
  writeFileSync(rustc, `#!/bin/sh\nRUSTC_BOOTSTRAP=1 exec '${await realRustc()}' "$@"\n`, { mode: 0o755 });
  const app = join(ws, 'target', 'debug', 'app');
  assertOk(t, await run('cargo', ['build'], { cwd: ws, env: { ...process.env, CARGO_INCREMENTAL: '0', RUSTC: rustc } }), 'plain cargo builds it');
  const plain = readFileSync(app);
  for (const session of ['cold', 'warm']) {
    assertOk(t, await run('cargo', ['clean'], { cwd: ws }), 'cargo clean');
    const r = await store.cargo(ws, ['build'], { RUSTC: rustc, SPLITCACHE_SESSION: session });
    assertOk(t, r, `so does splitcache, ${session} (before: E0725, the -Zno-link half refused the feature)`);
    t.same(readFileSync(app), plain, 'byte-identical to the plain build (v0 mangling, as RUSTC_BOOTSTRAP=1 gives it)');
  }
  t.same((await store.calls('warm')).map((e) => e.outcome), ['hit'], 'and cached');
});
