import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, oneFileCrate, printingCrate, printingCrateArgs, realRustc, run, Store, tempDir } from './helpers.js';

// A rustc whose `.rlink` this version can't read (Debian bookworm's 1.63 ends it with no
// `rust-end-file` footer) had every crate that links split into -Zno-link and -Zlink-only on every
// build, its result refused each time (daemon/src/rlinkSupport.ts). After three refusals of its
// format with none read, such crates pass through (`rlink-unsupported`), with one line saying so.

/**
 * A `rustc` in front of the real one that cuts the 13-byte footer off each `.rlink` it writes
 * (once `on` exists; always without it). With `ownFormat`, it reads its own format as an old rustc
 * does: the link step that comes next (any call but a `-Zno-link` one) gets the whole file back.
 * Without, the link step reads the cut file, and fails, as with a file cut short by a fault.
 */
async function footerlessRustc(o: { on?: string; ownFormat: boolean }): Promise<string> {
  const rustc = join(tempDir('old-rustc'), 'rustc');
  const when = o.on ? `[ -e '${o.on}' ] && ` : '';
  const restore = o.ownFormat ? 'for f in out/*.rlink.whole; do [ -e "$f" ] && mv "$f" "${f%.whole}"; done\n' : '';
  writeFileSync(rustc, `#!/bin/sh
case " $* " in *" -Zno-link "*) ;; *) ${restore.trim() || ':'} ;; esac
'${await realRustc()}' "$@" || exit $?
case " $* " in *" -Zno-link "*) ${when}for f in out/*.rlink; do [ -e "$f" ] && cp "$f" "$f.whole" && truncate -s -13 "$f"; done ;; esac
exit 0
`, { mode: 0o755 });
  return rustc;
}

const build = (store: Store, rustc: string, cwd: string) => run(BIN, [rustc, ...printingCrateArgs(cwd)], { cwd, env: store.env() });
const libArgs = (cwd: string) => ['--crate-name', 'leaf', '--edition=2021', 'src/main.rs', '--crate-type', 'lib', '--emit=dep-info,metadata,link', '--out-dir', join(cwd, 'out')];

t.test('a rustc whose .rlink is never readable: after three refusals its crates that link pass through, told once; libs stay cached', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const rustc = await footerlessRustc({ ownFormat: true });
  const said: string[] = [];
  for (const text of ['one', 'two', 'three', 'four', 'five']) {
    const cwd = printingCrate(text);
    const r = await build(store, rustc, cwd);
    t.equal(r.code, 0, `crate ${text} builds (${r.stderr.trim()})`);
    t.equal((await run(join(cwd, 'out', 'trial-t'), [])).stdout, `${text}\n`, 'and prints what it should');
    said.push(...r.stderr.split('\n').filter((l) => l.startsWith('splitcache:')));
  }
  const calls = await store.calls();
  const audit = await store.audit();
  t.same(audit.map((e) => e.outcome), ['miss', 'miss', 'miss', 'passthrough', 'passthrough'], 'three splits refused, then plain calls');
  t.same(audit.slice(3).map((e) => e.reason), ['rlink-unsupported', 'rlink-unsupported'], 'passed through for the format');
  t.equal(calls.length, 3, 'only the first three were looked up');
  t.equal(said.filter((l) => l.includes('SPLITCACHE_RLINK_UNSUPPORTED')).length, 1, `one line says why, once (${said.join(' | ')})`);
  t.match(said.find((l) => l.includes('SPLITCACHE_RLINK_UNSUPPORTED')) ?? '', /^splitcache: SPLITCACHE_RLINK_UNSUPPORTED: this rustc writes \.rlink files this splitcache can't read \(3 of its crates that link, read by their link steps and not here\): its crates that link are compiled plainly, uncached, until the daemon restarts; libs are cached as ever$/);

  const lib = oneFileCrate('pub fn leaf() -> u32 { 7 }\n'); // a lib, whose root is its src/main.rs here
  const libCall = (cwd: string) => run(BIN, [rustc, ...libArgs(cwd)], { cwd, env: store.env() });
  t.equal((await libCall(lib)).code, 0, 'a lib compiles');
  t.equal((await libCall(lib)).code, 0, 'and again');
  t.equal((await store.audit()).at(-1)?.outcome, 'hit', 'a lib on the same rustc is still cached');
});

t.test('a rustc whose .rlink was read once is never given up on: later refusals are told, and splitting goes on', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const on = join(tempDir('footer-switch'), 'cut');
  const rustc = await footerlessRustc({ on, ownFormat: true });
  const first = printingCrate('read');
  t.equal((await build(store, rustc, first)).code, 0, 'the first crate builds, its .rlink whole');
  writeFileSync(on, '');
  for (const text of ['cut one', 'cut two', 'cut three', 'cut four']) {
    const cwd = printingCrate(text);
    const r = await build(store, rustc, cwd);
    t.equal(r.code, 0, `crate ${text} builds`);
    t.notMatch(r.stderr, /RLINK_UNSUPPORTED/, 'and nothing turns splitting off');
  }
  const audit = await store.audit();
  t.same(audit.map((e) => e.outcome), ['miss', 'miss', 'miss', 'miss', 'miss'], 'every crate was split and looked up');
  t.same(audit.slice(1).map((e) => e.notStored), ['SPLITCACHE_RLINK_FOOTER', 'SPLITCACHE_RLINK_FOOTER', 'SPLITCACHE_RLINK_FOOTER', 'SPLITCACHE_RLINK_FOOTER'], 'each cut one refused');
});

t.test('.rlink files cut short, which their own link steps cannot read either, never turn the split off', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const rustc = await footerlessRustc({ ownFormat: false });
  for (const text of ['cut a', 'cut b', 'cut c', 'cut d']) {
    const cwd = printingCrate(text);
    const r = await build(store, rustc, cwd);
    t.equal(r.code, 0, `crate ${text} builds (its link failed, and a plain rustc built it)`);
    t.equal((await run(join(cwd, 'out', 'trial-t'), [])).stdout, `${text}\n`, 'and prints what it should');
    t.notMatch(r.stderr, /RLINK_UNSUPPORTED/, 'nothing turns splitting off');
  }
  t.same((await store.audit()).map((e) => e.outcome), ['miss', 'miss', 'miss', 'miss'], 'every crate was split and looked up (counted at once, the fourth passed through)');
});
