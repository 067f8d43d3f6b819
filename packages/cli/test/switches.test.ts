import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { assertOk, BIN, fileTree, printingCrate, printingCrateArgs, run, Store, tempDir } from './helpers.js';

// The per-call switches a ccache or sccache user reaches for: SPLITCACHE_DISABLE
// (CCACHE_DISABLE) and SPLITCACHE_RECACHE (CCACHE_RECACHE, SCCACHE_RECACHE).
// The rustc here is the real one behind a script that logs each run.
const realRustc = execFileSync('rustc', ['--print', 'sysroot'], { encoding: 'utf8' }).trim() + '/bin/rustc';

function loggingRustc(): { rustc: string; runs: () => string[] } {
  const dir = tempDir('logrustc');
  const log = join(dir, 'runs.log');
  const rustc = join(dir, 'rustc');
  writeFileSync(rustc, `#!/bin/sh\necho "$*" >> '${log}'\nexec '${realRustc}' "$@"\n`, { mode: 0o755 });
  return { rustc, runs: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []) };
}

t.test('SPLITCACHE_RECACHE=1 compiles a call that would hit and stores its result over the old one', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = printingCrate('recached');
  const { rustc, runs } = loggingRustc();
  const call = (env: NodeJS.ProcessEnv = {}) => run(BIN, [rustc, ...printingCrateArgs(crate)], { cwd: crate, env: store.env(env) });

  assertOk(t, await call(), 'a first call (a miss, stored)');
  const compiled = runs().length;
  assertOk(t, await call(), 'a second call');
  t.equal(runs().length - compiled, 1, 'hits: only the link runs');

  const before = runs().length;
  assertOk(t, await call({ SPLITCACHE_RECACHE: '1' }), 'a call with SPLITCACHE_RECACHE=1');
  const ran = runs().slice(before);
  t.ok(ran.some((a) => a.includes('-Zno-link')), 'compiles instead of hitting');
  t.equal(execFileSync(join(crate, 'out', 'trial-t'), { encoding: 'utf8' }), 'recached\n', 'and its binary runs');

  const after = runs().length;
  assertOk(t, await call(), 'the next call without it');
  t.equal(runs().length - after, 1, 'hits again');

  const events = (await store.audit()).filter((e) => e.crate === 'trial');
  t.same(events.map((e) => e.outcome), ['miss', 'hit', 'miss', 'hit'], 'miss, hit, the recache miss, hit');
  t.equal(events[2]!.reason, 'recache', 'the recache is its miss reason');
  t.equal(events[2]!.entryKey, events[0]!.entryKey, 'its result is stored under the same entry, replacing it');
  t.equal(events[3]!.entryKey, events[0]!.entryKey, 'which is what the next call hits');
  const explained = await store.splitcache(['explain', 'trial']);
  t.equal(explained.stdout, 'trial: its latest call hit; its last miss, explained:\ntrial was compiled without a lookup: SPLITCACHE_RECACHE=1 was set\n', 'explain names the switch, not a key difference');
  const stats = await store.stats();
  t.equal(stats.hits, 2, 'two hits counted');
  t.equal(stats.misses, 2, 'two misses counted');
});

t.test('SPLITCACHE_DISABLE=1 sends rustc calls straight to rustc: no daemon, no store', async (t) => {
  const dir = join(tempDir('disabled'), 'store');
  const crate = printingCrate('disabled');
  const { rustc, runs } = loggingRustc();
  const env = { ...new Store(dir).env(), SPLITCACHE_DISABLE: '1' };
  const r = await run(BIN, [rustc, ...printingCrateArgs(crate)], { cwd: crate, env });
  assertOk(t, r, 'the call builds');
  t.equal(r.stderr, '', 'and says nothing');
  t.equal(execFileSync(join(crate, 'out', 'trial-t'), { encoding: 'utf8' }), 'disabled\n', 'its binary runs');
  t.equal(runs().length, 1, 'one plain rustc run, not split');
  t.notOk(runs()[0]!.includes('-Zno-link'), 'with the arguments as given');
  t.notOk(existsSync(dir), 'no store dir was made, so no daemon started');

  writeFileSync(join(crate, 'Cargo.toml'), '[package]\nname = "disabled-app"\nversion = "0.1.0"\nedition = "2021"\n');
  const target = tempDir('disabled-target');
  assertOk(t, await run(BIN, ['cargo', 'build', '--quiet'], { cwd: crate, env: { ...env, CARGO_TARGET_DIR: target } }), '`splitcache cargo build` builds too');
  t.equal(execFileSync(join(target, 'debug', 'disabled-app'), { encoding: 'utf8' }), 'disabled\n', 'its binary runs');
  t.notOk(existsSync(dir), 'and still no store');
});

// As ccache reads CCACHE_DISABLE: set means on, but for the values that say off. Only `1` was
// read before: SPLITCACHE_DISABLE=true cached the build, and SPLITCACHE_RECACHE=yes hit.
t.test('the switches are on for any value but 0, false, no and off', async (t) => {
  const crate = printingCrate('switched');
  for (const [value, on] of [['true', true], ['YES', true], ['on', true], ['0', false], ['false', false], ['Off', false], ['no', false], ['  ', false]] as const) {
    const dir = join(tempDir('switch'), 'store');
    const store = new Store(dir);
    const r = await run(BIN, [realRustc, ...printingCrateArgs(crate)], { cwd: crate, env: store.env({ SPLITCACHE_DISABLE: value }) });
    assertOk(t, r, `SPLITCACHE_DISABLE=${value}: the call builds`);
    t.equal(existsSync(dir), !on, `SPLITCACHE_DISABLE=${value}: ${on ? 'no store made' : 'cached'}`);
    if (!on) await store.stop();
  }
  const store = new Store();
  t.teardown(() => store.stop());
  const call = (env: NodeJS.ProcessEnv = {}) => run(BIN, [realRustc, ...printingCrateArgs(crate)], { cwd: crate, env: store.env(env) });
  assertOk(t, await call(), 'stored');
  assertOk(t, await call({ SPLITCACHE_RECACHE: 'false' }), 'SPLITCACHE_RECACHE=false');
  assertOk(t, await call({ SPLITCACHE_RECACHE: 'yes' }), 'SPLITCACHE_RECACHE=yes');
  // Only blanks is unset (docs/CONFIG.md): it recached, and its producer and session were the blanks.
  assertOk(t, await call({ SPLITCACHE_RECACHE: ' ', SPLITCACHE_SESSION: ' ' }), 'SPLITCACHE_RECACHE and SPLITCACHE_SESSION of blanks');
  const calls = await store.calls();
  t.same(calls.map((e) => e.reason ?? e.outcome), ['new-key', 'hit', 'recache', 'hit'], 'false looks up and hits; yes compiles again; blanks hit');
  t.notOk(calls[3]!.session, 'a session of blanks is none');
});

t.test("a call with RUSTC_LOG set runs plainly: rustc's log is never stored, nor replayed to a later build", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree({
    'Cargo.toml': '[package]\nname = "logged"\nversion = "0.1.0"\nedition = "2021"\n',
    'src/main.rs': 'fn main() { println!("logged"); }\n',
  }, 'rustc-log');
  const clean = async () => assertOk(t, await run('cargo', ['clean'], { cwd: ws }), 'cargo clean');
  const logged = await store.cargo(ws, ['build'], { RUSTC_LOG: 'rustc_metadata::creader=info' });
  assertOk(t, logged, 'a build with RUSTC_LOG');
  t.match(logged.stderr, /INFO rustc_metadata::creader/, "shows rustc's log");
  await clean();
  const after = await store.cargo(ws, ['build']);
  assertOk(t, after, 'the next build, without it');
  t.notMatch(after.stderr, /INFO /, "shows none of it (before: the log, replayed from the stored result)");
  t.same((await store.stats()).passthrough, { 'rustc-log': 1 }, 'the logged call was counted as run plainly');
  await clean();
  const again = await store.cargo(ws, ['build'], { RUSTC_LOG: 'rustc_metadata::creader=info' });
  t.match(again.stderr, /INFO rustc_metadata::creader/, 'and a build with it again shows the log, where a hit would have shown none');
});

t.test('a call with RUSTC_CTFE_BACKTRACE set runs plainly: the backtraces it prints are never stored, nor left out of a hit', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  // At opt-level 1 the const evaluator meets (and recovers from) errors in this lib, and with
  // `immediate` prints a backtrace for each while the compile succeeds (any other value but 0
  // captures them for the errors it reports; such a call runs plainly too).
  const ws = fileTree({
    'Cargo.toml': '[package]\nname = "ctfe"\nversion = "0.1.0"\nedition = "2021"\n\n[profile.dev]\nopt-level = 1\n',
    'src/lib.rs': [
      'pub trait T { const N: usize; }',
      'pub fn z<X: T>() -> usize { X::N * 2 + std::mem::size_of::<X>() }',
      'pub fn y(v: &[u8]) -> u8 { let i = v.len(); if i > 3 { v[i - 1] } else { 0 } }',
      'pub struct A; impl T for A { const N: usize = 3; }',
      'pub fn w() -> usize { z::<A>() }',
      '',
    ].join('\n'),
  }, 'ctfe-backtrace');
  const clean = async () => assertOk(t, await run('cargo', ['clean'], { cwd: ws }), 'cargo clean');
  const traced = await store.cargo(ws, ['build'], { RUSTC_CTFE_BACKTRACE: 'immediate' });
  assertOk(t, traced, 'a build with RUSTC_CTFE_BACKTRACE=immediate');
  t.match(traced.stderr, /An error occurred in the MIR interpreter/, 'shows the backtraces');
  await clean();
  const after = await store.cargo(ws, ['build']);
  assertOk(t, after, 'the next build, without it');
  t.notMatch(after.stderr, /MIR interpreter/, 'shows none (before: replayed from the stored result)');
  await clean();
  const again = await store.cargo(ws, ['build'], { RUSTC_CTFE_BACKTRACE: 'immediate' });
  t.match(again.stderr, /An error occurred in the MIR interpreter/, 'a build with it again shows them, where a hit showed none');
  await clean();
  const off = await store.cargo(ws, ['build'], { RUSTC_CTFE_BACKTRACE: '0' });
  t.notMatch(off.stderr, /MIR interpreter/, '0 is off, as rustc reads it');
  t.same((await store.stats()).passthrough, { 'ctfe-backtrace': 2 }, 'the two traced calls ran plainly; the rest were cached');
});
