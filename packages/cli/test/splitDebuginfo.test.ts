import t, { type Test } from 'tap';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { assertOk, BIN, copyFixture, run, Store } from './helpers.js';

// `split-debuginfo = "unpacked"` (or "packed") in a cargo profile, a common way
// to cut link times on Linux: the debug info goes to .dwo files beside each
// object (and, packed, into one .dwp per binary at link time). Those files are
// outputs too: a lib's .dwo files are stored with its rlib, and a linking
// crate's go with its objects to -Zlink-only, which packs them or leaves them
// as a plain build does.

/** Files a build leaves that a cache must reproduce: executables, libs, metadata and split DWARF, by path under `dir`. */
function artifacts(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== '.fingerprint' && e.name !== 'incremental') walk(p);
      } else if (e.isFile() && (/\.(dwo|dwp|o|rlib|rmeta|so)$/.test(e.name) || (statSync(p).mode & 0o111) !== 0)) {
        out.set(relative(dir, p), readFileSync(p));
      }
    }
  };
  walk(dir);
  return out;
}

/** `single`: nightly's -Zsplit-dwarf-kind=single, which keeps the DWARF in the objects, and the objects beside the outputs. */
function matchesPlain(mode: 'unpacked' | 'packed', kind: 'split' | 'single' = 'split') {
  return async (t: Test) => {
    const store = new Store();
    t.teardown(() => store.stop());
    const ws = copyFixture();
    const env = { CARGO_PROFILE_DEV_SPLIT_DEBUGINFO: mode, ...(kind === 'single' ? { RUSTFLAGS: '-Zsplit-dwarf-kind=single' } : {}) };
    const build = [...(kind === 'single' ? ['+nightly'] : []), 'build', '--workspace'];
    // The plain build in the same target dir, moved aside: .dwo paths inside the binaries name it.
    assertOk(t, await run('cargo', build, { cwd: ws, env: { ...store.env(env), RUSTC_WRAPPER: '' } }), 'a plain build');
    renameSync(join(ws, 'target'), join(ws, 'target-plain'));
    const plain = artifacts(join(ws, 'target-plain', 'debug'));
    const dwarf = [...plain.keys()].filter((p) => (kind === 'single' ? /\.o$/ : /\.(dwo|dwp)$/).test(p));
    t.ok(dwarf.length > 0, `the plain build wrote ${dwarf.length} split DWARF files`);
    if (kind === 'single') t.ok(dwarf.some((p) => /^deps\/fx_util-[0-9a-f]+\..*\.rcgu\.o$/.test(p)), 'among them a lib\'s objects, which hold its DWARF');
    else if (mode === 'packed') t.ok(dwarf.some((p) => p.endsWith('fx-app.dwp')), 'among them the bin\'s .dwp');
    else t.ok(dwarf.some((p) => /^deps\/fx_util-[0-9a-f]+\..*\.rcgu\.dwo$/.test(p)), 'among them a lib\'s .dwo files');

    assertOk(t, await store.cargo(ws, build, env), 'a cold build through the cache');
    const cold = await store.stats();
    t.same([cold.passthrough, cold.notStored, cold.errors], [{}, {}, {}], 'every call cached: none passed through, none unstored, no faults');
    await store.cargo(ws, ['clean']);
    assertOk(t, await store.cargo(ws, build, env), 'a warm build after cargo clean');
    const warm = await store.stats();
    t.equal(warm.hits, cold.misses, 'every call hits');

    const cached = artifacts(join(ws, 'target', 'debug'));
    t.same([...cached.keys()].sort(), [...plain.keys()].sort(), 'the same files as the plain build, split DWARF included');
    // A proc-macro's .so carries its crate hash, which -Zno-link changes (docs/RELIABILITY.md, known limits).
    const differing = [...plain].filter(([p, bytes]) => !p.endsWith('.so') && !cached.get(p)?.equals(bytes)).map(([p]) => p);
    t.same(differing, [], 'each byte-identical to the plain one (but the proc-macro, a known limit)');
    t.match((await run(join(ws, 'target/debug/fx-app'), [])).stdout, /hello from Greeter/, 'and the bin runs');
  };
}

t.test('split-debuginfo = "unpacked": cached, and the same files as a plain build', matchesPlain('unpacked'));
t.test('split-debuginfo = "packed": cached, and the same files as a plain build', matchesPlain('packed'));
// Found by a hunt over profile settings: a lib's objects, which a plain unpacked build keeps
// beside its rlib when they hold its DWARF, were not stored, so a warm build's binary named
// objects that were not there. Cargo's dev profile is unpacked by default on macOS, where
// the objects always hold the DWARF; on Linux, -Zsplit-dwarf-kind=single does the same.
const noNightly = spawnSync('rustup', ['run', 'nightly', 'rustc', '-V']).status !== 0 && 'nightly is not installed';
t.test('split-debuginfo = "unpacked" with -Zsplit-dwarf-kind=single: a lib\'s objects come back too', { skip: noNightly }, matchesPlain('unpacked', 'single'));

// An unpacked binary names its .dwo files by absolute path, taken from the objects it links. Served
// from another target dir's entries (a second target dir, a worktree), it named that dir's files:
// another version of them once that dir was rebuilt, none once it was cleaned (gdb: "Could not find
// DWO CU", no symbols). Such results now serve their own target dir only (manifestKey.ts, item 17).
t.test('split-debuginfo = "unpacked": a binary names its own target dir\'s .dwo files, never another\'s', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = copyFixture();
  const env = { CARGO_PROFILE_DEV_SPLIT_DEBUGINFO: 'unpacked' };
  const [one, two] = [join(ws, 'target-one'), join(ws, 'target-two')];
  assertOk(t, await store.cargo(ws, ['build'], { ...env, CARGO_TARGET_DIR: one }), 'a build into one target dir');
  assertOk(t, await store.cargo(ws, ['build'], { ...env, CARGO_TARGET_DIR: two, SPLITCACHE_SESSION: 'two' }), 'and into another');
  const dwo = spawnSync('readelf', ['--debug-dump=info', join(two, 'debug', 'fx-app')], { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout
    .split('\n').filter((l) => /DW_AT_(GNU_)?dwo_name/.test(l));
  t.ok(dwo.length > 0, `the binary names ${dwo.length} .dwo files`);
  t.same(dwo.filter((l) => l.includes(one)), [], 'none in the other target dir');
  const missed = (await store.audit('two')).filter((e) => e.outcome === 'miss').map((e) => e.crate);
  t.ok(missed.includes('fx_app'), `the crates with debug info missed there (${missed.join(', ')})`);
  assertOk(t, await store.cargo(ws, ['clean'], { CARGO_TARGET_DIR: two }), 'cargo clean there');
  assertOk(t, await store.cargo(ws, ['build'], { ...env, CARGO_TARGET_DIR: two, SPLITCACHE_SESSION: 'again' }), 'and a build again');
  t.same((await store.audit('again')).filter((e) => e.outcome !== 'hit').map((e) => e.crate), [], 'which hits: its own target dir\'s entries');
});

// A check writes metadata only: no code, so no .dwo name, and nothing ties its results to a target
// dir. Keyed by its out dir like a build's (item 17), a `cargo check` or clippy run in another
// checkout or target dir hit none of its libs (a hunt: 0 of 34 with an unpacked dev profile).
t.test('split-debuginfo = "unpacked": a cargo check in another target dir hits', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = copyFixture();
  const env = { CARGO_PROFILE_DEV_SPLIT_DEBUGINFO: 'unpacked' };
  assertOk(t, await store.cargo(ws, ['check', '--workspace'], { ...env, CARGO_TARGET_DIR: join(ws, 'target-one') }), 'a check into one target dir');
  assertOk(t, await store.cargo(ws, ['check', '--workspace'], { ...env, CARGO_TARGET_DIR: join(ws, 'target-two'), SPLITCACHE_SESSION: 'two' }), 'and into another');
  const calls = await store.audit('two');
  const checked = calls.filter((e) => ['lib', 'bin', 'test'].includes(e.crateType));
  t.ok(checked.length >= 3, `the other dir's check has its libs, bin and test among its calls (${checked.length})`);
  t.same(checked.filter((e) => e.outcome !== 'hit').map((e) => `${e.crate} ${e.outcome}`), [], 'each of them a hit');
});

// A staticlib's archive also holds its allocator shim's object, which rustc removes from the out dir
// even where it keeps the codegen units' objects (`-Zsplit-dwarf-kind=single` here; an Apple target's
// unpacked build, cargo's dev default there): taken for one of those, every such build's ingest
// failed with ENOENT, said so on stderr, and stored nothing (a write-set differential's repro).
t.test('a staticlib whose objects hold its DWARF (unpacked, single): stored, and its objects come back', { skip: noNightly }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = mkdtempSync(join(tmpdir(), 'sc-staticlib-single-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'lib.rs'), '#[no_mangle]\npub extern "C" fn answer() -> u32 { 42 }\n');
  const out = join(dir, 'out');
  const nightly = join(spawnSync('rustc', ['+nightly', '--print', 'sysroot'], { encoding: 'utf8' }).stdout.trim(), 'bin', 'rustc');
  const args = ['--crate-name', 'foo', '--edition=2021', 'lib.rs', '--crate-type', 'staticlib', '--emit=dep-info,link', '-C', 'extra-filename=-abc', '--out-dir', out, '-g', '-C', 'split-debuginfo=unpacked', '-Zsplit-dwarf-kind=single'];
  const files = () => Object.fromEntries(readdirSync(out).sort().map((f) => [f, readFileSync(join(out, f)).toString('base64')]));
  const fresh = () => {
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out);
  };
  fresh();
  const plain = await run(nightly, args, { cwd: dir });
  t.equal(plain.code, 0, 'a plain call builds it');
  const want = files();
  t.ok(Object.keys(want).some((f) => f.endsWith('.rcgu.o')), `and keeps its objects (${Object.keys(want).join(', ')})`);
  for (const outcome of ['miss', 'hit']) {
    fresh();
    const r = await run(BIN, [nightly, ...args], { cwd: dir, env: store.env({ SPLITCACHE_SESSION: outcome }) });
    t.equal(r.code, 0, `${outcome}: builds`);
    t.equal(r.stderr, plain.stderr, `${outcome}: stderr is the plain call's (before: SPLITCACHE_INGEST … ENOENT)`);
    t.same((await store.calls(outcome)).map((e) => e.outcome), [outcome], `a ${outcome}`);
    t.same(files(), want, `${outcome}: the same files, byte for byte`);
  }
});
