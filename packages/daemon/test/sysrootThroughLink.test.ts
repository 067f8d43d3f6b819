import t, { type Test } from 'tap';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { customSysrootLibs } from '../src/customSysroot.js';
import { namedTargetSpec } from '../src/targetSpecFile.js';

// A path with `..` after a symlink names, as the kernel (and rustc) opens it, a sibling of the
// link's target. path.join() drops `link/..` lexically and names a sibling of the link instead
// (inputPath.ts): the key then held the libraries or spec of a dir rustc never read, and a std
// rebuilt in the custom sysroot rustc reads hit with objects that inlined the old one.

const TRIPLE = 'x86_64-unknown-linux-gnu';

/** `<root>/real/deep` and `<root>/real/sysroot` (the one rustc reads), `<root>/link -> real/deep`, and `<root>/sysroot`, a decoy beside the link. */
function tree(t: Test): { root: string; real: string; decoy: string } {
  const root = mkdtempSync(join(tmpdir(), 'sysroot-link-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'real', 'deep'), { recursive: true });
  symlinkSync(join(root, 'real', 'deep'), join(root, 'link'));
  const real = join(root, 'real', 'sysroot');
  const decoy = join(root, 'sysroot');
  for (const [dir, lib] of [[real, 'libstd-real.rlib'], [decoy, 'libstd-decoy.rlib']] as const) {
    mkdirSync(join(dir, 'lib', 'rustlib', TRIPLE, 'lib'), { recursive: true });
    writeFileSync(join(dir, 'lib', 'rustlib', TRIPLE, 'lib', lib), lib);
    writeFileSync(join(dir, 'lib', 'rustlib', TRIPLE, 'target.json'), `{"which": "${lib}"}`);
  }
  return { root, real, decoy };
}

t.test('a --sysroot with `..` after a symlink: the libraries of the sysroot rustc opens are keyed', async (t) => {
  const { root } = tree(t);
  const own = mkdtempSync(join(tmpdir(), 'own-sysroot-'));
  t.teardown(() => rmSync(own, { recursive: true, force: true }));
  const libs = customSysrootLibs('link/../sysroot', root, own, TRIPLE) ?? [];
  t.equal(libs.length, 1, `one library: ${libs.join(' ')}`);
  t.match(libs[0] ?? '', /libstd-real\.rlib$/, "the real sysroot's, not the decoy's beside the link");
});

t.test("a target found by name in such a sysroot, or in such a RUST_TARGET_PATH entry: the spec rustc reads", async (t) => {
  const { root } = tree(t);
  const inSysroot = namedTargetSpec(TRIPLE, {}, root, `${root}/link/../sysroot`);
  t.match(inSysroot ?? '', /\/link\/\.\.\/sysroot\//, `the sysroot's spec, as rustc opens it: ${inSysroot}`);
  const specs = join(root, 'real', 'specs');
  mkdirSync(specs);
  writeFileSync(join(specs, 'custom.json'), '{}');
  mkdirSync(join(root, 'specs'));
  writeFileSync(join(root, 'specs', 'custom.json'), '{"decoy": true}');
  const onPath = namedTargetSpec('custom', { RUST_TARGET_PATH: `${root}/link/../specs` }, root, '/nonexistent');
  t.equal(onPath, `${root}/link/../specs/custom.json`, 'the RUST_TARGET_PATH entry joined as text');
});
