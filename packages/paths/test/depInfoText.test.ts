import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addChecksumTwins, addDepInfoInputs, expandDepInfo, expandOutput, normaliseDepInfo, normaliseOutput, PrefixTable } from '../src/index.js';
import { findToolchain } from './realRlink.js';

// rustc escapes a space in a dependency's path as `\ ` (not in an output's, nor in an env-dep
// value): a checkout whose path has a space must get its dep-info as rustc would write it there.
const stable = findToolchain('stable');
if (stable === undefined) throw new Error('these tests need the stable toolchain (rustup run stable rustc)');
const root = mkdtempSync(join(tmpdir(), 'sc-depinfo-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

/** The same crate built in `<root>/<name>`: it includes a data file whose name has a space, and reads an env-dep that names the checkout. */
function build(name: string): { dir: string; table: PrefixTable; depInfo: string; stderr: string } {
  const dir = join(root, name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  mkdirSync(join(dir, 'out'), { recursive: true });
  writeFileSync(join(dir, 'da ta.txt'), 'data');
  // main first: the warning's byte offsets then don't depend on the checkout's path, which the const holds.
  writeFileSync(join(dir, 'src', 'main.rs'), `fn main() { let unused = 1; println!("{} {}", D, env!("HERE")); }\nconst D: &str = include_str!(${JSON.stringify(join(dir, 'da ta.txt'))});\n`);
  const r = spawnSync(stable!.rustc, ['--edition', '2021', '--crate-name', 'd', join(dir, 'src', 'main.rs'), '--emit=dep-info,link', '--out-dir', join(dir, 'out'), '--error-format=json'], {
    cwd: dir,
    env: { ...process.env, HERE: dir },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(r.stderr);
  const table = new PrefixTable([{ name: 'cwd', path: dir }, { name: 'sysroot', path: stable!.sysroot }]);
  return { dir, table, depInfo: readFileSync(join(dir, 'out', 'd.d'), 'utf8'), stderr: r.stderr };
}

const spaced = build('with space');
const plain = build('without');
// A `\` and a `"`: escaped in an env-dep's value (`\\`), and in rustc's JSON diagnostics.
const quoted = build('back\\slash "quote"');

t.test('a checkout path with a backslash and a quote, from and to a plain one: dep-info and JSON diagnostics as rustc writes them there', async (t) => {
  t.ok(quoted.depInfo.includes(`# env-dep:HERE=${quoted.dir.replace(/\\/g, '\\\\')}`), 'rustc escapes the env-dep value');
  for (const [from, to] of [[quoted, plain], [plain, quoted], [quoted, quoted]] as const) {
    const what = `${from === quoted ? 'quoted' : 'plain'} to ${to === quoted ? 'quoted' : 'plain'}`;
    const stored = normaliseDepInfo(from.depInfo, from.table);
    t.notOk(stored.includes(from.dir.split('/').pop()!), `${what}: no trace of the producer's checkout in the dep-info`);
    t.equal(expandDepInfo(stored, to.table), to.depInfo, `${what}: the consumer's own dep-info, byte for byte`);
    const diagnostics = normaliseOutput(Buffer.from(from.stderr), from.table);
    t.notOk(diagnostics.toString().includes('slash'), `${what}: no trace of it in the diagnostics`);
    t.equal(expandOutput(diagnostics, to.table).toString(), to.stderr, `${what}: the consumer's own diagnostics, byte for byte`);
  }
  t.ok(quoted.stderr.split('\n').filter(Boolean).every((l) => JSON.parse(l)), 'each of them JSON');
});

t.test('rustc writes a dependency with its spaces escaped, an output and an env-dep as they are', async (t) => {
  t.ok(spaced.depInfo.includes(`${spaced.dir.replace(/ /g, '\\ ')}/src/main.rs`), 'a dependency: escaped');
  t.ok(spaced.depInfo.includes(`${spaced.dir}/out/d.d:`), 'an output: as it is');
  t.ok(spaced.depInfo.includes(`# env-dep:HERE=${spaced.dir}`), 'an env-dep: as it is');
});

for (const [from, to] of [[spaced, plain], [plain, spaced]] as const) {
  const label = `${from === spaced ? 'with' : 'without'} a space to ${to === spaced ? 'with' : 'without'} one`;
  t.test(`dep-info from a checkout ${label}: what rustc writes there, byte for byte`, async (t) => {
    const stored = normaliseDepInfo(from.depInfo, from.table);
    t.notOk(stored.includes(from.dir.split('/').pop()!), `no trace of the producer's checkout is stored (${JSON.stringify(stored)})`);
    t.equal(expandDepInfo(stored, from.table), from.depInfo, 'it expands back to itself');
    t.equal(expandDepInfo(stored, to.table), to.depInfo, "and to the consumer's own");
  });
}

// Two spaces, each escaped where a dependency is named; a ':' that is not the rule's colon.
for (const odd of [build('two  spaces'), build('co:lon')]) {
  const name = JSON.stringify(odd.dir.split('/').pop());
  for (const [from, to] of [[odd, plain], [plain, odd]] as const) {
    t.test(`dep-info from ${from === odd ? name : 'a plain checkout'} to ${to === odd ? name : 'a plain one'}: what rustc writes there`, async (t) => {
      const stored = normaliseDepInfo(from.depInfo, from.table);
      t.notOk(stored.includes(from.dir.split('/').pop()!), `no trace of the producer's checkout is stored (${JSON.stringify(stored)})`);
      t.equal(expandDepInfo(stored, to.table), to.depInfo, "the consumer's own, byte for byte");
    });
  }
}

// nightly's `-Zchecksum-hash-algorithm` (cargo's -Zchecksum-freshness) adds a `# checksum:` line
// per dependency, its path escaped as a dependency's is.
const nightly = findToolchain('nightly');
function checksummed(name: string): { table: PrefixTable; depInfo: string } {
  const dir = join(root, name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  mkdirSync(join(dir, 'out'), { recursive: true });
  writeFileSync(join(dir, 'da ta.txt'), 'data');
  // The same source in every checkout, so the checksums are alike and only the paths differ.
  writeFileSync(join(dir, 'src', 'main.rs'), 'fn main() { print!("{}", include_str!("../da ta.txt")); }\n');
  const r = spawnSync(nightly!.rustc, ['-Zchecksum-hash-algorithm=blake3', '--crate-name', 'd', join(dir, 'src', 'main.rs'), '--emit=dep-info,metadata', '--out-dir', join(dir, 'out')], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return { table: new PrefixTable([{ name: 'cwd', path: dir }, { name: 'sysroot', path: nightly!.sysroot }]), depInfo: readFileSync(join(dir, 'out', 'd.d'), 'utf8') };
}

t.test("checksum lines (nightly) from and to a checkout whose path has a space: what rustc writes there", { skip: nightly === undefined && 'no nightly toolchain' }, async (t) => {
  const [spacedSums, plainSums] = [checksummed('sums with space'), checksummed('sums')];
  t.match(spacedSums.depInfo, /^# checksum:blake3=\S+ file_len:\d+ .*sums\\ with\\ space\/src\/main\.rs$/m, 'rustc escapes the path of a checksum line');
  for (const [from, to] of [[spacedSums, plainSums], [plainSums, spacedSums]] as const) {
    const stored = normaliseDepInfo(from.depInfo, from.table);
    t.notOk(stored.includes(`${root}/sums`), `no trace of the producer's checkout is stored (${JSON.stringify(stored)})`);
    t.equal(expandDepInfo(stored, to.table), to.depInfo, "the consumer's own, byte for byte");
  }
});

t.test('free-text normalisation, as before, misses an escaped prefix and expands one unescaped', async (t) => {
  t.ok(spaced.table.normaliseText(spaced.depInfo).includes(spaced.dir.replace(/ /g, '\\ ')), 'the escaped prefix stays');
  t.not(spaced.table.expandText(plain.table.normaliseText(plain.depInfo)), spaced.depInfo, 'and the consumer gets another file than rustc writes');
});

t.test('addDepInfoInputs: each output rule gets the paths, each path an empty rule, before the comments', async (t) => {
  const d = '/t/x.d: src/main.rs @@sc:cwd.mk@@/data.txt\n\n/t/x: src/main.rs @@sc:cwd.mk@@/data.txt\n\nsrc/main.rs:\n@@sc:cwd.mk@@/data.txt:\n\n# env-dep:A=b\n';
  t.equal(
    addDepInfoInputs(d, ['/ci/a/data.txt', '/ci/a b/x.txt']),
    '/t/x.d: src/main.rs @@sc:cwd.mk@@/data.txt /ci/a/data.txt /ci/a\\ b/x.txt\n\n/t/x: src/main.rs @@sc:cwd.mk@@/data.txt /ci/a/data.txt /ci/a\\ b/x.txt\n\nsrc/main.rs:\n@@sc:cwd.mk@@/data.txt:\n\n/ci/a/data.txt:\n/ci/a\\ b/x.txt:\n\n# env-dep:A=b\n',
    'a space escaped as rustc escapes it',
  );
  t.equal(addDepInfoInputs('/t/x: a.rs\n\na.rs:\n', ['/p']), '/t/x: a.rs /p\n\na.rs:\n/p:\n', 'no comments: at the end');
  t.equal(addDepInfoInputs(d, []), d, 'nothing to add: the same text');
});

t.test("addChecksumTwins: a twin's checksum line (nightly) is copied for a path that has none, escaped", async (t) => {
  const d = '/t/x: src/main.rs /w\\ b/out/gen.rs /v\\ a/out/gen.rs\n\nsrc/main.rs:\n/w\\ b/out/gen.rs:\n/v\\ a/out/gen.rs:\n\n# env-dep:OUT_DIR=/w b/out\n# checksum:blake3=aa file_len:3 src/main.rs\n# checksum:blake3=bb file_len:22 /w\\ b/out/gen.rs\n';
  const twins = new Map([['/v a/out/gen.rs', '/w b/out/gen.rs'], ['/v/data.txt', '/w b/data.txt']]);
  const out = addChecksumTwins(d, twins);
  t.equal(out, d.replace(/\n$/, '\n# checksum:blake3=bb file_len:22 /v\\ a/out/gen.rs\n'), "the twin's hash and length, after the last checksum line; none for a path whose twin has none");
  t.equal(addChecksumTwins(out, twins), out, 'a path that has one already gets no other');
  const stable = d.replace(/# checksum.*\n/g, '');
  t.equal(addChecksumTwins(stable, twins), stable, 'stable dep-info, no checksum lines: none added');
});
