#!/usr/bin/env node
// A sweep for wrong hits and needless misses along cargo's own axes: its commands, flags,
// profiles, config keys and CARGO_* environment. For each case of cargoCases.mjs, builds the
// workspace of cargoWorkspace.mjs through bin/splitcache (RUSTC_WRAPPER) with a first setting
// (`a`), then with a second (`b`) in a fresh copy of the checkout at the same path (the same
// store), then plainly with `b` in another fresh copy, and compares what the last two left:
// every file cargo made (target dirs, install roots, Cargo.lock), cargo's stdout and stderr
// (lines sorted, timings dropped) and what the built programs print. A hit whose outputs differ
// from plain cargo's is a wrong hit; a case that says `b` should hit and doesn't is a needless
// miss. Not part of `npm test`; see README.md.
//
//   node bench/sweep/cargoSweep.mjs [--only REGEX] [--root DIR] [--keep] [--list]
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, utimesSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WORKSPACE } from './cargoWorkspace.mjs';
import { cases, HOST } from './cargoCases.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const wrapper = join(repo, 'bin/splitcache');
const REGISTRY = '/usr/share/cargo/registry';
const argv = process.argv.slice(2);
const USAGE = 'usage: node bench/sweep/cargoSweep.mjs [--only REGEX] [--root DIR] [--keep] [--list]';
for (let i = 0; i < argv.length; i++) {
  if (['--only', '--root'].includes(argv[i]) && i + 1 < argv.length) i++;
  else if (argv[i] === '--help' || argv[i] === '-h') (console.log(`${USAGE}\n(--root: a new or empty dir, or one this sweep made; it is emptied first. See bench/sweep/README.md.)`), process.exit(0));
  else if (!['--keep', '--list'].includes(argv[i])) (console.error(`cargoSweep: unknown or incomplete option ${argv[i]}\n${USAGE}`), process.exit(2));
}
const opt = (name, dflt) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const only = new RegExp(opt('--only', '.'));
if (argv.includes('--list')) (cases.forEach((c) => console.log(c.name)), process.exit(0));
const root = resolve(opt('--root', `/tmp/splitcache-cargo-sweep-${process.getuid()}`));
if (existsSync(root) && readdirSync(root).length > 0 && !existsSync(join(root, 'stores'))) {
  console.error(`cargoSweep: ${root} holds files no sweep made; give --root a new or empty dir`);
  process.exit(2);
}
rmSync(root, { recursive: true, force: true });
mkdirSync(join(root, 'stores'), { recursive: true });
mkdirSync(join(root, 'tmp'));
const co = join(root, 'co'); // every build's checkout: the same path, a fresh copy each time
const out = join(root, 'out'); // outside the checkout: --target-dir, CARGO_TARGET_DIR, install roots
const baseEnv = {
  PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: join(root, 'tmp'), LANG: 'C.UTF-8',
  CARGO_HOME: join(root, 'cargo-home'), CARGO_INCREMENTAL: '0', CARGO_TERM_COLOR: 'never',
  SPLITCACHE_LOG: 'warn', SPLITCACHE_IDLE_TIMEOUT: '300',
};
mkdirSync(baseEnv.CARGO_HOME);
const expand = (s) => s.replaceAll('{CO}', co).replaceAll('{OUT}', out).replaceAll('{HOST}', HOST).replaceAll('{REGISTRY}', REGISTRY).replaceAll('{ROOT}', root);

const SOURCE_TIME = new Date('2026-01-01T00:00:00Z');

/** Writes a fresh checkout: the workspace, the step's changes (`files`: path → text, or a function of the old text), its config, the lock file. */
function checkout(step) {
  rmSync(co, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const files = { ...WORKSPACE };
  for (const [p, v] of Object.entries(step.files ?? {})) files[p] = typeof v === 'function' ? v(files[p] ?? '') : v;
  // First: a dotted key after the [source] tables would belong to the last of them.
  if (step.config) files['.cargo/config.toml'] = `${step.config}\n\n${files['.cargo/config.toml']}`;
  if (lock) files['Cargo.lock'] = lock;
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(co, p)), { recursive: true });
    writeFileSync(join(co, p), expand(text), { mode: p.endsWith('.sh') ? 0o755 : 0o644 });
    // One mtime for every copy: cargo records the newest source's in a doc unit's fingerprint.
    utimesSync(join(co, p), SOURCE_TIME, SOURCE_TIME);
  }
  return files;
}

function cargo(step, session, plain) {
  const env = { ...baseEnv, ...(plain ? {} : { RUSTC_WRAPPER: wrapper, SPLITCACHE_SESSION: session }), SPLITCACHE_DIR: store };
  for (const [k, v] of Object.entries(step.env ?? {})) if (v === undefined) delete env[k]; else env[k] = expand(v);
  const args = [...(step.nightly ? ['+nightly'] : []), ...step.args.map(expand)];
  const r = spawnSync('cargo', args, { cwd: join(co, step.cwd ?? ''), env, input: '', maxBuffer: 1 << 28, timeout: 600_000 });
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** cargo's output less what differs between two plain runs too (durations, which unit's warnings are the duplicate ones), and the wrapper's name in `Running` lines (term.verbose). */
const tidy = (s) => s
  .replaceAll(`${wrapper} `, '')
  .replace(/\b(in|finished in) (\d+m )?\d+(\.\d+)?m?s\b/g, '$1 <t>')
  .replace(/cargo-timing-\d{8}T\d+Z-/g, 'cargo-timing-<time>-')
  // splitcache's once-a-day hint on incremental builds (docs/CONFIG.md), told by whichever call comes first.
  .replace(/^splitcache: cargo compiles this build's own crates incrementally.*\n/gm, '')
  // Of a lib and its test, which cargo tells first (`(1 duplicate)` or `(run cargo fix …)`) varies between plain runs.
  .replace(/^((?:\x1b\[[0-9;]*m)*warning(?:\x1b\[[0-9;]*m)*: `[^`]+` \([^)]*\) generated \d+ warnings?).*$/gm, '$1')
  .split('\n').sort().join('\n');

// What cargo rewrites on every run or stamps with the time: compared by name only.
const VOLATILE = [/(^|\/)cargo-timings\/cargo-timing.*\.html$/, /(^|\/)\.rustc_info\.json$/];

/** A fingerprint's dep-info (cargo's binary form): its paths, sorted, as cargo writes them in its hash map's order, which differs between two plain runs. */
const entries = (buf) => (buf.toString('latin1').match(/[\x20-\x7e]{3,}/g) ?? []).sort().join('\n');

/** Every file under the checkout (but the sources written) and under `out`: name → bytes (a link: its target). */
function snapshot(written) {
  const files = new Map();
  const walk = (d, rel) => {
    if (!existsSync(d)) return;
    const st = lstatSync(d);
    if (st.isSymbolicLink()) files.set(rel, `-> ${readlinkSync(d)}`);
    else if (st.isDirectory()) for (const e of readdirSync(d)) walk(join(d, e), rel ? `${rel}/${e}` : e);
    else if (!(rel in written) || rel === 'Cargo.lock') files.set(rel.replace(/cargo-timing-\d{8}T\d+Z-/, 'cargo-timing-<time>-'), VOLATILE.some((v) => v.test(rel)) ? 'volatile' : /\/(\.fingerprint\/[^/]+|fingerprint)\/dep-/.test(rel) ? entries(readFileSync(d)) : readFileSync(d));
  };
  walk(co, '');
  walk(out, 'OUT');
  return files;
}

/** What each program built prints: the bin, the example, the bench (found by name, wherever the layout put them). */
function ranPrograms(files) {
  const ran = [];
  for (const [rel] of files) {
    if (!/(^|\/)(app|demo|speed-[0-9a-f]{16})$/.test(rel) || /\/(build|\.fingerprint|incremental)\//.test(rel)) continue;
    const file = rel.startsWith('OUT/') ? join(out, rel.slice(4)) : join(co, rel);
    if (!(statSync(file).mode & 0o111)) continue;
    const r = spawnSync(file, ['x'], { cwd: co, encoding: 'utf8', timeout: 20_000 });
    ran.push(`${rel}: ${r.status} ${r.signal ?? ''} ${r.stdout}`);
  }
  return ran.sort().join('\n');
}

/** The calls of a session in the audit log: `n hit, m miss, …`, and the crates that missed. */
function outcomes(session) {
  const env = { ...baseEnv, SPLITCACHE_DIR: store };
  for (let tries = 0; ; tries++) {
    const r = spawnSync(wrapper, ['audit', '--json', '--session', session], { env, encoding: 'utf8' });
    const lines = r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    // The daemon may write a call's line just after cargo returns: wait until the count settles.
    if (tries === 6 || (lines.length > 0 && lines.length === outcomes.last)) {
      outcomes.last = -1;
      const count = {};
      for (const l of lines) count[l.outcome] = (count[l.outcome] ?? 0) + 1;
      const missed = lines.filter((l) => l.outcome !== 'hit').map((l) => `${l.pkg ?? l.crate}(${l.crateType}):${l.outcome}${l.reason ? `:${l.reason}` : ''}`);
      return { count, missed, calls: lines.length, text: Object.entries(count).map(([k, v]) => `${v} ${k}`).join(', ') || 'no calls' };
    }
    outcomes.last = lines.length;
    spawnSync('sleep', ['0.3']);
  }
}

/**
 * What differs between two builds. `moved`: [a's path, b's] (of one length): a hit from another
 * target dir keeps the producer's paths in metadata and debuginfo (docs/ARCHITECTURE.md, "What it
 * does not"), so a file that differs only by them is `moved <file>`.
 */
function compare(a, b, moved, ignore) {
  const diffs = [];
  const swap = (x) => Buffer.from(Buffer.from(x).toString('latin1').replaceAll(moved[0], moved[1]), 'latin1');
  for (const k of new Set([...a.files.keys(), ...b.files.keys()])) {
    const x = a.files.get(k), y = b.files.get(k);
    if (ignore?.test(k)) continue;
    if (x === undefined) diffs.push(`missing ${k}`);
    else if (y === undefined) diffs.push(`extra ${k}`);
    else if (Buffer.compare(Buffer.from(x), Buffer.from(y)) !== 0) diffs.push(moved && Buffer.compare(swap(x), Buffer.from(y)) === 0 ? `moved ${k}` : `differs ${k}`);
  }
  if (a.status !== b.status) diffs.push(`status ${a.status}/${b.status}`);
  if (tidy(a.stdout) !== tidy(b.stdout)) diffs.push('stdout differs');
  if (tidy(a.stderr) !== tidy(b.stderr)) diffs.push('stderr differs');
  if (a.ran !== b.ran) diffs.push('programs run differently');
  return diffs;
}

// The lock file every checkout gets (so that --locked and --frozen have one to check).
let store = join(root, 'stores', 'lock');
let lock;
checkout({});
const gen = spawnSync('cargo', ['generate-lockfile', '--offline'], { cwd: co, env: { ...baseEnv }, encoding: 'utf8' });
if (gen.status !== 0) throw new Error(`cargo generate-lockfile failed: ${gen.stderr}`);
lock = readFileSync(join(co, 'Cargo.lock'), 'utf8');

const results = [];
let n = 0;
const started = Date.now();
/** Builds `step` in a fresh checkout: the run, and what it left (files, programs' output). */
function buildB(step, session, plain) {
  const written = checkout(step);
  const r = cargo(step, session, plain);
  r.files = snapshot(written);
  r.ran = ranPrograms(r.files);
  return r;
}
// A proc-macro's (or dylib's) metadata, and so the rlibs that name it, differ from a plain build's
// in the crate hash, split or not (docs/ARCHITECTURE.md: a limit of the split, not of a hit).
const CRATE_HASH = /\.(so|rlib|rmeta)$/;
for (const c of cases) {
  if (!only.test(c.name)) continue;
  const id = String(++n).padStart(3, '0');
  store = join(root, 'stores', id); // a store of its own: no case hits another's entries
  const t0 = Date.now();
  checkout(c.a);
  const first = cargo(c.a, `${id}a`, false);
  const oa = outcomes(`${id}a`);
  const sc = buildB(c.b, `${id}b`, false);
  const ob = outcomes(`${id}b`);
  const pl = buildB(c.b, `${id}p`, true);
  const diffs = compare(sc, pl, undefined, c.ignore);
  // Where b differs from plain: b split and compiled anew (a store of its own) tells the split's
  // differences from the hit's. A hit that differs from that is wrong.
  let cold, hitDiffs = [], splitDiffs = [], movedDiffs = [];
  if (diffs.length) {
    store = join(root, 'stores', `${id}-cold`);
    cold = buildB(c.b, `${id}c`, false);
    hitDiffs = compare(sc, cold, c.moved?.map(expand), c.ignore);
    // From another target dir, metadata keeps the first one's paths, in hashes too, which no swap
    // of the path undoes: a moved case's rlibs and rmetas may differ from a cold build's.
    if (c.moved && hitDiffs.every((d) => d.startsWith('moved ') || (d.startsWith('differs ') && /\.(rlib|rmeta)$/.test(d)))) movedDiffs = hitDiffs, hitDiffs = [];
    // Under SPLITCACHE_REMAP=1 (`remap`) every output differs from plain cargo's, by design: only the hit's against the cold build's count.
    splitDiffs = c.remap ? [] : compare(cold, pl, undefined, c.ignore);
    spawnSync(wrapper, ['server', 'stop'], { env: { ...baseEnv, SPLITCACHE_DIR: store }, stdio: 'ignore' });
    store = join(root, 'stores', id);
  }
  const shown = [...hitDiffs.map((d) => `hit: ${d}`), ...splitDiffs.filter((d) => !(d.startsWith('differs ') && CRATE_HASH.test(d))).map((d) => `split: ${d}`)];
  if (shown.length) for (const [side, r] of [['splitcache', sc], ['plain', pl], ['cold', cold]]) {
    const d = join(root, `diff-${id}`, side);
    mkdirSync(d, { recursive: true });
    for (const k of [...diffs, ...hitDiffs].filter((x) => x.startsWith('differs ')).map((x) => x.slice(8))) {
      mkdirSync(dirname(join(d, k)), { recursive: true });
      writeFileSync(join(d, k), r.files.get(k));
    }
    writeFileSync(join(d, 'STDOUT'), r.stdout), writeFileSync(join(d, 'STDERR'), r.stderr), writeFileSync(join(d, 'RAN'), r.ran);
  }
  const hits = ob.count.hit ?? 0;
  // A case that expects b to hit: every call but those that pass through by design (`except`) should.
  const needless = c.expect === 'hit' && ob.missed.filter((m) => !(c.except && c.except.test(m)) && !m.includes(':passthrough')).length > 0;
  const verdict = first.status !== 0 && !c.fails ? 'A-FAILED'
    : hitDiffs.length && hits > 0 ? 'WRONG-HIT'
    : hitDiffs.length ? 'UNSTABLE' // missed, and still not what a cold split build leaves
    : shown.length ? 'DIFFERS'
    : needless ? 'NEEDLESS-MISS'
    : movedDiffs.length ? 'moved' : diffs.length ? 'sound*' : 'sound';
  const line = `${verdict.padEnd(13)} ${c.name}  a=[${oa.text}] b=[${ob.text}]${shown.length ? `  ${shown.slice(0, 5).join('; ')}${shown.length > 5 ? ` (+${shown.length - 5})` : ''}` : ''}${needless || (c.expect === 'hit' && ob.missed.length) ? `  not hit: ${ob.missed.join(' ')}` : ''} (${Math.round((Date.now() - t0) / 1000)}s)`;
  console.log(line);
  results.push({ id, name: c.name, verdict, a: oa, b: ob, diffs, hitDiffs, movedDiffs, splitDiffs, statusA: first.status, statusB: sc.status, statusPlain: pl.status, stderrA: first.status ? first.stderr.slice(-2000) : undefined });
  spawnSync(wrapper, ['server', 'stop'], { env: { ...baseEnv, SPLITCACHE_DIR: store }, stdio: 'ignore' });
  if (!argv.includes('--keep')) rmSync(store, { recursive: true, force: true }), rmSync(`${store}-cold`, { recursive: true, force: true });
}
writeFileSync(join(root, 'results.json'), JSON.stringify(results, null, 1));
if (!argv.includes('--keep')) rmSync(co, { recursive: true, force: true }), rmSync(out, { recursive: true, force: true });
const count = (v) => results.filter((r) => r.verdict === v).length;
console.log(`${results.length} cases in ${Math.round((Date.now() - started) / 1000)}s: ${count('sound') + count('sound*')} sound, ${count('moved')} moved, ${count('WRONG-HIT')} wrong hits, ${count('DIFFERS')} split builds unlike plain, ${count('UNSTABLE')} unstable, ${count('NEEDLESS-MISS')} needless misses, ${count('A-FAILED')} failed first builds (results in ${root})`);
process.exitCode = results.some((r) => r.verdict === 'WRONG-HIT') ? 1 : 0;
