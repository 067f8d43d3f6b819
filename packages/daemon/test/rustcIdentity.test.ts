import t from 'tap';
import type { Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { digestBytes, initHash } from '@splitcache/hash';
import { Store } from '@splitcache/store';
import { RustcIdentities, startProbe } from '../src/rustcIdentity.js';

// A rustc identity outlives the daemon that probed it, through the store, and
// is probed again when the compiler or its sysroot changes. The "rustc" here is
// a script in front of the real one that logs each run and reports a sysroot
// the test can change: its own copy of the real sysroot's library listing.
const made: string[] = [];
t.teardown(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
async function openStore(t: Test, dir: string): Promise<Store> {
  const store = await Store.open(dir);
  t.teardown(() => store.close());
  return store;
}
const tmp = (p: string) => (made.push(mkdtempSync(join(tmpdir(), `sc-${p}-`))), made[made.length - 1]!);
const realRustc = execFileSync('rustc', ['--print', 'sysroot'], { encoding: 'utf8' }).trim() + '/bin/rustc';

/** `<dir>/bin/rustc`: the real rustc behind a script that logs each run's arguments; with `proxy`, a `rustup` beside it makes it a rustup proxy. */
function loggingRustc(dir: string, opts: { proxy?: boolean } = {}): { rustc: string; runs: () => string[] } {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  const log = join(dir, 'runs.log');
  const rustc = join(dir, 'bin', 'rustc');
  writeFileSync(rustc, `#!/bin/sh\necho "$*" >> '${log}'\nexec '${realRustc}' "$@"\n`, { mode: 0o755 });
  if (opts.proxy) cpSync(rustc, join(dir, 'bin', 'rustup'));
  return { rustc, runs: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []) };
}

/** `<sysroot>/lib/rustlib/x86_64-unknown-linux-gnu/lib`, made with a `libstd-0000.rlib` in it: a sysroot's target libraries, as the identity lists them. */
function hostLibs(sysroot: string): string {
  const libs = join(sysroot, 'lib', 'rustlib', 'x86_64-unknown-linux-gnu', 'lib');
  mkdirSync(libs, { recursive: true });
  writeFileSync(join(libs, 'libstd-0000.rlib'), 'std');
  return libs;
}

/** `<dir>/bin/rustc`: the real rustc behind a script that logs each run and answers `--print sysroot` with `sysroot`. */
function sysrootRustc(dir: string, sysroot: string): { rustc: string; ranTimes: () => number } {
  const runs = join(dir, 'runs.log');
  const rustc = join(dir, 'bin', 'rustc');
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(rustc, `#!/bin/sh\necho "$*" >> '${runs}'\nif [ "$1" = --print ] && [ "$2" = sysroot ]; then echo '${sysroot}'; exit 0; fi\nexec '${realRustc}' "$@"\n`, { mode: 0o755 });
  return { rustc, ranTimes: () => readFileSync(runs, 'utf8').split('\n').filter(Boolean).length };
}

t.test('an identity is recorded in the store and reused by the next daemon while rustc and its sysroot are unchanged', async (t) => {
  await initHash();
  const dir = tmp('rid');
  const sysroot = join(dir, 'sysroot');
  const libs = hostLibs(sysroot);
  writeFileSync(join(sysroot, 'lib', 'librustc_driver-0000.so'), 'driver');
  const { rustc, ranTimes } = sysrootRustc(dir, sysroot);
  const store = await Store.open(tmp('rid-store'));
  t.teardown(() => store.close());

  const first = await new RustcIdentities(store).get(rustc, dir, {});
  t.match(first.version, /^rustc \d+\.\d+/, 'the first daemon probes rustc');
  t.equal(ranTimes(), 2, 'with two runs (-vV, --print sysroot)');
  const st = statSync(rustc);
  const name = `rustc!${digestBytes([rustc, st.size, st.mtimeMs, '', ''].join('\0'))}`;
  t.ok(await store.getMeta(name), 'recorded under the name earlier versions gave it (their records stay usable)');

  const second = await new RustcIdentities(store).get(rustc, dir, {});
  t.same(second, first, 'a new daemon gets the same identity');
  t.equal(ranTimes(), 2, 'without running rustc');

  writeFileSync(join(libs, 'libextra-0000.rlib'), 'a library added to the sysroot');
  const third = await new RustcIdentities(store).get(rustc, dir, {});
  t.equal(ranTimes(), 4, 'a changed sysroot listing makes it probe again');
  const host = 'x86_64-unknown-linux-gnu';
  t.not(third.targetLibs[host], first.targetLibs[host], "and the listing of that target's libraries (part of its calls' keys) changes");

  appendFileSync(join(sysroot, 'lib', 'librustc_driver-0000.so'), ' rebuilt');
  await new RustcIdentities(store).get(rustc, dir, {});
  t.equal(ranTimes(), 6, 'so does a changed librustc_driver');

  const later = new Date(Date.now() + 5000);
  utimesSync(rustc, later, later);
  await new RustcIdentities(store).get(rustc, dir, {});
  t.equal(ranTimes(), 8, 'and a rustc binary with another mtime');

  await new RustcIdentities(store).get(rustc, dir, {});
  t.equal(ranTimes(), 8, 'each new state is recorded in turn');
});

t.test('a rustup proxy is probed by every daemon', async (t) => {
  await initHash();
  const dir = tmp('rid-proxy');
  // A rustc beside a `rustup` is a proxy: what it runs depends on rustup's settings, not on its own stamp.
  const { rustc, runs } = loggingRustc(dir, { proxy: true });
  const store = await Store.open(tmp('rid-proxy-store'));
  t.teardown(() => store.close());
  await new RustcIdentities(store).get(rustc, dir, {});
  await new RustcIdentities(store).get(rustc, dir, {});
  t.equal(runs().length, 4, 'two runs for each daemon');
});

t.test('a rustc beside its sysroot (<sysroot>/bin/rustc) is run once, and a probe started early is adopted', async (t) => {
  await initHash();
  const store = await Store.open(tmp('rid-beside-store'));
  t.teardown(() => store.close());
  const real = await new RustcIdentities(store).get(realRustc, tmpdir(), {});
  t.equal(real.sysroot, execFileSync(realRustc, ['--print', 'sysroot'], { encoding: 'utf8' }).trim(), 'the sysroot found beside the real rustc is the one it prints');

  // A toolchain laid out as rustup's: bin/rustc (a logging script) and lib/rustlib.
  const root = tmp('rid-beside');
  const libs = hostLibs(root);
  const { rustc, runs: ran } = loggingRustc(root);

  const ids = new RustcIdentities(store);
  ids.adopt(rustc, root, {}, startProbe(rustc, root, {}));
  const id = await ids.get(rustc, root, {});
  t.same(ran(), ['-vV'], 'one run: -vV, no --print sysroot');
  t.equal(id.sysroot, root, 'the sysroot is the directory above bin');
  t.not(id.targetLibs['x86_64-unknown-linux-gnu'], real.targetLibs['x86_64-unknown-linux-gnu'], 'its own listing is what its calls are keyed by');
  t.same(await new RustcIdentities(store).get(rustc, root, {}), id, 'the adopted probe was recorded for the next daemon');
  t.equal(ran().length, 1, 'which runs nothing');

  const failing = new RustcIdentities(store);
  failing.adopt(rustc, tmpdir(), { RUSTUP_TOOLCHAIN: 'x' }, Promise.reject(new Error('probe failed')));
  const again = await failing.get(rustc, tmpdir(), { RUSTUP_TOOLCHAIN: 'x' });
  t.equal(again.digest, id.digest, 'a failed early probe is run again for the call that waits on it');
  t.equal(ran().length, 2);
});

t.test('a driver (clippy-driver) adds its own version to the -vV it answers as rustc', { skip: !existsSync(join(dirname(realRustc), 'clippy-driver')) && 'no clippy-driver beside rustc' }, async (t) => {
  await initHash();
  const store = await Store.open(tmp('rid-driver-store'));
  t.teardown(() => store.close());
  const ids = new RustcIdentities(store);
  const rustc = await ids.get(realRustc, tmpdir(), {});
  const clippy = await ids.get(join(dirname(realRustc), 'clippy-driver'), tmpdir(), {});
  t.match(clippy.verbose, /^driver: clippy \d+\.\d+\.\d+/m, `its --version is part of it (${/^driver: .*$/m.exec(clippy.verbose)?.[0]})`);
  t.equal(clippy.version, rustc.version, 'its rustc version is rustc\'s');
  t.equal(clippy.sysroot, rustc.sysroot, 'and so is its sysroot');
  t.not(clippy.digest, rustc.digest, 'but its identity is its own');
});

t.test('warm() looks an identity up before its first call, and leaves a rustup proxy alone', async (t) => {
  await initHash();
  const store = await Store.open(tmp('rid-warm-store'));
  t.teardown(() => store.close());
  const recorded = await new RustcIdentities(store).get(realRustc, tmpdir(), {});
  // Counts the store reads: a recalled identity is read once, then memoised.
  let reads = 0;
  const counting = { getMeta: <T>(name: string) => (reads++, store.getMeta<T>(name)), putMeta: (name: string, v: unknown) => store.putMeta(name, v) };
  const ids = new RustcIdentities(counting);
  ids.warm(realRustc, tmpdir(), {});
  t.equal(reads, 1, 'warm() starts the lookup at once');
  const id = await ids.get(realRustc, tmpdir(), {});
  t.same(id, recorded, 'the call gets the recorded identity');
  t.equal(reads, 1, 'from the lookup warm() started, not one of its own');

  const dir = tmp('rid-warm-proxy');
  const { rustc: proxy, runs } = loggingRustc(dir, { proxy: true });
  ids.warm(proxy, dir, {});
  await new Promise((r) => setTimeout(r, 300));
  t.same(runs(), [], 'a proxy is not run: what it runs depends on the cwd of the call');
  t.equal(reads, 1, 'nor looked up');
});

t.test("the compiler file's own bytes are part of its identity: a script that adds flags answers -vV as the rustc behind it", async (t) => {
  await initHash();
  const dir = tmp('rid-script');
  const rustc = join(dir, 'rustc');
  writeFileSync(rustc, `#!/bin/sh\nexec '${realRustc}' "$@"\n`, { mode: 0o755 });
  const store = await Store.open(tmp('rid-script-store'));
  t.teardown(() => store.close());
  const plain = await new RustcIdentities(store).get(rustc, dir, {});

  writeFileSync(rustc, `#!/bin/sh\nexec '${realRustc}' "$@" --cfg from_script\n`, { mode: 0o755 });
  const later = new Date(Date.now() + 5000);
  utimesSync(rustc, later, later); // an edit within the same mtime tick is git's racy case, not this one
  const edited = await new RustcIdentities(store).get(rustc, dir, {});
  t.equal(edited.verbose, plain.verbose, 'the same -vV');
  t.equal(edited.sysroot, plain.sysroot, 'and sysroot');
  t.not(edited.digest, plain.digest, 'but another identity (before: the same, and a build after the edit hit what the old flags compiled)');
  t.same(await new RustcIdentities(store).get(rustc, dir, {}), edited, 'recorded with its bytes for the next daemon');

  // A record written before the bytes were part of it lacks them: probed again, not reused.
  const st = statSync(rustc);
  const name = `rustc!${digestBytes([rustc, st.size, st.mtimeMs, '', ''].join('\0'))}`;
  const { compiler: _, ...old } = (await store.getMeta<Record<string, unknown>>(name))!;
  await store.putMeta(name, old);
  t.same(await new RustcIdentities(store).get(rustc, dir, {}), edited, 'the same identity, from a fresh probe');
  t.equal(typeof (await store.getMeta<Record<string, unknown>>(name))!.compiler, 'string', 'recorded anew, with the bytes');
});

t.test('a bare `rustc` (RUSTC=rustc, or a cargo that is not rustup\'s) is the one the call\'s PATH finds', async (t) => {
  await initHash();
  // Two dirs with a `rustc` each: the same rustc behind both, one adding a flag.
  const plainDir = tmp('rid-path-a');
  const flagDir = tmp('rid-path-b');
  writeFileSync(join(plainDir, 'rustc'), `#!/bin/sh\necho "$*" >> '${join(plainDir, 'runs')}'\nexec '${realRustc}' "$@"\n`, { mode: 0o755 });
  writeFileSync(join(flagDir, 'rustc'), `#!/bin/sh\nexec '${realRustc}' "$@" --cfg from_script\n`, { mode: 0o755 });
  const runs = () => readFileSync(join(plainDir, 'runs'), 'utf8').split('\n').filter(Boolean).length;
  const store = await Store.open(tmp('rid-path-store'));
  t.teardown(() => store.close());
  const path = (dir: string) => `${dir}:${process.env.PATH}`;

  const ids = new RustcIdentities(store);
  const a = await ids.get('rustc', tmpdir(), { PATH: path(plainDir) });
  const b = await ids.get('rustc', tmpdir(), { PATH: path(flagDir) });
  t.equal(a.verbose, b.verbose, 'both answer -vV as the rustc behind them');
  t.not(a.digest, b.digest, 'each has its own identity (before: the first one found served both, for the daemon\'s life)');
  t.equal(runs(), 2, 'the first probed as a rustc at a path: -vV, --print sysroot');

  t.same(await new RustcIdentities(store).get('rustc', tmpdir(), { PATH: path(plainDir) }), a, 'a new daemon gets the same identity');
  t.equal(runs(), 2, 'recorded: without running it (before: never recorded, probed by every daemon)');
});

t.test("a target added to the sysroot (rustup target add) leaves the other targets' keys alone", async (t) => {
  await initHash();
  const root = tmp('rid-targets');
  const lib = (target: string) => join(root, 'lib', 'rustlib', target, 'lib');
  mkdirSync(lib('x86_64-unknown-linux-gnu'), { recursive: true });
  writeFileSync(join(lib('x86_64-unknown-linux-gnu'), 'libstd-0000.rlib'), 'std');
  const { rustc, runs } = loggingRustc(root);
  const store = await Store.open(tmp('rid-targets-store'));
  t.teardown(() => store.close());
  const before = await new RustcIdentities(store).get(rustc, root, {});

  mkdirSync(lib('wasm32-unknown-unknown'), { recursive: true });
  writeFileSync(join(lib('wasm32-unknown-unknown'), 'libstd-1111.rlib'), 'wasm std');
  const after = await new RustcIdentities(store).get(rustc, root, {});
  t.equal(runs().length, 2, 'a new daemon probes again: the sysroot changed');
  t.equal(after.digest, before.digest, 'the same compiler');
  t.equal(after.targetLibs['x86_64-unknown-linux-gnu'], before.targetLibs['x86_64-unknown-linux-gnu'], "and the same host libraries: the host's keys stay (before: every key changed)");
  t.ok(after.targetLibs['wasm32-unknown-unknown'], 'the new target has its own listing');
  t.equal(before.targetLibs['wasm32-unknown-unknown'], undefined, 'which it had not before');
});

t.test('a compiler that sets RUSTC_BOOTSTRAP=1 itself is known as one that always allows unstable features', async (t) => {
  await initHash();
  const dir = tmp('rid-boot');
  const boot = join(dir, 'rustc-boot');
  const plain = join(dir, 'rustc-plain');
  writeFileSync(boot, `#!/bin/sh\nRUSTC_BOOTSTRAP=1 exec '${realRustc}' "$@"\n`, { mode: 0o755 });
  writeFileSync(plain, `#!/bin/sh\nexec '${realRustc}' "$@"\n`, { mode: 0o755 });
  const store = await Store.open(tmp('rid-boot-store'));
  t.teardown(() => store.close());
  const ids = new RustcIdentities(store);
  const real = await ids.get(realRustc, dir, {});
  const stable = !/-(nightly|dev)\b/.test(real.release);
  t.equal((await ids.get(boot, dir, {})).unstableAlways, stable, 'the script that sets it (on a stable toolchain: a nightly allows them anyway)');
  t.equal((await ids.get(plain, dir, {})).unstableAlways, false, 'not the script that leaves it alone');
  t.equal((await ids.get(plain, dir, { RUSTC_BOOTSTRAP: '1' })).unstableAlways, false, "nor that script under a call's own RUSTC_BOOTSTRAP, which the call's key and plan see anyway");
  t.equal(real.unstableAlways, false, 'nor rustc itself');
  t.same(await new RustcIdentities(store).get(boot, dir, {}), await ids.get(boot, dir, {}), 'recorded for the next daemon');
});

t.test("RUSTC_OVERRIDE_VERSION_STRING in the first call's environment is not the compiler's identity: it rewrites -vV's release line only", async (t) => {
  await initHash();
  const dir = tmp('rid-override');
  const real = await new RustcIdentities(await openStore(t, tmp('rid-override-a'))).get(realRustc, dir, {});
  const fake = /-nightly\b/.test(real.release) ? '1.95.0' : '1.95.0-nightly';
  const store = await openStore(t, tmp('rid-override-b'));
  const first = await new RustcIdentities(store).get(realRustc, dir, { RUSTC_OVERRIDE_VERSION_STRING: fake });
  t.equal(first.release, real.release, `probed under RUSTC_OVERRIDE_VERSION_STRING=${fake}: the compiler's own release, which decides its channel and mangling`);
  t.same(first, real, 'the whole identity as without it');
  t.same(await new RustcIdentities(store).get(realRustc, dir, {}), real, 'and the next daemon, whose calls lack it, recalls that one');
});

t.test('a rustc that is a symlink to rustup elsewhere is a proxy too: probed per directory, never recorded', async (t) => {
  await initHash();
  const dir = tmp('rid-proxy-link');
  // `<dir>/bin/rustc -> <dir>/rustup-home/rustup`, with no rustup beside the link (as /usr/local/bin/rustc -> ~/.cargo/bin/rustup).
  const { rustc: script, runs } = loggingRustc(join(dir, 'script'));
  mkdirSync(join(dir, 'rustup-home'));
  cpSync(script, join(dir, 'rustup-home', 'rustup'));
  mkdirSync(join(dir, 'bin'));
  symlinkSync(join(dir, 'rustup-home', 'rustup'), join(dir, 'bin', 'rustc'));
  const rustc = join(dir, 'bin', 'rustc');
  const store = await Store.open(tmp('rid-proxy-link-store'));
  t.teardown(() => store.close());
  const [a, b] = [tmp('rid-proxy-a'), tmp('rid-proxy-b')];
  const ids = new RustcIdentities(store);
  await ids.get(rustc, a, {});
  await ids.get(rustc, b, {});
  t.equal(runs().length, 4, 'each directory probed (what it runs depends on the toolchain file there); the old code probed once, for both');
  await new RustcIdentities(store).get(rustc, a, {});
  t.equal(runs().length, 6, 'and a new daemon probes again: nothing recorded');
});

t.test('one daemon checks the identity it memoised on every call: a librustc_driver rebuilt in place is probed again', async (t) => {
  await initHash();
  const dir = tmp('rid-live');
  const sysroot = join(dir, 'sysroot');
  mkdirSync(join(sysroot, 'lib', 'rustlib', 'x86_64-unknown-linux-gnu', 'lib'), { recursive: true });
  writeFileSync(join(sysroot, 'lib', 'librustc_driver-0000.so'), 'driver');
  const { rustc, ranTimes } = sysrootRustc(dir, sysroot);
  const ids = new RustcIdentities();
  await ids.get(rustc, dir, {});
  await ids.get(rustc, dir, {});
  t.equal(ranTimes(), 2, 'probed once while nothing changes');
  appendFileSync(join(sysroot, 'lib', 'librustc_driver-0000.so'), ' rebuilt');
  await ids.get(rustc, dir, {});
  t.equal(ranTimes(), 4, 'the same daemon probes again once the driver changed (old code: never, for its whole life)');
  await ids.get(rustc, dir, {});
  t.equal(ranTimes(), 4, 'and once only');
});

t.test("a rustup proxy's memoised identity follows the toolchain that applies: a toolchain file written, a toolchain name linked elsewhere", async (t) => {
  await initHash();
  // A stand-in for rustup: `rustc` beside a `rustup`, running the toolchain that
  // `rust-toolchain.toml` (in the call's directory) or RUSTUP_TOOLCHAIN names, from
  // <home>/toolchains/<name>, whose bin/rustc reports its own sysroot.
  const dir = tmp('rid-rustup');
  const home = join(dir, 'rustup-home');
  const runs = join(dir, 'runs.log');
  for (const name of ['one', 'two']) {
    const root = join(dir, 'installed', name);
    mkdirSync(join(root, 'lib', 'rustlib', 'x86_64-unknown-linux-gnu', 'lib'), { recursive: true });
    mkdirSync(join(root, 'bin'));
    writeFileSync(join(root, 'lib', `librustc_driver-${name}.so`), name);
    writeFileSync(join(root, 'bin', 'rustc'), `#!/bin/sh\nif [ "$1" = --print ] && [ "$2" = sysroot ]; then echo '${root}'; exit 0; fi\nif [ "$1" = -vV ]; then '${realRustc}' -vV | sed 's/^commit-hash: .*/commit-hash: ${name}/'; exit 0; fi\nexec '${realRustc}' "$@"\n`, { mode: 0o755 });
  }
  mkdirSync(join(home, 'toolchains'), { recursive: true });
  symlinkSync(join(dir, 'installed', 'one'), join(home, 'toolchains', 'stable'));
  mkdirSync(join(dir, 'bin'));
  const proxy = `#!/bin/sh\necho "$*" >> '${runs}'\ntc=\${RUSTUP_TOOLCHAIN:-stable}\nif [ -f rust-toolchain.toml ]; then tc=$(sed -n 's/^channel = "\\(.*\\)"/\\1/p' rust-toolchain.toml); fi\nexec '${home}/toolchains/'"$tc"/bin/rustc "$@"\n`;
  writeFileSync(join(dir, 'bin', 'rustc'), proxy, { mode: 0o755 });
  writeFileSync(join(dir, 'bin', 'rustup'), '');
  const rustc = join(dir, 'bin', 'rustc');
  const ranTimes = () => readFileSync(runs, 'utf8').split('\n').filter(Boolean).length;
  const project = join(dir, 'project');
  mkdirSync(project);
  const env = { RUSTUP_HOME: home };
  const ids = new RustcIdentities();

  const first = await ids.get(rustc, project, env);
  await ids.get(rustc, project, env);
  t.equal(ranTimes(), 2, 'probed once while nothing changes');
  symlinkSync(join(dir, 'installed', 'two'), join(home, 'toolchains', 'two'));
  writeFileSync(join(project, 'rust-toolchain.toml'), '[toolchain]\nchannel = "two"\n');
  const second = await ids.get(rustc, project, env);
  t.equal(ranTimes(), 4, 'a toolchain file written in the directory: probed again (old code: the memo answered)');
  t.not(second.digest, first.digest, 'and the identity is the other toolchain\'s');

  const pinned = { RUSTUP_HOME: home, RUSTUP_TOOLCHAIN: 'stable' };
  const elsewhere = join(dir, 'elsewhere');
  mkdirSync(elsewhere);
  const a = await ids.get(rustc, elsewhere, pinned);
  t.equal(a.digest, first.digest, 'RUSTUP_TOOLCHAIN=stable runs the first');
  rmSync(join(home, 'toolchains', 'stable'));
  symlinkSync(join(dir, 'installed', 'two'), join(home, 'toolchains', 'stable'));
  const b = await ids.get(rustc, elsewhere, pinned);
  t.not(b.digest, a.digest, 'the name linked to the other toolchain (rustup toolchain link, or an update under the name): another identity (old code: the first\'s)');
  t.equal(ranTimes(), 8, 'probed again for it');
});

t.test("a rustup proxy's identities, one per directory, are kept to a bound: the least recently used let go", async (t) => {
  await initHash();
  const dir = tmp('rid-proxy-bound');
  const { rustc, runs } = loggingRustc(dir, { proxy: true });
  const ids = new RustcIdentities(undefined, 4);
  const busy = tmp('rid-busy');
  await ids.get(rustc, busy, {});
  // Twelve checkouts, one after another, with the busy directory's builds going on between them.
  for (let i = 0; i < 12; i++) {
    await ids.get(rustc, tmp(`rid-checkout-${i}`), {});
    await ids.get(rustc, busy, {});
    t.ok(ids.memoSize <= 4, `after ${i + 1} new directories, ${ids.memoSize} identities memoised (at most 4)`);
  }
  const probes = () => runs().filter((r) => r === '-vV').length;
  t.equal(probes(), 13, 'the busy directory was probed once, each new one once');
  await ids.get(rustc, busy, {});
  t.equal(probes(), 13, 'and is still memoised');
});

t.test("one daemon's memoised identity follows its target libraries: a std rebuilt in the sysroot is listed again", async (t) => {
  // A linked toolchain whose library/ a developer rebuilt: the names and sizes of the target's
  // libraries are in every key (manifestKey.ts item 2), and the memo kept the old listing, so a
  // call found its std gone (E0463 plainly) and hit (a mutation audit's find).
  await initHash();
  const dir = tmp('rid-libs');
  const sysroot = join(dir, 'sysroot');
  const libDir = hostLibs(sysroot);
  const { rustc } = sysrootRustc(dir, sysroot);
  const ids = new RustcIdentities();
  const before = (await ids.get(rustc, dir, {})).targetLibs['x86_64-unknown-linux-gnu'];
  t.ok(before, 'the target has a listing');
  rmSync(join(libDir, 'libstd-0000.rlib'));
  writeFileSync(join(libDir, 'libstd-1111.rlib'), 'std, rebuilt');
  const after = (await ids.get(rustc, dir, {})).targetLibs['x86_64-unknown-linux-gnu'];
  t.not(after, before, 'the same daemon lists it again (old code: the listing of its first call, for its whole life)');
  t.equal((await ids.get(rustc, dir, {})).targetLibs['x86_64-unknown-linux-gnu'], after, 'and keeps the new one');
});
