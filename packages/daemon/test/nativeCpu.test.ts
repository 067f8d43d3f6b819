import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseInvocation } from '@splitcache/rustc';
import { asksForNativeCpu, NativeCpus, parseNativeCpu } from '../src/nativeCpu.js';
import type { RustcIdentity } from '../src/rustcIdentity.js';

const realRustc = execFileSync('rustc', ['--print', 'sysroot'], { encoding: 'utf8' }).trim() + '/bin/rustc';
const probeArgs = ['--print', 'target-cpus', '--print', 'cfg', '-C', 'target-cpu=native'];
const inv = (...extra: string[]) => parseInvocation(['--crate-name', 'x', 'src/lib.rs', ...extra]);

t.test('a custom target whose spec says "cpu": "native" asks for the host CPU, unless -C target-cpu overrides it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-spec-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'nat.json'), JSON.stringify({ 'llvm-target': 'x86_64-unknown-none', cpu: 'native' }));
  writeFileSync(join(dir, 'fixed.json'), JSON.stringify({ 'llvm-target': 'x86_64-unknown-none', cpu: 'x86-64-v2' }));
  writeFileSync(join(dir, 'broken.json'), '{ not json');
  t.ok(asksForNativeCpu(inv('--target', join(dir, 'nat.json')), dir), 'a spec given by path');
  t.ok(asksForNativeCpu(inv('--target', 'nat'), dir, { RUST_TARGET_PATH: dir }), 'a spec found by name (RUST_TARGET_PATH)');
  t.ok(asksForNativeCpu(inv('--target', 'nat.json'), dir), 'a relative path, from the call\'s directory');
  t.notOk(asksForNativeCpu(inv('--target', join(dir, 'nat.json'), '-C', 'target-cpu=x86-64'), dir), '-C target-cpu given: the spec\'s cpu is not used');
  t.notOk(asksForNativeCpu(inv('--target', join(dir, 'fixed.json')), dir), 'a spec naming a CPU');
  t.notOk(asksForNativeCpu(inv('--target', join(dir, 'broken.json')), dir), 'a spec that is not JSON (rustc says so)');
  t.notOk(asksForNativeCpu(inv('--target', 'x86_64-unknown-linux-gnu'), dir), 'a built-in target');
});

t.test("a spec found by name in the call's --sysroot, not the compiler's own: its cpu is read there, and the probe is given that sysroot", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-spec-sysroot-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const own = join(dir, 'own');
  mkdirSync(join(own, 'lib/rustlib/nat'), { recursive: true });
  writeFileSync(join(own, 'lib/rustlib/nat/target.json'), JSON.stringify({ 'llvm-target': 'x86_64-unknown-none', cpu: 'x86-64-v2' }));
  mkdirSync(join(dir, 'custom/lib/rustlib/nat'), { recursive: true });
  writeFileSync(join(dir, 'custom/lib/rustlib/nat/target.json'), JSON.stringify({ 'llvm-target': 'x86_64-unknown-none', cpu: 'native' }));
  t.ok(asksForNativeCpu(inv('--sysroot', 'custom', '--target', 'nat'), dir, {}, own), "the call's sysroot (relative, from its directory), as rustc reads it");
  t.notOk(asksForNativeCpu(inv('--target', 'nat'), dir, {}, own), "without --sysroot, the compiler's own");

  const runs = join(dir, 'runs.log');
  const rustc = join(dir, 'rustc');
  writeFileSync(rustc, `#!/bin/sh\necho "$*" >> '${runs}'\nexec '${realRustc}' "$@"\n`, { mode: 0o755 });
  const real = execFileSync('rustc', ['--print', 'sysroot'], { encoding: 'utf8' }).trim();
  const id = { digest: 'd'.repeat(16) } as RustcIdentity;
  await new NativeCpus().get(rustc, id, inv('-C', 'target-cpu=native', '--sysroot', real), dir, {});
  t.match(readFileSync(runs, 'utf8'), `--sysroot ${real}`, 'the probe ran with the call\'s sysroot');
});

t.test('which calls ask for the host CPU', async (t) => {
  t.ok(asksForNativeCpu(inv('-C', 'target-cpu=native')), '-C target-cpu=native');
  t.ok(asksForNativeCpu(inv('-Ctarget-cpu=native')), '-Ctarget-cpu=native');
  t.ok(asksForNativeCpu(inv('-Z', 'tune-cpu=native')), '-Z tune-cpu=native (scheduling for this CPU)');
  t.notOk(asksForNativeCpu(inv('-C', 'target-cpu=x86-64-v3')), 'a named CPU is the same everywhere');
  t.notOk(asksForNativeCpu(inv('-C', 'target-cpu=native', '-C', 'target-cpu=znver3')), 'the last of repeated flags wins, as in rustc');
  t.ok(asksForNativeCpu(inv('-C', 'target-cpu=znver3', '-C', 'target-cpu=native')), 'whichever comes last');
  t.notOk(asksForNativeCpu(inv('-C', 'opt-level=3')), 'no CPU flag at all');
});

t.test("what native means is read from rustc's own answer", async (t) => {
  const out = execFileSync(realRustc, probeArgs, { encoding: 'utf8' });
  const resolved = parseNativeCpu(out);
  const cpu = /native\s.*\(currently ([^)]+)\)/.exec(out)?.[1];
  t.ok(cpu, `rustc names this CPU (${cpu})`);
  t.match(resolved, new RegExp(`^${cpu} `), 'the CPU name leads');
  const features = resolved!.split(' ')[1]!.split(',');
  if (process.arch === 'x64') t.ok(features.includes('sse2'), 'then its target features (sse2 on any x86_64)');
  t.same(features, [...features].sort(), 'sorted, so their order in the output does not matter');

  const cross = process.arch === 'x64' ? 'aarch64-unknown-linux-gnu' : 'x86_64-unknown-linux-gnu';
  // (rustc warns that this CPU means nothing to the other target: kept out of the test's output)
  const crossResolved = parseNativeCpu(execFileSync(realRustc, [...probeArgs, '--target', cross], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  t.match(crossResolved, /^- \S+/, 'a cross target has no native line: its features alone');

  t.equal(parseNativeCpu('error: unknown print request\n'), undefined, 'output without a target feature is not understood');
  t.equal(parseNativeCpu(''), undefined, 'nor is no output');
});

t.test('one probe per compiler and target for the life of a daemon', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-native-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const runs = join(dir, 'runs.log');
  const rustc = join(dir, 'rustc');
  writeFileSync(rustc, `#!/bin/sh\necho "$*" >> '${runs}'\nexec '${realRustc}' "$@"\n`, { mode: 0o755 });
  const ranTimes = () => readFileSync(runs, 'utf8').split('\n').filter(Boolean).length;
  const id = { digest: 'd'.repeat(16) } as RustcIdentity;
  const cpus = new NativeCpus();
  const a = await cpus.get(rustc, id, inv('-C', 'target-cpu=native'), dir, {});
  const b = await cpus.get(rustc, id, inv('-C', 'target-cpu=native'), dir, {});
  t.equal(a, b, 'the same answer');
  t.equal(ranTimes(), 1, 'from one rustc run');
  t.equal(a, parseNativeCpu(execFileSync(realRustc, probeArgs, { encoding: 'utf8' })), "and it is rustc's");
  await cpus.get(rustc, id, inv('-C', 'target-cpu=native', '--target', 'x86_64-unknown-linux-musl'), dir, {});
  t.equal(ranTimes(), 2, 'another target is probed on its own');

  const failing = join(dir, 'failing-rustc');
  writeFileSync(failing, `#!/bin/sh\necho "$*" >> '${runs}'\necho 'error: no' >&2\nexit 1\n`, { mode: 0o755 });
  await t.rejects(cpus.get(failing, id, inv('-C', 'target-cpu=native'), dir, {}), { code: 'SPLITCACHE_NATIVE_CPU' }, 'a probe that fails says so with its code');
  await t.rejects(cpus.get(failing, id, inv('-C', 'target-cpu=native'), dir, {}), { code: 'SPLITCACHE_NATIVE_CPU' }, 'and a failure is not remembered');
  t.equal(ranTimes(), 4, 'each call tries again');
});
