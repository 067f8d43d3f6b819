import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, hitRate, run, Store, tempDir, type RunResult } from './helpers.js';

// The cargo flows that build in a directory the user never chose: `cargo install` (a fresh
// `cargo-installXXXX` target dir under TMPDIR each time, from the registry, a git checkout or
// a path), `cargo package` (its verify step builds `target/package/<name>-<ver>/`), and the
// rustdoc flows that read what splitcache replayed (doctests, `cargo doc`). Each is compared
// with plain cargo: exit code, output, the installed binaries' bytes. Registry crates come
// from Debian's librust-*-dev sources through a directory source replacement.
const REGISTRY = '/usr/share/cargo/registry';
const haveCrates = ['os_pipe-', 'libc-'].every((p) => existsSync(REGISTRY) && readdirSync(REGISTRY).some((e) => e.startsWith(p)));
const skip = !haveCrates && 'Debian librust-os-pipe-dev and librust-libc-dev are not installed (see .ci/debian-packages.txt)';

// One store for the file: each test reads its own sessions' calls.
let registryInstalled = false;
const store = new Store();
t.teardown(() => store.stop());
const home = fileTree({ 'config.toml': `[source.crates-io]\nreplace-with = "debian"\n\n[source.debian]\ndirectory = ${JSON.stringify(REGISTRY)}\n` }, 'home');

/** cargo through splitcache (session `session`), or plainly when it is undefined, with this file's CARGO_HOME and a TMPDIR of its own (where `cargo install` makes its target dirs). */
function cargo(cwd: string, args: string[], session: string | undefined, extra: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const env = store.env({ CARGO_HOME: home, CARGO_NET_OFFLINE: 'true', TMPDIR: tmp, SPLITCACHE_SESSION: session ?? '', ...extra });
  if (session === undefined) delete env.RUSTC_WRAPPER;
  return run('cargo', args, { cwd, env });
}
const tmp = tempDir('tmp');

/** Asserts every call of `session` hit, at least `min` of them, bins among them where `bins`. */
async function allHit(t: Test, session: string, min: number, bins = true): Promise<void> {
  const calls = await store.calls(session);
  const r = hitRate(calls);
  t.ok(r.total >= min, `${r.total} cacheable calls (at least ${min})`);
  t.equal(r.rate, 1, `every call hits (missed: ${r.missed.join(', ') || 'none'})`);
  if (bins) t.ok(calls.some((e) => e.outcome === 'hit' && e.crateType === 'bin'), 'bins among the hits');
}

/** Asserts each file of `names` is byte-identical in `dirA` and `dirB`. */
function sameFiles(t: Test, dirA: string, dirB: string, names: string[], what: string): void {
  for (const name of names) t.ok(readFileSync(join(dirA, name)).equals(readFileSync(join(dirB, name))), `${what}: ${name} byte-identical`);
}

/** cargo's stderr with times, and the order of lines cargo prints as jobs finish, taken out. */
const settled = (text: string) =>
  text
    .replace(/ in [0-9.]+m?s\b/g, ' in Xs')
    .split('\n')
    .sort()
    .join('\n');

/** A path crate: a lib with a doctest and code included from its build script's OUT_DIR, a bin with a warning, on os_pipe and libc from the registry. */
function toolCrate(): string {
  return fileTree(
    {
      'Cargo.toml': '[package]\nname = "tool"\nversion = "0.1.0"\nedition = "2021"\ndescription = "a tool"\nlicense = "MIT"\n\n[dependencies]\nos_pipe = "1"\n',
      'build.rs': 'fn main() {\n    let out = std::env::var("OUT_DIR").unwrap();\n    std::fs::write(format!("{out}/gen.rs"), "pub fn answer() -> u32 { let gen_unused = 0; 42 }\\n").unwrap();\n}\n',
      'src/lib.rs':
        '//! A tool.\ninclude!(concat!(env!("OUT_DIR"), "/gen.rs"));\n\n/// Doubles.\n///\n/// ```\n/// assert_eq!(tool::double(2), 4);\n/// ```\npub fn double(x: u32) -> u32 { x * 2 }\n',
      'src/main.rs': 'fn main() {\n    let unused = 1;\n    let (r, w) = os_pipe::pipe().unwrap();\n    drop((r, w));\n    println!("{}", tool::double(tool::answer()));\n}\n',
    },
    'tool',
  );
}

t.test('cargo install from the registry: a second install, in a fresh temp target dir, hits every crate, and the binaries equal a plain install', { skip }, async (t) => {
  const roots = { a: tempDir('root-a'), b: tempDir('root-b'), plain: tempDir('root-plain') };
  const install = ['install', 'os_pipe', '--offline', '--root'];
  assertOk(t, await cargo(tmp, [...install, roots.a], 'reg-a'), 'the first install');
  const b = await cargo(tmp, [...install, roots.b], 'reg-b');
  assertOk(t, b, 'the second install, into another root');
  await allHit(t, 'reg-b', 6);
  // --force over the first root, --locked: the same crates again, in a third temp dir.
  assertOk(t, await cargo(tmp, [...install, roots.a, '--force', '--locked'], 'reg-force'), 'install --force --locked');
  await allHit(t, 'reg-force', 6);
  const plain = await cargo(tmp, [...install, roots.plain], undefined);
  assertOk(t, plain, 'the plain install');
  const bins = readdirSync(join(roots.plain, 'bin'));
  t.same(bins.sort(), ['cat', 'cat_both', 'swap'], "os_pipe's three bins");
  sameFiles(t, join(roots.plain, 'bin'), join(roots.b, 'bin'), bins, 'the second install');
  sameFiles(t, join(roots.plain, 'bin'), join(roots.a, 'bin'), bins, 'the forced install');
  t.equal(settled(b.stderr.replaceAll(roots.b, 'ROOT')), settled(plain.stderr.replaceAll(roots.plain, 'ROOT')), "cargo's output is plain cargo's");
  t.same(readdirSync(tmp).filter((e) => e.startsWith('cargo-install')), [], 'no temp target dir left behind');
  registryInstalled = true;
});

t.test('cargo install --path and from a git checkout, with CARGO_TARGET_DIR and --locked: hits, and the binary equals a plain install', { skip }, async (t) => {
  const crate = toolCrate();
  const roots = { path: tempDir('root-path'), git: tempDir('root-git'), plain: tempDir('root-plain') };
  assertOk(t, await cargo(crate, ['generate-lockfile', '--offline'], undefined), 'a Cargo.lock for --locked');
  // --path builds in the package's own target dir: another one given, the first call's entries serve it.
  const first = await cargo(crate, ['install', '--path', '.', '--offline', '--locked', '--root', roots.path], 'path-a', { CARGO_TARGET_DIR: tempDir('target-a') });
  assertOk(t, first, 'install --path');
  if (registryInstalled) {
    // A second tool sharing the first's dependencies: those hit in its first install.
    const shared = (await store.calls('path-a')).filter((e) => (e.crate === 'libc' || e.crate === 'os_pipe') && e.crateType === 'lib');
    t.same(shared.map((e) => `${e.crate}:${e.outcome}`).sort(), ['libc:hit', 'os_pipe:hit'], "os_pipe's and libc's libs hit for another tool");
  }
  const targetB = tempDir('target-b');
  const second = await cargo(crate, ['install', '--path', '.', '--offline', '--locked', '--force', '--root', roots.path], 'path-b', { CARGO_TARGET_DIR: targetB });
  assertOk(t, second, 'install --path again, into another CARGO_TARGET_DIR');
  await allHit(t, 'path-b', 6);
  t.match(second.stderr, /warning: unused variable: `unused`\n --> src\/main\.rs:2:9/, "the bin's warning replayed");
  // A warning in OUT_DIR's generated code names this install's target dir, not the first one's.
  const genWarning = (r: RunResult) => /unused variable: `gen_unused`\n --> ([^:\s]+):/.exec(r.stderr)?.[1];
  t.match(genWarning(second), new RegExp(`^${targetB}/release/build/tool-[0-9a-f]+/out/gen\\.rs$`), "the generated code's warning names the second target dir");
  // A git checkout (under CARGO_HOME) built in a temp target dir: the path install's entries serve it.
  const git = (args: string[]) => execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd: crate });
  writeFileSync(join(crate, '.gitignore'), 'target\n');
  git(['init', '-q']);
  git(['add', '-A']);
  git(['commit', '-qm', 'tool']);
  const url = `file://${crate}`;
  const fromGit = await cargo(tmp, ['install', '--git', url, '--root', roots.git], 'git', { CARGO_NET_OFFLINE: 'false' });
  assertOk(t, fromGit, 'install --git');
  t.match(genWarning(fromGit), new RegExp(`^${tmp}/cargo-install[^/]+/release/build/tool-[0-9a-f]+/out/gen\\.rs$`), "the generated code's warning names the install's temp dir");
  await allHit(t, 'git', 6);
  assertOk(t, await cargo(tmp, ['install', '--git', url, '--root', roots.plain], undefined, { CARGO_NET_OFFLINE: 'false' }), 'the plain install --git');
  sameFiles(t, join(roots.plain, 'bin'), join(roots.git, 'bin'), ['tool'], 'install --git');
  sameFiles(t, join(roots.plain, 'bin'), join(roots.path, 'bin'), ['tool'], 'install --path');
  t.equal((await run(join(roots.git, 'bin', 'tool'), [])).stdout, '84\n', 'the installed tool runs');
});

t.test('cargo package and publish --dry-run after a build: the verify build hits, the .crate and output equal plain cargo, and a file left out of the package still fails it', { skip }, async (t) => {
  const crate = toolCrate();
  const plainCopy = tempDir('plain');
  rmSync(plainCopy, { recursive: true });
  execFileSync('cp', ['-r', crate, plainCopy]);
  const runs: Record<string, RunResult> = {};
  for (const [dir, session] of [
    [crate, 'pkg'],
    [plainCopy, undefined],
  ] as const) {
    assertOk(t, await cargo(dir, ['build', '--offline'], session && 'pkg-build'), 'cargo build');
    runs[session ?? 'plain'] = await cargo(dir, ['package', '--offline', '--allow-dirty'], session);
    assertOk(t, runs[session ?? 'plain']!, `cargo package (${session ? 'splitcache' : 'plain'})`);
  }
  await allHit(t, 'pkg', 3);
  const crateFile = join('target', 'package', 'tool-0.1.0.crate');
  t.ok(readFileSync(join(crate, crateFile)).equals(readFileSync(join(plainCopy, crateFile))), 'the .crate is plain cargo\'s');
  t.equal(settled(runs.pkg!.stderr.replaceAll(crate, 'DIR')), settled(runs.plain!.stderr.replaceAll(plainCopy, 'DIR')), "cargo's output is plain cargo's");
  // cargo publish --dry-run verifies the same way, here against a local git index (no upload).
  const index = fileTree({ 'config.json': '{"dl":"file:///nowhere","api":"http://127.0.0.1:9/"}\n' }, 'index');
  for (const args of [['init', '-q'], ['add', '-A'], ['commit', '-qm', 'index']]) execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd: index });
  const publish = ['publish', '--dry-run', '--allow-dirty', '--registry', 'loc', '--config', `registries.loc.index="file://${index}"`];
  const published = await cargo(crate, publish, 'publish', { CARGO_NET_OFFLINE: 'false' });
  const plainPublished = await cargo(plainCopy, publish, undefined, { CARGO_NET_OFFLINE: 'false' });
  assertOk(t, published, 'cargo publish --dry-run');
  assertOk(t, plainPublished, 'plain cargo publish --dry-run');
  await allHit(t, 'publish', 3);
  t.equal(settled(published.stderr.replaceAll(crate, 'DIR')), settled(plainPublished.stderr.replaceAll(plainCopy, 'DIR')), "publish's output is plain cargo's");
  // The verify step is there to catch a file the package lacks: a hit must not hide it.
  writeFileSync(join(crate, 'data.txt'), 'data\n');
  writeFileSync(join(crate, 'Cargo.toml'), readFileSync(join(crate, 'Cargo.toml'), 'utf8').replace('license = "MIT"\n', 'license = "MIT"\nexclude = ["data.txt"]\n'));
  writeFileSync(join(crate, 'src', 'main.rs'), readFileSync(join(crate, 'src', 'main.rs'), 'utf8').replace('fn main() {\n', 'fn main() {\n    print!("{}", include_str!("../data.txt"));\n'));
  assertOk(t, await cargo(crate, ['build', '--offline'], 'pkg-excluded-build'), 'the crate builds in its checkout');
  const excluded = await cargo(crate, ['package', '--offline', '--allow-dirty'], 'pkg-excluded');
  t.equal(excluded.code, 101, 'cargo package fails, as plain cargo does');
  t.match(excluded.stderr, /failed to verify package tarball/);
});

t.test('doctests and cargo doc after a warm build read the rlibs and rmeta files splitcache replayed: the same as plain cargo', { skip }, async (t) => {
  const crate = toolCrate();
  const results = (text: string) => text.split('\n').filter((l) => /^test .* \.\.\. /.test(l)).sort();
  /** cargo test (doctests included) and cargo doc from a clean target dir: the tests' results and each doc file's digest. */
  const testAndDoc = async (session: string | undefined) => {
    rmSync(join(crate, 'target'), { recursive: true, force: true });
    const what = session ?? 'plain';
    const tests = await cargo(crate, ['test', '--offline'], session);
    assertOk(t, tests, `cargo test (${what})`);
    assertOk(t, await cargo(crate, ['test', '--doc', '--offline'], session), `cargo test --doc (${what})`);
    assertOk(t, await cargo(crate, ['doc', '--no-deps', '--offline'], session), `cargo doc (${what})`);
    const docs: Record<string, string> = {};
    for (const file of execFileSync('find', ['target/doc', '-type', 'f'], { cwd: crate, encoding: 'utf8' }).split('\n').filter(Boolean)) {
      docs[file] = createHash('sha256').update(readFileSync(join(crate, file))).digest('hex');
    }
    return { tests: results(tests.stdout), docs };
  };
  const plain = await testAndDoc(undefined);
  t.ok(plain.tests.some((l) => l.includes('src/lib.rs - double')), 'the doctest runs');
  t.ok('target/doc/tool/fn.double.html' in plain.docs, 'the docs name double');
  await testAndDoc('doc-cold');
  const warm = await testAndDoc('doc-warm');
  await allHit(t, 'doc-warm', 8, false);
  t.same(warm.tests, plain.tests, 'the same tests pass');
  t.same(warm.docs, plain.docs, 'the same doc files, byte for byte');
});
