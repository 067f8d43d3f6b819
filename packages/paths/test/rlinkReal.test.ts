import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrefixTable, listRlinkPaths, readRlinkHeader, rewriteRlink, rustcVersionForRlink } from '../src/index.js';
import { HELLO_TEXT, buildHelloRlink, findToolchain, type RealRlink } from './realRlink.js';
import { codeOf } from './codeOf.js';

const stable = findToolchain('stable');
const nightly = findToolchain('nightly');
if (stable === undefined) throw new Error('these tests need the stable toolchain (rustup run stable rustc)');

const built: RealRlink[] = [buildHelloRlink(stable)];
if (nightly !== undefined) built.push(buildHelloRlink(nightly));
const scratch: string[] = built.map((r) => r.dir);
t.teardown(() => scratch.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Normalise with out_dir and sysroot, then expand with out_dir moved to `newOut`. */
function relocate(r: RealRlink, newOut: string): Buffer {
  const here = new PrefixTable([{ name: 'out_dir', path: r.outDir }, { name: 'sysroot', path: r.toolchain.sysroot }]);
  const there = new PrefixTable([{ name: 'out_dir', path: newOut }, { name: 'sysroot', path: r.toolchain.sysroot }]);
  const stored = rewriteRlink(r.buf, (s) => here.normalise(s));
  return rewriteRlink(stored, (s) => there.expand(s), { expectRustcVersion: rustcVersionForRlink(r.toolchain.versionLine) });
}

for (const r of built) {
  const tc = r.toolchain;

  t.test(`${tc.name}: the header holds rustc's version string, framed like every other string`, async (t) => {
    const h = readRlinkHeader(r.buf);
    t.equal(h.version, 1);
    t.equal(`rustc ${h.rustcVersion}`, tc.versionLine, 'the string is `rustc --version` without "rustc "');
    t.match(h.rustcVersion, /^\d+\.\d+\.\d+(-[a-z]+)? \([0-9a-f]{9} \d{4}-\d{2}-\d{2}\)$/);
    t.same([...r.buf.subarray(0, 12)], [...Buffer.from('rustlink'), 0, 0, 0, 1], 'magic, then u32 big-endian 1');
    t.equal(r.buf[12], Buffer.byteLength(h.rustcVersion), 'one-byte LEB128 length');
    t.equal(r.buf[h.bodyStart - 1], 0xc1, 'then the 0xC1 sentinel');
    t.equal(r.buf.subarray(h.bodyEnd).toString(), 'rust-end-file');
  });

  t.test(`${tc.name}: the scan finds the object files, the sysroot rlibs and the out-dir`, async (t) => {
    const paths = listRlinkPaths(r.buf);
    const objects = readdirSync(r.outDir).filter((f) => f.endsWith('.rcgu.o')).map((f) => join(r.outDir, f));
    t.ok(objects.length >= 1);
    t.same(paths.filter((p) => p.endsWith('.rcgu.o')).sort(), objects.sort(), 'every .rcgu.o, as absolute paths');
    t.ok(paths.includes(r.outDir), 'the output directory itself');
    const std = paths.filter((p) => p.startsWith(tc.sysroot + '/') && /\/libstd-[0-9a-f]+\.rlib$/.test(p));
    t.equal(std.length, 1, 'libstd rlib under the sysroot');
    t.ok(paths.every((p) => p.startsWith(r.dir + '/') || p.startsWith(tc.sysroot + '/')), 'nothing else looks like a path');
  });

  t.test(`${tc.name}: normalising then expanding is byte-identical`, async (t) => {
    const table = new PrefixTable([{ name: 'out_dir', path: r.outDir }, { name: 'sysroot', path: tc.sysroot }]);
    const stored = rewriteRlink(r.buf, (s) => table.normalise(s));
    t.notOk(stored.includes(r.dir), 'no machine path left');
    t.notOk(stored.includes(tc.sysroot));
    t.ok(listRlinkPaths(stored).every((p) => p.startsWith('@@sc:')));
    t.same(readRlinkHeader(stored).rustcVersion, readRlinkHeader(r.buf).rustcVersion);
    t.ok(rewriteRlink(stored, (s) => table.expand(s)).equals(r.buf));
  });

  const longRoot = mkdtempSync(join(tmpdir(), 'sc-paths-relocated-'));
  const shortRoot = mkdtempSync(join(tmpdir(), 's'));
  scratch.push(longRoot, shortRoot);
  const longer = join(longRoot, 'a-much-longer-output-directory', 'that-pushes-object-paths', 'past-127-bytes');
  const shorter = join(shortRoot, 'o');
  for (const [label, newOut] of [['longer', longer], ['shorter', shorter]] as const) {
    t.test(`${tc.name}: rustc -Zlink-only links a .rlink moved to a ${label} out-dir`, async (t) => {
      mkdirSync(newOut, { recursive: true });
      for (const f of readdirSync(r.outDir).filter((f) => f.endsWith('.rcgu.o'))) copyFileSync(join(r.outDir, f), join(newOut, f));
      const moved = relocate(r, newOut);
      const objectPaths = listRlinkPaths(moved).filter((p) => p.endsWith('.rcgu.o'));
      t.ok(objectPaths.every((p) => p.startsWith(newOut + '/')));
      if (label === 'longer') t.ok(objectPaths.every((p) => Buffer.byteLength(p) > 127), 'lengths need two LEB128 bytes');
      const rlinkFile = join(newOut, 'moved.rlink');
      writeFileSync(rlinkFile, moved);
      // Run from an unrelated directory: the output goes where the .rlink says.
      execFileSync(
        tc.rustc,
        ['-Zlink-only', '--crate-name', 'hello', '--crate-type', 'bin', '--edition=2021', rlinkFile],
        { cwd: tmpdir(), env: { ...process.env, RUSTC_BOOTSTRAP: '1' }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      const binary = join(newOut, 'hello');
      t.ok(existsSync(binary), `binary at ${binary}`);
      t.notOk(existsSync(join(r.outDir, 'hello')), 'nothing written at the original out-dir');
      t.equal(execFileSync(binary, { encoding: 'utf8' }), `${HELLO_TEXT}\n`);
    });
  }
}

t.test('stable and nightly .rlinks name different rustcs, and the daemon can tell', { skip: nightly === undefined && 'nightly is not installed' }, async (t) => {
  const [s, n] = built as [RealRlink, RealRlink];
  const stableVersion = readRlinkHeader(s.buf).rustcVersion;
  const nightlyVersion = readRlinkHeader(n.buf).rustcVersion;
  t.not(stableVersion, nightlyVersion);
  t.equal(nightlyVersion, rustcVersionForRlink(n.toolchain.versionLine));
  t.equal(codeOf(() => rewriteRlink(s.buf, (p) => p, { expectRustcVersion: nightlyVersion })), 'SPLITCACHE_RLINK_RUSTC_MISMATCH');
  t.equal(codeOf(() => rewriteRlink(n.buf, (p) => p, { expectRustcVersion: stableVersion })), 'SPLITCACHE_RLINK_RUSTC_MISMATCH');
  // And rustc itself refuses: this is why the key must include the rustc identity.
  const run = spawnSync(n.toolchain.rustc, ['-Zlink-only', '--crate-name', 'hello', '--crate-type', 'bin', s.rlinkPath], {
    cwd: tmpdir(),
    env: { ...process.env, RUSTC_BOOTSTRAP: '1' },
    encoding: 'utf8',
  });
  t.not(run.status, 0);
  t.match(run.stderr, /produced by rustc version/);
});
