import t from 'tap';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, BIN, fileTree, realRustc, run, Store, tempDir } from './helpers.js';
import { producerAndReader } from './remoteHelpers.js';

// rustc reads `mod foo;` from src/foo.rs or src/foo/mod.rs, and refuses the crate when both
// are there (E0761). dep-info names only the file it read, so a foo/mod.rs added beside
// foo.rs changed no input: a clean build hit, green where a plain build fails.

const pkg = () =>
  fileTree({
    'Cargo.toml': '[package]\nname = "shadowed"\nversion = "0.1.0"\nedition = "2021"\n',
    'src/main.rs': 'mod foo;\nmod nested;\nfn main() { println!("{} {}", foo::x(), nested::y()); }\n',
    'src/foo.rs': 'pub fn x() -> u32 { 1 }\n',
    // A module in a file that is not a mod.rs: its own module is looked up in nested/.
    'src/nested.rs': 'mod inner;\npub fn y() -> u32 { inner::z() }\n',
    'src/nested/inner.rs': 'pub fn z() -> u32 { 10 }\n',
  });

t.test('a module file added beside the one rustc read misses, and fails as a plain build does', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = pkg();
  const build = async (session: string) => {
    await store.cargo(ws, ['clean']);
    return store.cargo(ws, ['build'], { SPLITCACHE_SESSION: session });
  };
  const plain = async () => {
    await run('cargo', ['clean'], { cwd: ws });
    return run('cargo', ['build'], { cwd: ws, env: { ...process.env, CARGO_INCREMENTAL: '0', RUSTC_WRAPPER: '' } });
  };
  const outcomes = async (session: string) => (await store.calls(session)).map((e) => e.outcome);
  const prints = async () => (await run(join(ws, 'target/debug/shadowed'), [])).stdout;

  assertOk(t, await build('one'), 'the first build');
  t.same(await outcomes('one'), ['miss']);
  t.equal(await prints(), '1 10\n');

  for (const [added, remove] of [['src/foo/mod.rs', 'src/foo'], ['src/nested/inner/mod.rs', 'src/nested/inner']] as const) {
    mkdirSync(join(ws, remove), { recursive: true });
    writeFileSync(join(ws, added), 'pub fn x() -> u32 { 2 }\npub fn z() -> u32 { 20 }\n');
    const p = await plain();
    t.not(p.code, 0, `with ${added} added, a plain build fails`);
    t.match(p.stderr, /E0761/, 'rustc finds the module in two files');
    const r = await build(`with-${added}`);
    t.not(r.code, 0, 'so does one through splitcache (before: a hit, and green)');
    t.match(r.stderr, /E0761/, 'with the same error');
    t.notOk((await store.calls(`with-${added}`)).some((e) => e.outcome === 'hit'), 'nothing was served');
    rmSync(join(ws, remove), { recursive: true });
    assertOk(t, await build(`without-${added}`), `with ${added} gone again`);
    t.same(await outcomes(`without-${added}`), ['hit'], 'the first result is served again');
  }

  // The module moved into its directory: the result reads foo/mod.rs and records foo.rs as a place with no file.
  mkdirSync(join(ws, 'src/foo'));
  writeFileSync(join(ws, 'src/foo/mod.rs'), 'pub fn x() -> u32 { 3 }\n');
  rmSync(join(ws, 'src/foo.rs'));
  assertOk(t, await build('moved'), 'foo.rs moved to foo/mod.rs');
  t.same(await outcomes('moved'), ['miss']);
  t.equal(await prints(), '3 10\n');
  writeFileSync(join(ws, 'src/foo.rs'), 'pub fn x() -> u32 { 1 }\n');
  const both = await build('both');
  t.match(both.stderr, /E0761/, 'foo.rs back beside it: E0761 again, not the result with foo/mod.rs');

  const explain = await store.splitcache(['explain', 'shadowed', '--session', 'moved']);
  t.match(explain.stdout, /file:src\/foo\/mod\.rs\n\s+before: \(no file\)\n\s+now: +[0-9a-f]{32}\n/, '`explain` says foo/mod.rs was no file before');
  t.match(explain.stdout, /file:src\/foo\.rs\n\s+before: [0-9a-f]{32}\n\s+now: +\(no file\)\n/, 'and foo.rs is none now');
});

t.test('from a remote: a reader with the other module file beside misses; one without hits', async (t) => {
  const { b, wsB } = await producerAndReader(t, pkg());
  mkdirSync(join(wsB, 'src/foo'));
  writeFileSync(join(wsB, 'src/foo/mod.rs'), 'pub fn x() -> u32 { 2 }\n');
  const r = await b.cargo(wsB, ['build'], { SPLITCACHE_SESSION: 'shadowed' });
  t.not(r.code, 0, 'runner B, with foo/mod.rs beside foo.rs, fails');
  t.match(r.stderr, /E0761/);
  t.notOk((await b.calls('shadowed')).some((e) => e.outcome === 'hit'), 'A\'s result was not served');

  rmSync(join(wsB, 'src/foo'), { recursive: true });
  assertOk(t, await b.cargo(wsB, ['build'], { SPLITCACHE_SESSION: 'clean' }), 'without it');
  const calls = await b.calls('clean');
  t.same(calls.map((e) => [e.outcome, e.origin]), [['hit', 'remote']], 'a remote hit');
});

t.test('a module file that appears while rustc runs: nothing is stored, since rustc may have looked before it came', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const real = await realRustc();
  const dir = fileTree({ 'src/main.rs': 'mod foo;\nfn main() { println!("{}", foo::x()); }\n', 'src/foo.rs': 'pub fn x() -> u32 { 1 }\n' }, 'appearing');
  mkdirSync(join(dir, 'out'));
  // A compiler that, once the real one has read the crate, writes src/foo/mod.rs beside src/foo.rs (an editor saving it mid-build).
  const rustc = join(tempDir('rustc'), 'rustc');
  writeFileSync(rustc, `#!/bin/sh\n'${real}' "$@"; code=$?\ncase " $* " in *" --crate-name "*) mkdir -p '${dir}/src/foo'; echo 'pub fn x() -> u32 { 2 }' > '${dir}/src/foo/mod.rs' ;; esac\nexit $code\n`, { mode: 0o755 });
  const args = ['--crate-name', 'appearing', '--edition=2021', 'src/main.rs', '--crate-type', 'bin', '--emit=dep-info,link', '-C', 'extra-filename=-t', '--out-dir', join(dir, 'out')];
  assertOk(t, await run(BIN, [rustc, ...args], { cwd: dir, env: store.env({ SPLITCACHE_SESSION: 'during' }) }), 'the build that saw foo.rs alone');
  t.ok(existsSync(join(dir, 'src/foo/mod.rs')), 'foo/mod.rs appeared as it ran');
  t.same((await store.stats()).notStored, { 'input-modified-during-compile': 1 }, 'its result was not stored (before: stored, foo/mod.rs not recorded)');
  const again = await run(BIN, [real, ...args], { cwd: dir, env: store.env({ SPLITCACHE_SESSION: 'after' }) });
  t.match(again.stderr, /E0761/, 'the next build fails as a plain one does, and is served nothing');
  t.notOk((await store.calls('after')).some((e) => e.outcome === 'hit'));
});
