import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, run, Store, tempDir } from './helpers.js';

// `--target mytgt` names a custom target that rustc finds as mytgt.json in
// RUST_TARGET_PATH (or in its working directory when that is unset). Its spec
// decides the code and the cfgs, so an edited spec must miss: with only the
// name in the key, the call hit and got the rlib built for the old spec.
// Custom targets need -Zunstable-options, so a nightly; the crate is #![no_core],
// as no std is built for such a target.
const nightlySysroot = spawnSync('rustc', ['+nightly', '--print', 'sysroot'], { encoding: 'utf8' }).stdout?.trim();
const nightly = nightlySysroot ? join(nightlySysroot, 'bin', 'rustc') : '';

/** The host's spec as a custom target's, with `vendor` set: a crate's cfg(target_vendor) sees it. */
function writeSpec(path: string, vendor: string): void {
  const r = spawnSync(nightly, ['-Zunstable-options', '--print', 'target-spec-json', '--target', 'x86_64-unknown-linux-gnu'], { encoding: 'utf8' });
  const spec = JSON.parse(r.stdout) as Record<string, unknown>;
  delete spec['is-builtin'];
  spec.vendor = vendor;
  writeFileSync(path, JSON.stringify(spec, null, 1));
}

const SOURCE =
  '#![feature(no_core)]\n#![no_core]\n#[cfg(target_vendor = "two")]\npub mod built_for_two {}\n#[cfg(target_vendor = "four")]\npub mod built_for_four {}\n';

t.test('a custom target found by name misses when its spec changes', { skip: !nightly && 'no nightly toolchain' }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = tempDir('custom-target');
  writeFileSync(join(dir, 'lib.rs'), SOURCE);
  for (const where of ['RUST_TARGET_PATH', 'the working directory']) {
    const specs = where === 'RUST_TARGET_PATH' ? tempDir('specs') : dir;
    const specEnv = where === 'RUST_TARGET_PATH' ? { RUST_TARGET_PATH: specs } : {};
    const spec = join(specs, 'mytgt.json');
    const call = async (out: string, cached: boolean) => {
      mkdirSync(join(dir, out), { recursive: true });
      const args = ['-Zunstable-options', '--crate-name', 'tm', '--crate-type', 'rlib', '--emit=dep-info,link', '--target', 'mytgt', '--out-dir', join(dir, out), 'lib.rs'];
      const env = { ...store.env({ SPLITCACHE_SESSION: out }), ...specEnv };
      if (where !== 'RUST_TARGET_PATH') delete env.RUST_TARGET_PATH;
      const r = cached ? await run(BIN, [nightly, ...args], { cwd: dir, env }) : await run(nightly, args, { cwd: dir, env });
      t.equal(r.code, 0, `${out} compiles (${where})`);
      return readFileSync(join(dir, out, 'libtm.rlib'));
    };
    const session = where === 'RUST_TARGET_PATH' ? 'path' : 'cwd';
    // Vendors of their own in each round, so the second round's specs are new to the store.
    writeSpec(spec, session === 'path' ? 'one' : 'three');
    await call(`${session}-one`, true);
    writeSpec(spec, session === 'path' ? 'two' : 'four');
    const cached = await call(`${session}-two`, true);
    const plain = await call(`${session}-plain`, false);
    t.ok(cached.equals(plain), `after the spec changed, the cached rlib is a plain call's (${where}; old code: the old spec's)`);
    t.same((await store.calls(`${session}-two`)).map((e) => e.outcome), ['miss'], 'the edited spec misses');
    const again = await call(`${session}-again`, true);
    t.ok(again.equals(plain), 'and the same spec again gives it');
    t.same((await store.calls(`${session}-again`)).map((e) => e.outcome), ['hit'], 'from a hit');
  }
});

t.test("an Apple target's deployment version (MACOSX_DEPLOYMENT_TARGET) is keyed: rustc reads it with no word in dep-info", { skip: !nightly && 'no nightly toolchain' }, async (t) => {
  // The version goes into each object's LC_BUILD_VERSION (the oldest macOS it runs on). Unkeyed,
  // a call after it was raised from 11.0 to 13.0 hit, and its objects said 11.0 (an env-var
  // audit's repro). A no_core crate: no std is installed for the target here, and none is needed.
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = tempDir('apple-target');
  writeFileSync(join(dir, 'm.rs'), [
    '#![feature(no_core, lang_items)]',
    '#![no_core]',
    '#[lang = "pointee_sized"] pub trait PointeeSized {}',
    '#[lang = "meta_sized"] pub trait MetaSized: PointeeSized {}',
    '#[lang = "sized"] pub trait Sized: MetaSized {}',
    '#[no_mangle] pub extern "C" fn f() {}',
    '',
  ].join('\n'));
  const call = async (out: string, version: string, cached: boolean) => {
    mkdirSync(join(dir, out), { recursive: true });
    const args = ['--crate-name', 'm', '--crate-type', 'lib', '--target', 'aarch64-apple-darwin', '--emit=dep-info,metadata,link', '-C', 'opt-level=1', '--out-dir', join(dir, out), 'm.rs'];
    const env = { ...store.env({ SPLITCACHE_SESSION: out }), MACOSX_DEPLOYMENT_TARGET: version };
    const r = cached ? await run(BIN, [nightly, ...args], { cwd: dir, env }) : await run(nightly, args, { cwd: dir, env });
    t.equal(r.code, 0, `${out} compiles (${r.stderr.trim()})`);
    return readFileSync(join(dir, out, 'libm.rlib'));
  };
  const eleven = await call('eleven', '11.0', true);
  const thirteen = await call('thirteen', '13.0', true);
  const plain = await call('plain', '13.0', false);
  t.notOk(eleven.equals(plain), "the version is in the rlib's object (else this test shows nothing)");
  t.ok(thirteen.equals(plain), "after it was raised, the cached rlib is a plain call's (old code: 11.0's, from a hit)");
  t.same((await store.calls('thirteen')).map((e) => e.outcome), ['miss'], 'the new version misses');
  const again = await call('again', '13.0', true);
  t.ok(again.equals(plain), 'and the same version again gives it');
  t.same((await store.calls('again')).map((e) => e.outcome), ['hit'], 'from a hit');
});
