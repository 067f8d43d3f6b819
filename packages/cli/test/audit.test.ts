import t from 'tap';
import { formatBytes } from '@splitcache/store/gc';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { assertOk, BIN, copyFixture, fileTree, printingCrate, run, Store } from './helpers.js';

// Issue 5: every hit accounted for, every miss explained; eviction and verify.

t.test('explain names the edited file and nothing else; audit shows hits with provenance', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = copyFixture();
  assertOk(t, await store.cargo(ws, ['build', '--all-targets'], { SPLITCACHE_SESSION: 'one' }));
  const lib = join(ws, 'util/src/lib.rs');
  writeFileSync(lib, readFileSync(lib, 'utf8').replace('x * 2', '2 * x'));
  await store.cargo(ws, ['clean']);
  assertOk(t, await store.cargo(ws, ['build', '--all-targets'], { SPLITCACHE_SESSION: 'two' }));

  const r = await store.splitcache(['explain', 'fx-util', '--session', 'two', '--json']);
  assertOk(t, r, 'explain runs');
  const ex = JSON.parse(r.stdout) as { verdict: string; differences: { name: string }[] };
  t.equal(ex.verdict, 'key');
  t.same(ex.differences.map((d) => d.name), ['file:util/src/lib.rs'], 'the edited file, and no other component');

  const hits = (await store.audit('two')).filter((e) => e.outcome === 'hit');
  t.ok(hits.length >= 3, `${hits.length} hits in the second session`);
  for (const h of hits) {
    t.equal(h.origin, 'local', `${h.crate} hit has an origin`);
    t.ok(h.producer && h.producer.length > 0, `${h.crate} hit names its producer`);
    t.ok((h.timeSavedMs ?? 0) > 0, `${h.crate} hit saved time (${h.timeSavedMs} ms)`);
  }
  const human = await store.splitcache(['explain', 'fx-util', '--session', 'two']);
  t.match(human.stdout, /file:util\/src\/lib\.rs/);
});

t.test("audit --crate takes the package's name (a hyphen for rustc's underscore), as stats --crate and explain do", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = printingCrate('two words');
  writeFileSync(join(crate, 'Cargo.toml'), '[package]\nname = "two-words"\nversion = "0.1.0"\nedition = "2021"\n');
  assertOk(t, await store.cargo(crate, ['build']));
  const byPackage = await store.splitcache(['audit', '--json', '--crate', 'two-words']);
  const byCrate = await store.splitcache(['audit', '--json', '--crate', 'two_words']);
  assertOk(t, byPackage, 'audit --crate two-words runs');
  t.equal(byCrate.stdout.split('\n').filter(Boolean).length, 1, "rustc's name finds the call");
  t.equal(byPackage.stdout, byCrate.stdout, "and the package's finds the same");
  t.match((await store.splitcache(['stats', '--crate', 'two-words'])).stdout, /^0 hits \(0 %\), 1 miss,/, 'as stats --crate does');
});

t.test("a build script is audited and explained under its package's name, as cargo names it", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = copyFixture();
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'one' }));
  const script = join(ws, 'core/build.rs');
  writeFileSync(script, `${readFileSync(script, 'utf8')}// edited\n`);
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'two' }));

  const lines = (await store.audit('one')).filter((e) => e.crateType === 'build-script');
  t.same(lines.map((e) => [e.crate, e.pkg]), [['build_script_build', 'fx-core']], "its line names fx-core, every build script's crate being build_script_build");
  t.notOk((await store.audit('one')).some((e) => e.crateType !== 'build-script' && e.pkg), 'a crate named after its package has no package field');
  const byPackage = (await store.splitcache(['audit', '--json', '--crate', 'fx-core', '--session', 'two'])).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { crate: string });
  t.same(byPackage.map((e) => e.crate).sort(), ['build_script_build', 'fx_core'], 'audit --crate fx-core finds its build script with its lib');
  const text = (await store.splitcache(['audit', '--session', 'two'])).stdout.trimEnd().split('\n');
  t.match(text.join('\n'), /miss +build_script_build \(fx-core\) +build-script/, 'the text form names the package');
  // Its crate and type took one column 36 wide, and a longer pair pushed the reason out of line.
  const cold = (await store.splitcache(['audit', '--session', 'one'])).stdout.trimEnd().split('\n');
  const json = await store.audit('one');
  const reasonAt = json.map((e, i) => (e.outcome === 'miss' ? cold[i]!.length - (e.reason ?? '').length : -1)).filter((at) => at >= 0);
  t.ok(reasonAt.length > 1, 'several misses');
  t.same(new Set(reasonAt).size, 1, 'their reasons start in one column');

  const r = await store.splitcache(['explain', 'fx-core', '--type', 'build-script', '--session', 'two']);
  assertOk(t, r, 'explain fx-core --type build-script runs');
  t.match(r.stdout, /^fx-core \(build script\) missed because its key differs from the nearest earlier entry in:\n {2}file:core\/build\.rs\n/, 'naming the edited build.rs, against its own earlier entry');
  // The lib hit in session two (its build script printed the same): its miss of session one, the first build.
  const lib = JSON.parse((await store.splitcache(['explain', 'fx-core', '--type', 'lib', '--session', 'one', '--json'])).stdout) as { crateType: string; verdict: string };
  t.same([lib.crateType, lib.verdict], ['lib', 'first-build'], '--type lib explains the lib');
});

// Every build script's crate is build_script_build: one package's first build script was
// explained against another package's, as the nearest earlier entry of that name.
t.test("a package's first build script is its first build, whatever other packages' build scripts were stored", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const member = (name: string) => ({
    [`${name}/Cargo.toml`]: `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\n`,
    [`${name}/build.rs`]: 'fn main() { println!("cargo:rerun-if-changed=build.rs"); }\n',
    [`${name}/src/lib.rs`]: 'pub fn f() {}\n',
  });
  const ws = fileTree({ 'Cargo.toml': '[workspace]\nmembers = ["first", "second"]\nresolver = "2"\n', ...member('first'), ...member('second') }, 'two-scripts');
  assertOk(t, await store.cargo(ws, ['build', '-p', 'first']), 'the first package builds');
  assertOk(t, await store.cargo(ws, ['build', '-p', 'second']), 'then the second');
  const r = await store.splitcache(['explain', 'second', '--type', 'build-script']);
  assertOk(t, r);
  t.equal(r.stdout, 'second (build script) missed because no earlier entry of this crate exists\n', "not compared with the first package's build script");

  // A misspelt name was told it "has no recorded miss", as a crate that always hit is.
  assertOk(t, await store.cargo(ws, ['build', '-p', 'first']), 'the first package again: all hits');
  t.equal((await store.splitcache(['explain', 'first', '--type', 'lib', '--session', 'none'])).stderr, 'splitcache: no call of first in session none of type lib is in the audit log\n', 'a crate with no call in the session');
  t.equal((await store.splitcache(['explain', 'frist'])).stderr, "splitcache: frist is named by no call in the audit log (a crate's name or its package's, as cargo prints it); did you mean first?\n", 'a name no call has');
});

t.test('stats and the audit log survive a daemon stop and restart', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = copyFixture();
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'before' }));
  const before = await store.stats();
  const events = await store.audit();
  t.ok(before.misses > 0 && events.length > 0);
  await store.stop();
  t.notOk(readdirSync(store.dir).includes('daemon.pid'), 'the daemon is gone');
  const after = await store.stats();
  t.equal(after.misses, before.misses, 'misses survived');
  t.same(after.byType, before.byType, 'per-type counts survived');
  t.equal((await store.audit()).length, events.length, 'the audit log survived');
});

t.test('stats --zero sets the counters back to zero for good; the audit log is kept', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = copyFixture();
  assertOk(t, await store.cargo(ws, ['build']));
  const first = await store.stats();
  const logged = (await store.audit()).length;
  t.ok(first.misses > 0 && logged > 0, `the first build counted ${first.misses} misses`);
  // The store's size, as ccache -s and sccache --show-stats give it: walked, so it is what is on disk.
  const onDisk = blobsOnDisk(join(store.dir, 'blobs'));
  t.same([first.usage.blobs, first.usage.blobBytes], [onDisk.blobs, onDisk.bytes], `the blobs on disk: ${onDisk.blobs}, ${onDisk.bytes} bytes`);
  t.ok(first.usage.indexBytes > 0, 'and the index');
  t.equal(first.usage.maxBytes, 10 * 2 ** 30, 'against the default limit');
  // Against the limit, the blobs (what gc holds to it); the index apart: with it in, a store gc'd to 50 MiB read 51.2 MiB of 50.
  const shown = /^store size +(.*)$/m.exec((await store.splitcache(['stats'])).stdout)?.[1] ?? '';
  t.equal(shown.replace(/; index .*$/, ''), `${formatBytes(onDisk.bytes)} of 10.0 GiB (${((100 * onDisk.bytes) / 2 ** 30 / 10).toFixed(1)} %), ${onDisk.blobs} blobs`, `the table shows the blobs (${shown})`);
  t.match(shown, /; index \d+(\.\d)? (B|KiB|MiB)$/, 'and the index apart');
  const z = await store.splitcache(['stats', '--zero']);
  assertOk(t, z, 'stats --zero runs');
  t.match(z.stdout, /statistics zeroed/);
  const zeroed = await store.stats();
  t.same([zeroed.hits, zeroed.misses, zeroed.byType, zeroed.passthrough, zeroed.bytesStored], [0, 0, {}, {}, 0], 'every counter is zero');
  t.ok(zeroed.zeroedAt && Math.abs(Date.now() - zeroed.zeroedAt) < 60_000, 'and the time of the reset is shown');
  t.equal((await store.audit()).length, logged, 'the audit log is untouched');
  // The next build counts from zero, and a restarted daemon does not bring the old totals back.
  await store.cargo(ws, ['clean']);
  assertOk(t, await store.cargo(ws, ['build']));
  await store.stop();
  const after = await store.stats();
  t.equal(after.misses, 0, 'no misses since the reset');
  t.equal(after.hits, first.misses, `the warm build's ${after.hits} hits, one for each earlier miss`);
  // The byte and time totals are the hit lines' sums (a mutation audit found bytesRestored unchecked).
  const hits = (await store.audit()).filter((e) => e.outcome === 'hit' && e.time >= zeroed.zeroedAt!);
  t.equal(hits.length, after.hits, 'the hit lines since the reset');
  const restored = hits.reduce((n, e) => n + (e.bytes ?? 0), 0);
  t.ok(restored > 0 && after.bytesRestored === restored, `bytes restored: their bytes (${after.bytesRestored} of ${restored})`);
  t.equal(after.timeSavedMs, hits.reduce((n, e) => n + Math.max(0, e.timeSavedMs ?? 0), 0), 'time saved: their time');
  // --origin counts only the lines of that origin (a mutation audit found the filter unchecked).
  const lines = await store.audit();
  const byOrigin = async (o: string) => JSON.parse((await store.splitcache(['stats', '--json', '--origin', o])).stdout) as { hits: number; misses: number };
  const [allHits, allMisses] = [lines.filter((e) => e.outcome === 'hit').length, lines.filter((e) => e.outcome === 'miss').length];
  t.ok(allHits > 0 && allMisses > 0, `the log has hits (${allHits}) and misses (${allMisses})`);
  t.same(await byOrigin('local'), { ...(await byOrigin('local')), hits: allHits, misses: 0 }, 'stats --origin local: the local hits alone');
  t.same(await byOrigin('miss'), { ...(await byOrigin('miss')), hits: 0, misses: allMisses }, 'stats --origin miss: the misses alone');
  t.equal((await byOrigin('remote')).hits, 0, 'stats --origin remote: no remote hit');
  // The table's hit rate (found unchecked by the same audit).
  const rate = ((100 * after.hits) / (after.hits + after.misses)).toFixed(1);
  t.match((await store.splitcache(['stats'])).stdout, new RegExp(`^hit rate +${rate.replace('.', '\\.')} %$`, 'm'), `the table's hit rate: ${rate} %`);
  t.equal(after.zeroedAt, zeroed.zeroedAt, 'the reset time survives a restart');
  t.match((await store.splitcache(['stats'])).stdout, /^zeroed +\d{4}-\d\d-\d\dT/m, 'the table says when');
});

t.test('audit verify finds and evicts a bit-flipped blob, and the next build is correct', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = copyFixture();
  assertOk(t, await store.cargo(ws, ['build']));
  // Flip a bit in the largest blob (an object file or rlib).
  const blobs = join(store.dir, 'blobs');
  const files = readdirSync(blobs).filter((d) => d !== 'tmp').flatMap((d) => readdirSync(join(blobs, d)).map((f) => join(blobs, d, f)));
  const victim = files.sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
  const bytes = readFileSync(victim);
  const mid = bytes.length >> 1;
  bytes[mid] = bytes[mid]! ^ 0x10;
  chmodSync(victim, 0o644);
  writeFileSync(victim, bytes);

  const v = await store.splitcache(['audit', 'verify', '--json']);
  t.equal(v.code, 1, 'verify exits 1 when it found damage');
  const report = JSON.parse(v.stdout) as { badBlobs: string[]; entriesEvicted: number };
  t.equal(report.badBlobs.length, 1, 'exactly the flipped blob is bad');
  t.ok(report.entriesEvicted >= 1, 'the entries that need it are evicted');
  const again = await store.splitcache(['audit', 'verify', '--json']);
  t.equal(again.code, 0, 'a second verify finds nothing');

  await store.cargo(ws, ['clean']);
  const rebuilt = await run(BIN, ['cargo', 'build'], { cwd: ws, env: store.env({ SPLITCACHE_SESSION: 'after-verify' }) });
  assertOk(t, rebuilt);
  t.match((await run(join(ws, 'target/debug/fx-app'), [])).stdout, /double=42/, 'the rebuilt binary is correct');
  t.same((await store.stats()).errors, {}, 'no corrupt blob was ever served');
  // What verify evicted is not the size limit's doing: the misses, the summary and explain say so.
  const misses = (await store.audit()).filter((e) => e.session === 'after-verify' && e.outcome === 'miss');
  t.ok(misses.length >= 1 && misses.every((e) => e.reason === 'damaged'), `its misses say \`damaged\` (${misses.map((e) => e.reason).join(', ')})`);
  t.match(rebuilt.stderr, /of entries `audit verify` evicted for a damaged blob/, 'and so does the summary line');
  t.notMatch(rebuilt.stderr, /gc had evicted/, 'not gc');
  const crate = misses[0]?.crate ?? '';
  const why = await store.splitcache(['explain', crate, '--session', 'after-verify']);
  t.match(why.stdout, /evicted by `splitcache audit verify`, which found a blob of it damaged/, `explain says it (${why.stdout.trim()})`);

  // A blob gone: it was named SPLITCACHE_BLOB_CORRUPT too, and no crate was named (an error-message audit's find).
  const now = readdirSync(blobs).filter((d) => d !== 'tmp').flatMap((d) => readdirSync(join(blobs, d)).map((f) => join(blobs, d, f)));
  const gone = now.sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
  rmSync(gone);
  const text = await store.splitcache(['audit', 'verify']);
  t.equal(text.code, 1, 'verify exits 1');
  t.match(text.stdout, /^verify: \d+ entries, \d+ blobs checked, 1 bad, \d+ entries evicted \([a-z_, ]+\)\n/, `the evicted entries' crates named (${text.stdout.split('\n')[0]})`);
  t.match(text.stdout, new RegExp(`\n  SPLITCACHE_BLOB_MISSING ${basename(dirname(gone))}${basename(gone)}\n$`), `the blob gone: missing (${text.stdout.trim()})`);
});

t.test('gc to a small max-size keeps the most recently hit entries', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = copyFixture();
  assertOk(t, await store.cargo(ws, ['build', '--all-targets'], { SPLITCACHE_SESSION: 'all' }));
  await new Promise((r) => setTimeout(r, 50));
  await store.cargo(ws, ['clean']);
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'recent' }));
  const recent = (await store.audit('recent')).filter((e) => e.outcome === 'hit');
  t.ok(recent.length >= 5, 'the libs, the bin, the build script and the proc-macro hit');
  // What those entries take on disk, their record blobs included (gc counts them: their outputs'
  // bytes alone would not fit them): the same build into a store of its own, a little slack for
  // the records' provenance (times, compile times).
  const alone = new Store();
  t.teardown(() => alone.stop());
  assertOk(t, await alone.cargo(copyFixture(), ['build']), 'the same build into a store of its own');
  const budget = blobsOnDisk(join(alone.dir, 'blobs')).bytes + 4096;

  const gc = await store.splitcache(['gc', '--max-size', String(budget), '--json']);
  assertOk(t, gc, 'gc runs');
  const r = JSON.parse(gc.stdout) as { entriesEvicted: number; bytesKept: number; blobsRemoved: number };
  t.ok(r.entriesEvicted >= 5, `the test and example entries went (${r.entriesEvicted})`);
  t.ok(r.blobsRemoved > 0 && r.bytesKept <= budget, 'their blobs were removed and the store fits');

  await store.cargo(ws, ['clean']);
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'after-gc' }));
  const after = await store.audit('after-gc');
  t.ok(after.filter((e) => e.outcome !== 'passthrough').every((e) => e.outcome === 'hit'), 'the recently hit entries were kept');
  assertOk(t, await store.cargo(ws, ['build', '--all-targets'], { SPLITCACHE_SESSION: 'rest' }), 'the full build still succeeds');
  t.ok((await store.audit('rest')).some((e) => e.outcome === 'miss'), 'evicted entries are rebuilt');
});

/** Blobs and their bytes, counted here rather than by the daemon: every file in blobs/<2 hex>/. */
function blobsOnDisk(root: string): { blobs: number; bytes: number } {
  let blobs = 0;
  let bytes = 0;
  for (const shard of readdirSync(root).filter((n) => /^[0-9a-f]{2}$/.test(n))) {
    for (const name of readdirSync(join(root, shard))) {
      blobs++;
      bytes += statSync(join(root, shard, name)).size;
    }
  }
  return { blobs, bytes };
}
