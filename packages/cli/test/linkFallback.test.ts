import t from 'tap';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, copyFixture, fileTree, run, Store, tempDir } from './helpers.js';

// A hit's -Zlink-only step that fails: the call falls back to a plain rustc,
// the build succeeds, and the entry is evicted so the next build misses it.
// The linker below fails only under RUSTC_BOOTSTRAP (which the split's two
// halves get and a plain or fallback rustc never does) and only when asked.
t.test('a failed link of cached objects falls back to a plain compile and evicts the entry', async (t) => {
  const linker = join(tempDir('linker'), 'cc-unless-told');
  writeFileSync(linker, '#!/bin/sh\nif [ -n "$RUSTC_BOOTSTRAP" ] && [ -n "$SC_TEST_FAIL_SPLIT_LINK" ]; then echo "refusing the split link" >&2; exit 1; fi\nexec cc "$@"\n');
  chmodSync(linker, 0o755);
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = copyFixture();
  const env = { RUSTFLAGS: `-C linker=${linker}` };
  const build = ['build', '--bin', 'fx-app', '-j', '2'];

  assertOk(t, await store.cargo(ws, build, env), 'the cold build succeeds');
  const cold = await store.stats();
  t.ok(cold.misses >= 4, `the cold build stored its crates (${cold.misses} misses)`);

  rmSync(join(ws, 'target'), { recursive: true, force: true });
  const failing = await store.cargo(ws, build, { ...env, SC_TEST_FAIL_SPLIT_LINK: '1', SPLITCACHE_SESSION: 'failing' });
  assertOk(t, failing, 'the build with failing split links still succeeds');
  t.match(failing.stderr, /SPLITCACHE_LINK_FAILED/, 'and says why each linked crate was compiled again');
  t.equal((await run(join(ws, 'target/debug/fx-app'), [])).code, 0, 'the binary from the fallback compile runs');
  // The build script and the proc-macro are hits whose link fails: they are compiled plainly
  // after all, and counted as misses that stored nothing, not as hits. (The bin then misses: a
  // proc-macro from a plain rustc differs from a split one in its .rustc section, so the bin's key
  // changes; its split link fails too, as a miss.)
  const audit = await store.audit('failing');
  t.same(audit.filter((e) => e.outcome === 'hit' && e.crateType !== 'lib').map((e) => e.crate), [], 'no crate that links is counted as a hit');
  const linkingHits = audit.filter((e) => e.reason === 'link-failed').map((e) => e.crate);
  t.ok(linkingHits.includes('build_script_build') && linkingHits.includes('fx_derive'), `the crates whose cached objects failed to link are misses, reason link-failed (${linkingHits.join(', ')})`);
  t.ok(audit.filter((e) => e.reason === 'link-failed').every((e) => e.outcome === 'miss' && e.notStored === 'link-failed'), 'each stored nothing');
  const stats = await store.stats();
  // The bin's split link fails too, as a miss's, where a plain rustc succeeds: a line and a count of its own.
  const lines = failing.stderr.match(/SPLITCACHE_LINK_FAILED/g)?.length ?? 0;
  t.ok(lines > linkingHits.length, `a line for each failed link, the bin's too (${lines})`);
  t.equal(stats.errors.SPLITCACHE_LINK_FAILED, lines, 'each counted');
  t.equal(stats.notStored['link-failed'], linkingHits.length, 'and counted as not stored');
  const why = await store.splitcache(['explain', 'fx_derive', '--session', 'failing']);
  t.match(why.stdout, /fx_derive hit, then was compiled by a plain rustc after all:\n\s+linking its cached objects failed, and the entry was evicted/, '`explain` says what happened');
  // Its entry evicted, the next build misses it: explain says so (a built-plainly hit's entry is kept otherwise).
  t.match(why.stdout, /\n  and the plain rustc's result is not stored: the next build misses too\n$/, 'and that the next build misses too');

  rmSync(join(ws, 'target'), { recursive: true, force: true });
  assertOk(t, await store.cargo(ws, build, { ...env, SPLITCACHE_SESSION: 'again' }), 'a third build succeeds');
  const again = new Map((await store.audit('again')).map((e) => [e.crate, e.outcome]));
  for (const c of linkingHits) t.equal(again.get(c), 'miss', `${c} misses again: its entry was evicted`);
  t.equal(again.get('fx_core'), 'hit', 'a lib, which links nothing, still hits');
});

// A link that fails for the crate's own reasons (here a native library not installed) fails a
// plain rustc as well: the error is the user's. It used to be blamed on the cache
// (SPLITCACHE_LINK_FAILED on every build), the miss's entry kept and the hit's evicted, so the
// crate was compiled three times over each two builds. Now the user sees rustc's error alone,
// and the entry stays: once the library is there, the next build hits and links.
t.test("a crate's own link error: no line blames the cache, and the entry is kept for the build that links", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree({
    'Cargo.toml': '[package]\nname = "greets"\nversion = "0.1.0"\nedition = "2021"\n',
    'src/main.rs': '#[link(name = "scgreet")]\nunsafe extern "C" { fn sc_greet() -> i32; }\nfn main() { println!("greeting {}", unsafe { sc_greet() }); }\n',
  }, 'own-link-error');
  for (const session of ['first', 'second']) {
    const r = await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: session });
    t.not(r.code, 0, `the ${session} build fails, as a plain one does`);
    t.match(r.stderr, /scgreet/, "with the linker's own error");
    t.notMatch(r.stderr, /SPLITCACHE_/, 'and no line of splitcache');
  }
  t.same((await store.calls()).map((e) => e.reason ?? e.outcome), ['new-key', 'link-error'], 'a miss stored, then a hit whose link failed as a plain rustc did');
  t.equal((await store.stats()).errors.SPLITCACHE_LINK_FAILED ?? 0, 0, 'no cache fault counted');
  const why = await store.splitcache(['explain', 'greets']);
  t.match(why.stdout, /its link failed, and so did a plain rustc's: the crate's own error/, why.stdout);
  // Its entry is kept, so the build that links hits it: not "the next build misses too".
  t.notMatch(why.stdout, /misses too/, 'explain does not say the next build misses');

  const lib = tempDir('scgreet');
  writeFileSync(join(lib, 'greet.c'), 'int sc_greet(void) { return 42; }\n');
  assertOk(t, await run('cc', ['-c', 'greet.c', '-o', 'greet.o'], { cwd: lib }), 'cc');
  assertOk(t, await run('ar', ['rcs', 'libscgreet.a', 'greet.o'], { cwd: lib }), 'ar');
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'mended', LIBRARY_PATH: lib }), 'with the library installed, the build succeeds');
  t.same((await store.calls('mended')).map((e) => e.outcome), ['hit'], 'hitting the entry kept');
  t.equal((await run(join(ws, 'target/debug/greets'), [])).stdout, 'greeting 42\n', 'and the binary runs');
});
