import t from 'tap';
import { execFileSync } from 'node:child_process';
import { copyFileSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, run, Store, tempDir } from './helpers.js';

// Where a sysroot holds std's sources (the rust-src component, which rust-analyzer users add),
// rustc writes the paths of std's code inlined into a crate as paths into that tree, not as
// `/rustc/<commit>/…`: in the objects, with or without -g. No dep-info line says so. Before, a
// call after `rustup component add rust-src` hit the entry stored without it, and its rlib named
// `/rustc/…` where a plain call's named the tree (a read-set audit's repro). A sysroot of our own
// (--sysroot, its libraries linked from the real one's) stands in for a toolchain here.
const realSysroot = execFileSync('rustc', ['--print', 'sysroot'], { encoding: 'utf8' }).trim();
const host = /host: (\S+)/.exec(execFileSync('rustc', ['-vV'], { encoding: 'utf8' }))![1]!;

t.test('installing or removing std\'s sources in the sysroot misses, and each result is a plain call\'s', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = tempDir('rust-src');
  const sysroot = join(dir, 'sysroot');
  mkdirSync(join(sysroot, 'lib', 'rustlib'), { recursive: true });
  symlinkSync(join(realSysroot, 'lib', 'rustlib', host), join(sysroot, 'lib', 'rustlib', host));
  // std's generics instantiated here (Vec, fmt, ptr) carry their source locations into the objects.
  writeFileSync(join(dir, 's.rs'), 'pub fn s(v: &mut Vec<String>, i: usize) -> String { v.push(format!("{i}")); v[i].clone() }\n');
  const stdSource = join(sysroot, 'lib', 'rustlib', 'src', 'rust', 'library', 'std', 'src');
  const call = async (session: string, cached: boolean) => {
    const out = join(dir, 'out', session);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const args = ['--edition=2021', '--crate-type', 'lib', '--crate-name', 's', 's.rs', '--emit=dep-info,metadata,link', '--sysroot', sysroot, '--out-dir', out];
    const r = cached ? await run(BIN, ['rustc', ...args], { cwd: dir, env: store.env({ SPLITCACHE_SESSION: session }) }) : await run('rustc', args, { cwd: dir });
    t.equal(r.code, 0, `${session} compiles`);
    return readFileSync(join(out, 'libs.rlib'));
  };
  const without = await call('without', true);
  t.notOk(without.includes(sysroot), 'without the sources, the rlib names no path into the sysroot');
  mkdirSync(stdSource, { recursive: true });
  writeFileSync(join(stdSource, 'lib.rs'), '');
  const plainWith = await call('plain-with', false);
  t.ok(plainWith.includes(join(sysroot, 'lib', 'rustlib', 'src', 'rust', 'library')), 'with them, a plain call\'s rlib names the tree (else this test shows nothing)');
  t.ok((await call('with', true)).equals(plainWith), 'and so does the cached call (old code: the rlib from before, naming /rustc/…)');
  t.same((await store.calls('with')).map((e) => e.outcome), ['miss'], 'which missed');
  t.ok((await call('with-again', true)).equals(plainWith), 'the same again');
  t.same((await store.calls('with-again')).map((e) => e.outcome), ['hit'], 'from a hit');
  rmSync(join(sysroot, 'lib', 'rustlib', 'src'), { recursive: true });
  t.ok((await call('removed', true)).equals(without), 'removed again: the result from without them');
  t.same((await store.calls('removed')).map((e) => e.outcome), ['hit'], 'a hit of its own entry');
});

/**
 * A toolchain at `dir`: the compiler and its driver library as files of their own (hard links where
 * the file system allows; rustc finds its sysroot from where its driver library is), the rest
 * linked to the real one's, and std's sources (rust-src) in its sysroot.
 */
function toolchainAt(dir: string): string {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'lib', 'rustlib', 'src', 'rust', 'library', 'std', 'src'), { recursive: true });
  writeFileSync(join(dir, 'lib', 'rustlib', 'src', 'rust', 'library', 'std', 'src', 'lib.rs'), '');
  symlinkSync(join(realSysroot, 'lib', 'rustlib', host), join(dir, 'lib', 'rustlib', host));
  const own = (from: string, to: string) => {
    try {
      linkSync(from, to);
    } catch {
      copyFileSync(from, to);
    }
  };
  own(join(realSysroot, 'bin', 'rustc'), join(dir, 'bin', 'rustc'));
  for (const f of readdirSync(join(realSysroot, 'lib'))) {
    if (f === 'rustlib') continue;
    if (f.startsWith('librustc_driver')) own(join(realSysroot, 'lib', f), join(dir, 'lib', f));
    else symlinkSync(join(realSysroot, 'lib', f), join(dir, 'lib', f));
  }
  return join(dir, 'bin', 'rustc');
}

t.test('under SPLITCACHE_REMAP=1, std\'s sources name no machine\'s sysroot: a hit from a toolchain elsewhere is the same', async (t) => {
  // Two runners whose toolchains (each with rust-src) are at different paths, one store. Before, the
  // second hit the first's entry and its rlib named the first's sysroot, where remap promises that
  // outputs name no machine's paths (a review's repro).
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = tempDir('rust-src-remap');
  writeFileSync(join(dir, 's.rs'), 'pub fn s(v: &mut Vec<String>, i: usize) -> String { v.push(format!("{i}")); v[i].clone() }\n');
  const toolchains = ['one', 'two'].map((name) => join(tempDir(`toolchain-${name}`), 'toolchain'));
  const rlibs: Buffer[] = [];
  for (const [i, toolchain] of toolchains.entries()) {
    const rustc = toolchainAt(toolchain);
    const out = join(dir, 'out', `${i}`);
    mkdirSync(out, { recursive: true });
    const args = ['--edition=2021', '--crate-type', 'lib', '--crate-name', 's', 's.rs', '--emit=dep-info,metadata,link', '--out-dir', out];
    t.equal(execFileSync(rustc, ['--print', 'sysroot'], { encoding: 'utf8' }).trim(), toolchain, `runner ${i}'s toolchain is its own sysroot`);
    const r = await run(BIN, [rustc, ...args], { cwd: dir, env: store.env({ SPLITCACHE_REMAP: '1', SPLITCACHE_SESSION: `s${i}` }) });
    t.equal(r.code, 0, `runner ${i} compiles`);
    rlibs.push(readFileSync(join(out, 'libs.rlib')));
  }
  t.same([...(await store.calls('s0')), ...(await store.calls('s1'))].map((e) => e.outcome), ['miss', 'hit'], 'the second runner hits');
  for (const [i, rlib] of rlibs.entries()) {
    t.notOk(toolchains.some((s) => rlib.includes(s)), `runner ${i}'s rlib names no toolchain's sources (old code: the first runner's)`);
    t.ok(rlib.includes('/rustc/'), "and names std's sources as rustc does without them");
  }
});
