import t from 'tap';
import { PrefixTable } from '@splitcache/paths';
import { parseInvocation } from '@splitcache/rustc';
import { freeFromCovers, freeFroms, normaliseKeyedArg } from '../src/remapFlagKey.js';

// A registry crate built in its own dir into a target dir outside the checkout: a FROM naming the
// checkout covers none of its paths, and is keyed as covering nothing (CI's shape; a hunt: 8 hits of 72).

const REG = '/reg/dep-1.0';
const SYSROOT = '/toolchains/stable';

/** A registry crate's call with `extra` flags, its prefix table and the FROMs keyed as covering nothing. */
function call(extra: string[], env: Record<string, string> = {}, trees: string[] = []) {
  const args = ['--crate-name', 'dep', '--crate-type', 'lib', 'src/lib.rs', '--out-dir', '/cache/t/debug/deps', '-L', 'dependency=/cache/t/debug/deps', '--extern', 'a=/cache/t/debug/deps/liba-1.rlib', ...extra];
  const inv = parseInvocation(args);
  const table = new PrefixTable([{ name: 'sysroot', path: SYSROOT }, { name: 'cwd', path: REG }, { name: 'pkg', path: REG }, { name: 'registry', path: '/reg' }, { name: 'target', path: '/cache/t' }, { name: 'tmp', path: '/tmp' }]);
  const free = freeFroms(inv, REG, REG, { CARGO_MANIFEST_DIR: REG, ...env }, table, SYSROOT, trees);
  const keyed = extra.filter((a) => a.startsWith('--remap-path-prefix=')).map((a) => normaliseKeyedArg(a, table, free));
  return { free, keyed };
}

t.test('a FROM covering no path of the call is keyed as covering nothing: two checkouts share the key', async (t) => {
  const a = call(['--remap-path-prefix=/tmp/ci-a/ws=/build']);
  const b = call(['--remap-path-prefix=/tmp/ci-b/ws=/build']);
  t.same(a.free, ['/tmp/ci-a/ws']);
  t.same(a.keyed, b.keyed, 'one key in either checkout');
  t.not(a.keyed[0], call(['--remap-path-prefix=/tmp/ci-a/ws=/other']).keyed[0], 'another TO is another key');
});

t.test('a FROM related to a path of the call is keyed as before', async (t) => {
  const notFree = (from: string, env: Record<string, string> = {}, extra: string[] = []) => t.same(call([...extra, `--remap-path-prefix=${from}=/x`], env).free, [], from);
  notFree('/reg', {}, []); // covers the cwd
  notFree('/reg/dep-1.0/src'); // under the cwd: covers the root source
  notFree('/cache'); // covers the target dir, out-dir, -L and --extern
  notFree('/cache/t/debug/deps/liba-1.rlib'); // an --extern file itself
  notFree('/toolchains'); // covers the sysroot
  notFree('/cache/t/debug/deps/dep-1.dep.0.rcgu.o'); // under the out-dir: an object's path
  notFree('/build-out', { OUT_DIR: '/build-out/x/out' }); // covers OUT_DIR
  notFree('/vendor/lib', {}, ['-L', 'native=/vendor/lib/x']); // covers an -L dir
  notFree('/reg/../reg/dep-1.0'); // resolved, the cwd
  notFree('/out', {}, ['--emit=link=/out/x/libdep.rlib']); // covers an --emit path
  t.same(call(['--remap-path-prefix=src=/x']).free, [], 'a relative FROM');
  // rust-src linked out of the sysroot (Debian's: to /usr/src/rustc-…): rustc maps std's paths into it with the call's flags.
  t.same(call(['--remap-path-prefix=/usr/src=/x'], {}, ['/usr/src/rustc-1.95']).free, [], "covers the sysroot's source tree");
  t.same(call(['--remap-path-prefix=/usr/src=/x']).free, ['/usr/src'], 'and with no such tree, covers nothing');
});

t.test('whether a FROM keyed as covering nothing covers an input: dep-info\'s paths, or a result\'s recorded ones', async (t) => {
  t.ok(freeFromCovers(['/data'], ['src/lib.rs', '/data/gen.rs'], REG), 'an absolute input under it');
  t.ok(freeFromCovers([REG], ['src/lib.rs'], REG), 'a relative input, joined to the cwd');
  t.ok(freeFromCovers(['/data'], ['/x/../data/gen.rs'], REG), 'an input named through ..');
  t.notOk(freeFromCovers(['/data'], ['src/lib.rs', '/database/gen.rs'], REG), 'none under it: a name that only starts alike');
  const table = new PrefixTable([{ name: 'tmp', path: '/tmp' }]);
  t.ok(freeFromCovers(['/tmp/data'], ['@@sc:tmp@@/data/gen.rs'], REG, table), 'a recorded input, its placeholder expanded');
  t.notOk(freeFromCovers([], ['/data/gen.rs'], REG), 'no such FROM');
});
