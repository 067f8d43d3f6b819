/**
 * `cargo build --message-format=short` adds `diagnostic-short` to rustc's
 * `--json`, and nothing else. That part was keyed, so a short build missed
 * every crate a plain one had stored, and the other way round. Now a crate
 * that printed no diagnostic hits under either format; one that printed some
 * hits only under the format it was stored in, so a hit never shows
 * diagnostics in the wrong form. Locally and through a remote, where each
 * form's entry is published under a key of its own.
 */
import t from 'tap';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, BIN, fileTree, lookedUp, run, Store, type AuditLine } from './helpers.js';
import { producerAndReader, Runner } from './remoteHelpers.js';

// `quiet` prints nothing; `noisy` (which uses it) warns of an unused variable; `app` uses both.
const WORKSPACE = {
  'Cargo.toml': '[workspace]\nmembers = ["quiet", "noisy", "app"]\nresolver = "2"\n',
  'quiet/Cargo.toml': '[package]\nname = "quiet"\nversion = "0.1.0"\nedition = "2021"\n',
  'quiet/src/lib.rs': 'pub fn one() -> u32 { 1 }\n',
  'noisy/Cargo.toml': '[package]\nname = "noisy"\nversion = "0.1.0"\nedition = "2021"\n[dependencies]\nquiet = { path = "../quiet" }\n',
  'noisy/src/lib.rs': 'pub fn two() -> u32 {\n    let unused_here = 5;\n    quiet::one() + 1\n}\n',
  'app/Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n[dependencies]\nnoisy = { path = "../noisy" }\n',
  'app/src/main.rs': 'fn main() { println!("{}", noisy::two()); }\n',
};
// rustc's long form points at the line with `-->`; the short form is one `path:line:col: warning: …` line.
const LONG = /warning: unused variable: `unused_here`\n\s+--> noisy\/src\/lib\.rs:2:9/;
const SHORT = /noisy\/src\/lib\.rs:2:9: warning: unused variable: `unused_here`/;

/** Each looked-up call as `crate:hit` or `crate:miss(reason)`, sorted. */
function outcomes(events: AuditLine[]): string[] {
  return lookedUp(events).map((e) => `${e.crate}:${e.outcome === 'hit' ? 'hit' : `miss(${e.reason ?? ''})`}`).sort();
}

t.test('a short and a plain build share the entries of crates that printed nothing', async (t) => {
  const ws = fileTree(WORKSPACE, 'msgfmt');
  const store = new Store();
  t.teardown(() => store.stop());
  const build = async (session: string, short: boolean) => {
    rmSync(join(ws, 'target'), { recursive: true, force: true });
    const r = await store.cargo(ws, ['build', ...(short ? ['--message-format=short'] : [])], { SPLITCACHE_SESSION: session });
    assertOk(t, r, `${session}: the build succeeds`);
    return { stderr: r.stderr, calls: outcomes(await store.audit(session)) };
  };

  const plain = await build('plain', false);
  t.match(plain.stderr, LONG, 'a plain build shows the warning in the long form');
  t.same(plain.calls, ['app:miss(new-key)', 'noisy:miss(new-key)', 'quiet:miss(new-key)'], 'and misses every crate, the store being new');

  const short = await build('short', true);
  t.match(short.stderr, SHORT, 'a short build shows the warning in the short form');
  t.notMatch(short.stderr, LONG, 'and not in the long one');
  t.same(short.calls, ['app:hit', 'noisy:miss(diagnostic-form)', 'quiet:hit'], 'it hits the crates that printed nothing, and misses the one whose warning was stored in the long form');
  const why = await store.splitcache(['explain', 'noisy', '--session', 'short']);
  t.match(why.stdout, /noisy missed because the entry stored under the same key holds diagnostics rendered in another form/, '`explain` says why');

  const shortAgain = await build('short-again', true);
  t.same(shortAgain.calls, ['app:hit', 'noisy:hit', 'quiet:hit'], 'a second short build hits every crate');
  t.match(shortAgain.stderr, SHORT, 'and its hit shows the warning in the short form');
  t.notMatch(shortAgain.stderr, LONG, 'not the long one');

  const plainAgain = await build('plain-again', false);
  t.same(plainAgain.calls, ['app:hit', 'noisy:hit', 'quiet:hit'], 'a plain build still hits every crate: the two forms of noisy stand side by side');
  t.match(plainAgain.stderr, LONG, 'and its hit shows the long form');
  t.notMatch(plainAgain.stderr, SHORT, 'not the short one');
});

t.test('through a remote: a short build takes what printed nothing, and diagnostics only in its own form', async (t) => {
  const wsA = fileTree(WORKSPACE, 'msgfmt-remote');
  const { b, wsB, url } = await producerAndReader(t, wsA);
  const shortBuild = async (runner: Runner, ws: string, session: string) => {
    const r = await runner.cargo(ws, ['build', '--message-format=short'], { SPLITCACHE_SESSION: session });
    assertOk(t, r, `runner ${session}'s short build succeeds`);
    t.match(r.stderr, SHORT, `${session}: it shows the warning in the short form`);
    t.notMatch(r.stderr, LONG, `${session}: and not the long form`);
    const events = lookedUp(await runner.audit(session));
    return events.map((e) => `${e.crate}:${e.outcome}${e.origin ? `:${e.origin}` : ''}${e.reason ? `(${e.reason})` : ''}`).sort();
  };
  // app then misses too: its key holds noisy's rlib, which B compiled in its own checkout (paths
  // in the rlib differ), not the one A published. noisy's reason is no entry: every result with
  // diagnostics has a form (its width at least, `width=none`), so A's is under a key of its form,
  // as B's will be, and nothing at the default key says a form of another was published.
  t.same(await shortBuild(b, wsB, 'b'), ['app:miss(new-key,remote-new-key)', 'noisy:miss(new-key,remote-no-entry)', 'quiet:hit:remote'],
    'A built plainly: the crate that printed nothing is a remote hit; the one whose warning A published in the long form misses');
  t.equal((await b.splitcache(['server', 'stop'])).code, 0, "B's uploads are flushed");

  const c = new Runner({ SPLITCACHE_REMOTE: url, SPLITCACHE_PRODUCER: 'c' });
  t.teardown(() => c.stop());
  const wsC = fileTree(WORKSPACE, 'msgfmt-remote-c');
  t.same(await shortBuild(c, wsC, 'c'), ['app:hit:remote', 'noisy:hit:remote', 'quiet:hit:remote'],
    "a third runner's short build hits every crate remotely: noisy's short-form entry, which B published beside A's long one, and B's app, built on it");
  const noisy = lookedUp(await c.audit('c')).find((e) => e.crate === 'noisy');
  t.equal(noisy?.producer, 'b', 'noisy came from B, the runner that built it short');
});

t.test('the width cargo passes from a terminal (--diagnostic-width) is part of the form: a hit shows lines cut for its own width', async (t) => {
  // A warning on a long line: rustc cuts the line to fit the width with `...`. Before, the width
  // was in no form, and a call for 200 columns hit the result of a call for 40 and showed its
  // cut line (a replay differential's repro, through cargo in a terminal).
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree({
    'noisy.rs': `pub fn long_one() -> u32 { ${'let a = 1; '.repeat(12)}let unused_variable_with_a_rather_long_name_indeed = 1; a }\n`,
    'quiet.rs': 'pub fn one() -> u32 { 1 }\n',
  }, 'width');
  const call = async (crate: string, width: string | undefined, cached: boolean, session: string) => {
    const out = join(ws, 'out', session);
    rmSync(out, { recursive: true, force: true });
    const args = ['--crate-name', crate, '--crate-type', 'lib', '--edition=2021', '--emit=dep-info,metadata,link', '--error-format=json', '--json=diagnostic-rendered-ansi,artifacts,future-incompat', ...(width ? [`--diagnostic-width=${width}`] : []), '--out-dir', out, `${crate}.rs`];
    mkdirSync(out, { recursive: true });
    const r = cached ? await run(BIN, ['rustc', ...args], { cwd: ws, env: store.env({ SPLITCACHE_SESSION: session }) }) : await run('rustc', args, { cwd: ws });
    t.equal(r.code, 0, `${crate} (${width ?? 'no width'}) compiles`);
    return r.stderr.replaceAll(`${out}/`, '<out>/');
  };
  const plain: Record<string, string> = {};
  for (const w of ['40', '200', '']) plain[w] = await call('noisy', w || undefined, false, `plain${w}`);
  t.not(plain['40'], plain['200'], 'the two widths render the warning differently (else this test shows nothing)');
  t.match(plain['40'], /\.\.\./, 'the narrow one cuts the line');
  let n = 0;
  for (const w of ['40', '200', '', '200', '40']) {
    const session = `w${n++}`;
    const seen = await call('noisy', w || undefined, true, session);
    t.equal(seen, plain[w], `${w || 'no'} width: the warning as a plain call renders it`);
  }
  const outcomes = async (from: number, to: number) => {
    const all: string[] = [];
    for (let i = from; i < to; i++) all.push(...(await store.calls(`w${i}`)).map((e) => e.outcome));
    return all;
  };
  t.same(await outcomes(0, 3), ['miss', 'miss', 'miss'], 'each width its own result');
  t.same(await outcomes(3, 5), ['hit', 'hit'], 'then each hits its own');
  for (const [i, w] of ['40', '200', ''].entries()) await call('quiet', w || undefined, true, `q${i}`);
  const quiet: string[] = [];
  for (let i = 0; i < 3; i++) quiet.push(...(await store.calls(`q${i}`)).map((e) => e.outcome));
  t.same(quiet, ['miss', 'hit', 'hit'], 'a crate that printed nothing is one entry for every width');
});
