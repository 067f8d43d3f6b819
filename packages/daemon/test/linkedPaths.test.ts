import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileDigestMemo, initHash } from '@splitcache/hash';
import { clippyConfFile } from '../src/clippyConf.js';
import { compilerFile } from '../src/compilerFile.js';
import { outDirThroughLink } from '../src/inputPath.js';
import { staticLibDigest } from '../src/staticLibDigest.js';

// Paths rustc, clippy or execvp open with `..` after a symlink, which the kernel takes from where
// the link points and path.resolve() from the link's parent: each of these looked at another file
// than the one opened, and a changed file was in no key (a path audit helper's repros, false hits).

/** `<base>/real/a/b` and `<base>/link` → `real/a`: `link/..` is `real` to the kernel, `<base>` to path.resolve. */
function linked(t: Test) {
  const base = mkdtempSync(join(tmpdir(), 'linked-paths-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  mkdirSync(join(base, 'real', 'a', 'b'), { recursive: true });
  symlinkSync(join(base, 'real', 'a'), join(base, 'link'));
  return base;
}

t.test("a thin archive's members, found through `link/..`", async (t) => {
  await initHash();
  const base = linked(t);
  const vendor = join(base, 'real', 'vendor');
  mkdirSync(vendor);
  mkdirSync(join(base, 'vendor')); // beside the link: what path.resolve() named
  writeFileSync(join(vendor, 'foo.o'), 'one');
  execFileSync('ar', ['rcsT', 'libfoo.a', 'foo.o'], { cwd: vendor }); // members named relative to the archive
  const lib = `${base}/link/../vendor/libfoo.a`;
  const before = await staticLibDigest(lib, new FileDigestMemo());
  writeFileSync(join(vendor, 'foo.o'), 'two'); // the member rebuilt; the thin archive's own bytes stay
  const after = await staticLibDigest(lib, new FileDigestMemo());
  t.not(after, before, 'a rebuilt member changes the digest');
  t.notMatch(after, /absent/, 'every member found');
});

t.test('a compiler named through `link/..`, by path or through PATH', async (t) => {
  const base = linked(t);
  for (const dir of [join(base, 'real', 'bin'), join(base, 'bin')]) {
    mkdirSync(dir);
    writeFileSync(join(dir, 'rustc'), '#!/bin/sh\n');
    chmodSync(join(dir, 'rustc'), 0o755);
  }
  t.equal(compilerFile('link/../bin/rustc', base, undefined), `${base}/link/../bin/rustc`, 'by a relative path: as execvp opens it');
  t.equal(compilerFile('rustc', base, `${base}/link/../bin`), `${base}/link/../bin/rustc`, 'through a PATH entry');
  t.equal(compilerFile('rustc', base, `${base}/real/bin/`), `${base}/real/bin/rustc`, 'a PATH entry with a trailing slash names the file as before');
  // `.` segments and repeated slashes mean the same through any link: tidied, as path.join did, so the identity's memo keeps its name.
  t.equal(compilerFile('rustc', join(base, 'real', 'bin'), '.'), `${base}/real/bin/rustc`, 'a PATH entry `.`');
  t.equal(compilerFile('rustc', join(base, 'real', 'bin'), `:${base}/bin`), `${base}/real/bin/rustc`, "an empty PATH entry: the call's cwd, not the daemon's");
  t.equal(compilerFile('rustc', base, `${base}/real//bin/.`), `${base}/real/bin/rustc`, 'with `//` and a trailing `/.`');
  t.equal(compilerFile('./real/bin/rustc', base, undefined), `${base}/real/bin/rustc`, 'a program `./…`');
  writeFileSync(join(base, 'a-file'), '');
  t.equal(compilerFile('rustc', base, `${base}/a-file:${base}/real/bin`), `${base}/real/bin/rustc`, 'past a PATH entry that is a file (ENOTDIR), as execvp goes on');
  // execvp passes over a `rustc` it may not run: keyed, that one's identity stood for the compiler that ran.
  mkdirSync(join(base, 'noexec'));
  writeFileSync(join(base, 'noexec', 'rustc'), '#!/bin/sh\n');
  t.equal(compilerFile('rustc', base, `${base}/noexec:${base}/real/bin`), `${base}/real/bin/rustc`, 'past a file without an execute bit, as execvp goes on');
});

t.test("clippy.toml, looked for from the package dir's real path, as clippy climbs", async (t) => {
  const base = linked(t);
  writeFileSync(join(base, 'real', 'clippy.toml'), 'too-many-arguments-threshold = 2\n');
  const conf = clippyConfFile({ CARGO_MANIFEST_DIR: join(base, 'link', 'b') }, base);
  t.equal(conf?.file, join(base, 'real', 'clippy.toml'), 'the real parent\'s, which clippy reads');
  writeFileSync(join(base, 'real', '.clippy.toml'), 'too-many-arguments-threshold = 3\n');
  t.same(clippyConfFile({ CARGO_MANIFEST_DIR: join(base, 'link', 'b') }, base), { file: join(base, 'real', '.clippy.toml'), shadowed: join(base, 'real', 'clippy.toml') }, '`.clippy.toml` first, as clippy takes it');
});

t.test('an --out-dir with `..` after a link runs plainly; one without a link does not', async (t) => {
  const base = linked(t);
  t.equal(outDirThroughLink('link/../out', base), 'out-dir-through-link', 'relative');
  t.equal(outDirThroughLink(`${base}/link/../target/debug/deps`, '/'), 'out-dir-through-link', 'absolute, as cargo passes --target-dir link/../target');
  t.equal(outDirThroughLink('real/a/../out', base), undefined, '`..` after a real dir: the same dir either way');
  t.equal(outDirThroughLink(`${base}/link/b/out`, '/'), undefined, 'a link with no `..` after it');
});
