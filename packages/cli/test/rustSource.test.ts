import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
