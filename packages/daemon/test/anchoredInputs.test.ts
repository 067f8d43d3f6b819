import t from 'tap';
import { PrefixTable } from '@splitcache/paths';
import { parseInvocation } from '@splitcache/rustc';
import { envDepAnchors, isAnchored, relocationAnchors } from '../src/anchoredInputs.js';

// An absolute input under a checkout's prefix is recorded under its placeholder only where
// something keyed with the checkout put it there; the cli tests (absoluteInputs, embeddedPaths,
// pgo) drive the real cases, these the rule's edges.

const table = new PrefixTable([
  { name: 'sysroot', path: '/rust' }, { name: 'cwd', path: '/ws' }, { name: 'target', path: '/ws/target' },
  { name: 'out_dir', path: '/ws/target/debug/build/x-1/out' }, { name: 'pkg', path: '/ws' },
]);
const member = parseInvocation(['--crate-name', 'x', 'src/main.rs', '--crate-type', 'bin', '--out-dir', '/ws/target/debug/deps',
  '-L', 'dependency=/ws/target/debug/deps', '--extern', 'noprelude:dep=/ws/target/debug/deps/libdep-1.rlib', '-C', 'profile-use=/ws/pgo/merged.profdata']);
const anchors = relocationAnchors(member, table);

t.test("a workspace member's own arguments anchor what they name, and nothing else of the checkout", async (t) => {
  t.ok(isAnchored('src/data.txt', anchors), 'a relative path is the checkout-relative form itself');
  t.ok(isAnchored('@@sc:cwd@@/pgo/merged.profdata', anchors), 'the profile -C profile-use names');
  t.ok(isAnchored('@@sc:target@@/debug/deps/libdep-1.rlib', anchors), 'what is under -L or --extern');
  t.ok(isAnchored('@@sc:sysroot@@/lib/rustlib/x/lib/libstd.rlib', anchors), "the toolchain's own files");
  t.notOk(isAnchored('@@sc:cwd@@/data.txt', anchors), 'a file the source names by absolute path');
  t.notOk(isAnchored('@@sc:cwd@@/pgo/merged.profdata.bak', anchors), 'a sibling of a named file is not under it');
  t.notOk(isAnchored('@@sc:cwd@@/src/lib.rs', anchors), 'a relative root anchors nothing: its modules are named relative');
});

t.test("an absolute root anchors its directory (a registry package's modules and includes)", async (t) => {
  const reg = relocationAnchors(parseInvocation(['--crate-name', 'r', '/ws/vendor/r/src/lib.rs', '--crate-type', 'lib']), table);
  t.ok(isAnchored('@@sc:cwd@@/vendor/r/src/../README.md', reg), 'an include beside the root, `..` and all');
  t.notOk(isAnchored('@@sc:cwd@@/vendor/other.txt', reg), 'not outside it');
});

t.test('env-deps: a normalised value anchors what is under it; an exact OUT_DIR only its own placeholder', async (t) => {
  t.same(envDepAnchors([['OUT_DIR', '@@sc:out_dir@@'], ['FOO', 'bar'], ['GONE', null]], table), ['@@sc:out_dir@@']);
  t.same(envDepAnchors([['OUT_DIR', '/ws/target/debug/build/x-1/out']], table), ['@@sc:out_dir@@'], 'exact, and the table has it as out_dir');
  t.same(envDepAnchors([['OUT_DIR', '/elsewhere/out']], table), [], 'exact, and not this call\'s out_dir');
  t.same(envDepAnchors([['DATA', '/ws/data.txt']], table), [], 'another variable holding a path of the checkout: rustc reads that path wherever it builds');
});
