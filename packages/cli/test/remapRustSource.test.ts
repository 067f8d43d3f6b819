import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, run, Store, tempDir } from './helpers.js';

// rustc applies a call's --remap-path-prefix to std's sources where the sysroot holds them
// (rust-src), and where `lib/rustlib/src/rust` is a symlink (Debian's rustc: to /usr/src/rustc-…)
// it names them by the link's target, outside the sysroot. A FROM covering that target and no
// path of the call was keyed as covering nothing, so a call whose FROM covers it got the result
// of one whose FROM covers nothing, naming std's code unmapped (and the other way round).
const realSysroot = execFileSync('rustc', ['--print', 'sysroot'], { encoding: 'utf8' }).trim();
const host = /host: (\S+)/.exec(execFileSync('rustc', ['-vV'], { encoding: 'utf8' }))![1]!;

t.test("a FROM covering a symlinked rust-src tree's target is not keyed as covering nothing", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = tempDir('remap-rust-src');
  const sysroot = join(dir, 'sysroot');
  const tree = join(tempDir('usr-src-rustc'), 'rustc-src'); // outside the call's cwd and sysroot
  const elsewhere = tempDir('remap-rust-src-elsewhere');
  mkdirSync(join(sysroot, 'lib', 'rustlib', 'src'), { recursive: true });
  symlinkSync(join(realSysroot, 'lib', 'rustlib', host), join(sysroot, 'lib', 'rustlib', host));
  mkdirSync(join(tree, 'library', 'std', 'src'), { recursive: true });
  writeFileSync(join(tree, 'library', 'std', 'src', 'lib.rs'), '');
  symlinkSync(tree, join(sysroot, 'lib', 'rustlib', 'src', 'rust'));
  // std's generics instantiated here carry their source locations into the objects.
  writeFileSync(join(dir, 's.rs'), 'pub fn s(v: &mut Vec<String>, i: usize) -> String { v.push(format!("{i}")); v[i].clone() }\n');
  const call = async (session: string, from: string, cached: boolean) => {
    const out = join(dir, 'out', session);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const args = ['--edition=2021', '--crate-type', 'lib', '--crate-name', 's', 's.rs', '--emit=dep-info,metadata,link', '--sysroot', sysroot, '--out-dir', out, `--remap-path-prefix=${from}=/rs`];
    const r = cached ? await run(BIN, ['rustc', ...args], { cwd: dir, env: store.env({ SPLITCACHE_SESSION: session }) }) : await run('rustc', args, { cwd: dir });
    t.equal(r.code, 0, `${session} compiles`);
    return readFileSync(join(out, 'libs.rlib'));
  };
  const mapped = await call('mapped', tree, true);
  t.ok(mapped.includes('/rs/library/'), "a FROM covering the tree maps std's paths (else this test shows nothing)");
  const plainUnmapped = await call('plain-unmapped', elsewhere, false);
  t.ok(plainUnmapped.includes(join(tree, 'library')), "a FROM covering nothing leaves them (else this test shows nothing)");
  t.ok((await call('unmapped', elsewhere, true)).equals(plainUnmapped), "a cached call's rlib is a plain call's (old code: the mapped call's)");
  t.same((await store.calls('unmapped')).map((e) => e.outcome), ['miss'], 'which missed');
  t.ok((await call('mapped-again', tree, true)).equals(mapped), 'the mapped call again gets its own result');
  t.same((await store.calls('mapped-again')).map((e) => e.outcome), ['hit'], 'from a hit');
});
