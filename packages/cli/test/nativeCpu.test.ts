import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, BIN, oneFileCrate, run, Store, tempDir } from './helpers.js';

// `-C target-cpu=native` reads the same on every machine, but the code it makes
// uses whatever this machine's CPU has. A store shared between runners (the
// remote tier, a CI cache of the store dir) must not hand one runner's objects
// to a runner whose CPU lacks its instructions: that binary dies with SIGILL.
// The other runner here is this machine seen through qemu's user-mode
// emulation as a Nehalem (SSE4.2, no AVX), with the very same rustc.
const sysrootRustc = execFileSync('rustc', ['--print', 'sysroot'], { encoding: 'utf8' }).trim() + '/bin/rustc';
const hasQemu = spawnSync('sh', ['-c', 'command -v qemu-x86_64']).status === 0;
const skip = process.arch !== 'x64' ? 'the other CPU is an x86_64 one' : hasQemu ? false : 'qemu-x86_64 is not installed (qemu-user, in .ci/debian-packages.txt)';

const SOURCE = `fn main() {
    let n = std::env::args().count() * 4096;
    let v: Vec<f32> = (0..n).map(|i| i as f32 * 0.5).collect();
    let w: Vec<u32> = (0..n as u32).map(|i| i.wrapping_mul(2654435761)).collect();
    println!("{} {}", v.iter().map(|x| x * x).sum::<f32>(), w.iter().fold(0u32, |a, b| a ^ b));
}
`;

const vectorCrate = () => oneFileCrate(SOURCE, 'native');

/** `spelled`: the option's name as given: rustc reads `target_cpu` as `target-cpu`, and so must the key (a hunting helper's repro: SIGILL). */
const args = (cwd: string, spelled = 'target-cpu') => [
  '--crate-name', 'vec', '--edition=2021', 'src/main.rs', '--crate-type', 'bin', '--emit=dep-info,link',
  '-C', 'opt-level=3', '-C', `${spelled}=native`, '-C', 'extra-filename=-t', '--out-dir', join(cwd, 'out'),
];

const onNehalem = (bin: string) => spawnSync('qemu-x86_64', ['-cpu', 'Nehalem', bin], { encoding: 'utf8' });

for (const spelled of ['target-cpu', 'target_cpu']) {
  t.test(`a runner with another CPU misses a -C ${spelled}=native crate, and its binary runs there`, { skip }, async (t) => {
    const store = new Store();
    t.teardown(() => store.stop());
    const crate = vectorCrate();
    const bin = join(crate, 'out', 'vec-t');
    // One compiler file on both runners, as on two CI machines: it runs rustc under qemu as a Nehalem
    // where EMU_CPU says so. Each runner has its own daemon (what native means is kept per daemon).
    const rustc = join(tempDir('runner'), 'rustc');
    writeFileSync(rustc, `#!/bin/sh\n[ -z "$EMU_CPU" ] || exec qemu-x86_64 -cpu "$EMU_CPU" '${sysrootRustc}' "$@"\nexec '${sysrootRustc}' "$@"\n`, { mode: 0o755 });
    const onRunner = async (cpu?: string) => {
      await store.stop();
      return run(BIN, [rustc, ...args(crate, spelled)], { cwd: crate, env: store.env(cpu ? { EMU_CPU: cpu } : {}) });
    };

    assertOk(t, await onRunner(), 'built on this machine');
    const expected = execFileSync(bin, { encoding: 'utf8' });
    const hostFeatures = execFileSync(sysrootRustc, ['--print', 'cfg', '-C', 'target-cpu=native'], { encoding: 'utf8' });
    if (/target_feature="avx"/.test(hostFeatures)) {
      const hostBin = join(tempDir('host-bin'), 'vec');
      copyFileSync(bin, hostBin);
      t.equal(onNehalem(hostBin).signal, 'SIGILL', "this machine's binary dies with SIGILL on the Nehalem: a hit there would break its build");
    }

    rmSync(bin);
    assertOk(t, await onRunner('Nehalem'), 'built on a runner whose CPU is a Nehalem');
    let stats = await store.stats();
    t.equal(stats.hits, 0, 'the Nehalem build is not served the entry of this machine');
    t.equal(stats.misses, 2, 'it misses, and compiles');
    const there = onNehalem(bin);
    t.equal(there.status, 0, 'its binary runs on the Nehalem');
    t.equal(there.stdout, expected, 'and prints what the native binary prints here');

    rmSync(bin);
    assertOk(t, await onRunner(), 'built on this machine again');
    stats = await store.stats();
    t.equal(stats.hits, 1, "this machine hits its own entry: what native means here doesn't change between calls");
    t.equal(execFileSync(bin, { encoding: 'utf8' }), expected, 'and the binary runs here');

    const misses = (await store.audit()).filter((e) => e.outcome === 'miss');
    t.equal(new Set(misses.map((e) => e.key)).size, 2, 'the two CPUs gave two manifest keys');
  });
}

t.test('a rustc that cannot say what native means builds uncached, with one line saying why', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = vectorCrate();
  // The same compiler, except that it fails the probe.
  const rustc = join(tempDir('noprobe'), 'rustc');
  writeFileSync(rustc, `#!/bin/sh\ncase "$*" in *target-cpus*) echo 'error: no CPU list here' >&2; exit 1 ;; esac\nexec '${sysrootRustc}' "$@"\n`, { mode: 0o755 });
  const r = await run(BIN, [rustc, ...args(crate)], { cwd: crate, env: store.env() });
  assertOk(t, r, 'the build succeeds');
  t.match(r.stderr, /^splitcache: SPLITCACHE_NATIVE_CPU: .*target-cpu=native.*\(building uncached\)$/m, 'one line with a stable code');
  t.equal(r.stderr.trim().split('\n').length, 1, 'and nothing else');
  t.match(execFileSync(join(crate, 'out', 'vec-t'), { encoding: 'utf8' }), /^\d+ \d+\n$/, 'the binary runs');
  const stats = await store.stats();
  t.equal(stats.passthrough['cache-error'], 1, 'counted as a pass-through for a cache error');
  t.equal(stats.errors.SPLITCACHE_NATIVE_CPU, 1, 'under its code');
  t.equal(stats.hits + stats.misses, 0, 'nothing looked up or stored');
});
