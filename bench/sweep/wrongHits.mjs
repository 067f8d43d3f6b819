#!/usr/bin/env node
// A sweep for wrong hits: for each case of cases.mjs, builds a tiny crate through bin/splitcache
// with a first value of an option (or environment variable), then with a second value in a fresh
// target dir against the same store, then plainly (no splitcache) with the second value, and
// compares what the two last runs left: every file under the checkout but its sources (and
// under each path the case names), byte for byte, and rustc's stdout, stderr and exit code.
// A difference is reported with the second call's outcome (hit, miss, passthrough): a hit
// whose files differ from plain rustc's is a wrong hit. Not part of `npm test`; see README.md.
//
//   node bench/sweep/wrongHits.mjs [--toolchain stable|nightly] [--only REGEX] [--root DIR] [--keep]
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, cpSync, lstatSync, readlinkSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cases, SOURCES } from './cases.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const wrapper = join(repo, 'bin/splitcache');
const argv = process.argv.slice(2);
const USAGE = 'usage: node bench/sweep/wrongHits.mjs [--toolchain stable|nightly] [--only REGEX] [--root DIR] [--keep]';
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(`${USAGE}\n(--root: a new or empty dir, or one a sweep made; it is emptied first. See bench/sweep/README.md.)`);
  process.exit(0);
}
// An option misspelt ran the whole sweep (about 10 minutes) with the defaults, --help too.
for (let i = 0; i < argv.length; i++) {
  if (['--toolchain', '--only', '--root'].includes(argv[i]) && i + 1 < argv.length) i++;
  else if (argv[i] !== '--keep') {
    console.error(`wrongHits: unknown or incomplete option ${argv[i]}\n${USAGE}`);
    process.exit(2);
  }
}
const opt = (name, dflt) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const toolchain = opt('--toolchain', 'stable');
const only = new RegExp(opt('--only', '.'));
const root = resolve(opt('--root', `/tmp/splitcache-sweep-${process.getuid()}`));
const rustc = spawnSync('rustup', ['which', 'rustc', '--toolchain', toolchain], { encoding: 'utf8' }).stdout.trim();
if (!rustc) throw new Error(`no rustc for toolchain ${toolchain}`);
const nightly = toolchain !== 'stable';

// The root is emptied first: only one a sweep made (its stores/ dir) or an empty one, never a checkout given by mistake.
if (existsSync(root) && readdirSync(root).length > 0 && !existsSync(join(root, 'stores'))) {
  console.error(`wrongHits: ${root} holds files no sweep made; give --root a new or empty dir`);
  process.exit(2);
}
rmSync(root, { recursive: true, force: true });
mkdirSync(root, { recursive: true });
const baseEnv = {
  PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: join(root, 'tmp'), LANG: 'C.UTF-8',
  SPLITCACHE_DIR: '', SPLITCACHE_LOG: 'warn', SPLITCACHE_IDLE_TIMEOUT: '300', CARGO_INCREMENTAL: '0',
};
mkdirSync(baseEnv.TMPDIR, { recursive: true });

/** Expands {CO} (the checkout), {OUT} (its out dir), {ROOT} (the sweep's root) in a value. */
const expand = (s, co) => s.replaceAll('{CO}', co).replaceAll('{OUT}', join(co, 'target/debug/deps')).replaceAll('{ROOT}', root);

function checkout(name, kind, files) {
  const co = join(root, name);
  rmSync(co, { recursive: true, force: true });
  mkdirSync(join(co, 'src'), { recursive: true });
  for (const [p, text] of Object.entries({ ...SOURCES, ...(files ?? {}) })) {
    mkdirSync(dirname(join(co, p)), { recursive: true });
    writeFileSync(join(co, p), expand(text, co));
  }
  return co;
}

/** The arguments cargo would give for `kind`, then the case's own. */
function commandLine(kind, co, extra, human) {
  const out = join(co, 'target/debug/deps');
  const src = kind === 'bin' ? 'src/main.rs' : 'src/lib.rs';
  const emit = kind === 'bin' ? 'dep-info,link' : 'dep-info,metadata,link';
  return [
    '--crate-name', 'swept', '--edition=2024', src, '--error-format=json', '--json=diagnostic-rendered-ansi,artifacts,future-incompat',
    '--crate-type', kind, `--emit=${emit}`, '-C', 'embed-bitcode=no', '-C', 'debuginfo=2', '-C', 'metadata=5eed', '-C', 'extra-filename=-5eed',
    '--out-dir', out, '-L', `dependency=${out}`,
  ].filter((a) => !(human && /^--(error-format|json)=/.test(a))).concat(extra.map((a) => expand(a, co)));
}

function cargoEnv(co, kind) {
  return { CARGO_MANIFEST_DIR: co, CARGO_PKG_NAME: 'swept', CARGO_CRATE_NAME: 'swept', CARGO_PKG_VERSION: '0.1.0', ...(kind === 'bin' && { CARGO_BIN_NAME: 'swept' }) };
}

/** Every file under `dir` (but src/ and Cargo.toml) and each extra path: relative name → bytes (or link target). */
function snapshot(co, extras) {
  const files = new Map();
  const walk = (d, rel) => {
    if (!existsSync(d)) return;
    const st = lstatSync(d);
    if (st.isSymbolicLink()) files.set(rel, `-> ${readlinkSync(d)}`);
    else if (st.isDirectory()) for (const e of readdirSync(d)) walk(join(d, e), rel ? `${rel}/${e}` : e);
    else files.set(rel, readFileSync(d));
  };
  for (const e of readdirSync(co)) if (e !== 'src' && !e.startsWith('input')) walk(join(co, e), e);
  for (const x of extras) walk(x, x);
  return files;
}

function clean(co, extras) {
  for (const e of readdirSync(co)) if (e !== 'src' && !e.startsWith('input')) rmSync(join(co, e), { recursive: true, force: true });
  for (const x of extras) rmSync(x, { recursive: true, force: true });
  mkdirSync(join(co, 'target/debug/deps'), { recursive: true });
}

function run(co, kind, step, plain, session) {
  const args = commandLine(kind, co, step.args ?? [], step.human);
  const env = { ...baseEnv, ...cargoEnv(co, kind), ...(nightly ? {} : step.bootstrap ? { RUSTC_BOOTSTRAP: '1' } : {}), SPLITCACHE_SESSION: session };
  for (const [k, v] of Object.entries(step.env ?? {})) if (v === undefined) delete env[k]; else env[k] = expand(v, co);
  const [cmd, cmdArgs] = plain ? [rustc, args] : [wrapper, [rustc, ...args]];
  const r = spawnSync(cmd, cmdArgs, { cwd: expand(step.cwd ?? '{CO}', co), env, input: '' });
  // Paths that differ only by the checkout's or out dir's name are the same file.
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** What the built binary prints when run (its stdout and exit code), for a bin. */
function ranBinary(co, kind) {
  const exe = join(co, 'target/debug/deps/swept-5eed');
  if (kind !== 'bin' || !existsSync(exe)) return undefined;
  const r = spawnSync(exe, [], { cwd: co, encoding: 'utf8', timeout: 10000 });
  return `${r.status} ${r.stdout}`;
}

/** The call's outcomes in the audit log (`none`: it has none, as for a call that went straight to rustc). */
function outcome(session) {
  // The daemon may write a call's line just after the call returns: asked once, a hit read `none`.
  for (let tries = 0; ; tries++) {
    const r = spawnSync(wrapper, ['audit', '--json', '--session', session], { env: baseEnv, encoding: 'utf8' });
    const lines = r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    if (lines.length > 0 || tries === 5) return lines.map((l) => `${l.outcome}${l.reason ? `:${l.reason}` : ''}`).join('+') || 'none';
    spawnSync('sleep', ['0.2']);
  }
}

/**
 * What differs between splitcache's run `a` and plain rustc's `b`. `moved`: [the first checkout's
 * path, the second's] (the same length): a hit from another checkout keeps the first one's path in
 * debuginfo and metadata (docs/ARCHITECTURE.md, "What it does not"), so a file that differs only
 * by it is `moved <file>`, not a difference. The split link's artifact notice may come before the
 * `N warnings emitted` line that plain rustc prints first: stderr is compared as sorted lines.
 */
function compare(a, b, moved) {
  const diffs = [];
  const swap = (x) => (moved ? Buffer.from(Buffer.from(x).toString('latin1').replaceAll(moved[0], moved[1]), 'latin1') : Buffer.from(x));
  for (const k of new Set([...a.files.keys(), ...b.files.keys()])) {
    const x = a.files.get(k), y = b.files.get(k);
    if (x === undefined) diffs.push(`missing ${k}`);
    else if (y === undefined) diffs.push(`extra ${k}`);
    else if (Buffer.compare(Buffer.from(x), Buffer.from(y)) !== 0) diffs.push(Buffer.compare(swap(x), Buffer.from(y)) === 0 ? `moved ${k}` : `differs ${k}`);
  }
  if (a.ran !== b.ran) diffs.push('binary runs differently');
  const lines = (x) => String(x).split('\n').sort().join('\n');
  if (a.status !== b.status) diffs.push(`status ${a.status}/${b.status}`);
  if (String(a.stdout) !== String(b.stdout)) diffs.push('stdout differs');
  if (lines(a.stderr) !== lines(b.stderr)) diffs.push(lines(swap(a.stderr)) === lines(b.stderr) ? 'moved stderr' : 'stderr differs');
  return diffs;
}

let n = 0;
const baseline = {};
const results = [];
for (const c of cases) {
  // The baseline always runs: the other-checkout cases are judged against it.
  if ((!only.test(c.name) && !c.name.startsWith('baseline')) || (c.nightly && !nightly) || (c.stable && nightly)) continue;
  for (const kind of c.kinds ?? ['lib', 'bin']) {
    const id = `${String(++n).padStart(3, '0')}`;
    const extras = (c.extras ?? []).map((x) => expand(x, join(root, 'x')));
    // A store of its own for each case: a key another case shares would hit across cases.
    baseEnv.SPLITCACHE_DIR = join(root, 'stores', id);
    const coA = checkout(`${id}-${c.a.checkout ?? 'a'}`, kind, c.a.files);
    const coB = c.b.checkout === c.a.checkout ? coA : checkout(`${id}-${c.b.checkout ?? 'a'}`, kind, c.b.files);
    clean(coA, extras);
    run(coA, kind, c.a, false, `${id}a`);
    const first = outcome(`${id}a`);
    clean(coB, extras);
    for (const [p, text] of Object.entries(c.b.files ?? {})) {
      mkdirSync(dirname(join(coB, p)), { recursive: true });
      writeFileSync(join(coB, p), expand(text, coB));
      chmodSync(join(coB, p), 0o755);
    }
    const sc = run(coB, kind, c.b, false, `${id}b`);
    sc.files = snapshot(coB, extras);
    sc.ran = ranBinary(coB, kind);
    const second = outcome(`${id}b`);
    clean(coB, extras);
    const pl = run(coB, kind, c.b, true, `${id}p`);
    pl.files = snapshot(coB, extras);
    pl.ran = ranBinary(coB, kind);
    const diffs = compare(sc, pl, coA !== coB && [coA, coB]);
    if (diffs.length) for (const [side, r] of [['splitcache', sc], ['plain', pl]]) {
      // What differs, kept for a look: <root>/diff-<id>/<side>/<file>, with the streams.
      const d = join(root, `diff-${id}`, side);
      mkdirSync(d, { recursive: true });
      for (const [k, v] of r.files) mkdirSync(dirname(join(d, k)), { recursive: true }), writeFileSync(join(d, k), v);
      writeFileSync(join(d, 'STDERR'), r.stderr ?? ''), writeFileSync(join(d, 'STDOUT'), r.stdout ?? '');
    }
    // In another checkout a hit keeps the first one's paths (not only as text: in hashes too), as
    // the baseline case shows: a moved case's differences beyond the baseline's are its own.
    if (c.name.startsWith('baseline')) baseline[kind] = diffs;
    // A `strict` case remaps the checkout away, so its outputs are the same in either: no difference is excused.
    const real = c.strict ? diffs : diffs.filter((d) => !d.startsWith('moved ') && !(coA !== coB && baseline[kind]?.includes(d)));
    // A call splitcache ran plainly is rustc's own run: random temp names (save-temps, incremental, self-profile) differ.
    const verdict = real.length > 0 && c.known ? 'KNOWN' : real.length === 0 ? (diffs.length ? 'same*' : 'same') : second.startsWith('passthrough') ? 'same~' : second.startsWith('hit') ? 'WRONG-HIT' : 'DIFFERS';
    const line = `${verdict.padEnd(9)} ${c.name} [${kind}] first=${first} second=${second}${diffs.length ? `  ${diffs.slice(0, 4).join('; ')}` : ''}${verdict === 'KNOWN' ? ` (${c.known})` : ''}`;
    console.log(line);
    results.push({ name: c.name, kind, verdict, first, second, diffs });
    spawnSync(wrapper, ['server', 'stop'], { env: baseEnv, stdio: 'ignore' });
  }
}
writeFileSync(join(root, `results-${toolchain}.json`), JSON.stringify(results, null, 1));
if (!argv.includes('--keep')) for (const e of readdirSync(root)) if (/^\d{3}-/.test(e)) rmSync(join(root, e), { recursive: true, force: true });
const bad = results.filter((r) => !r.verdict.startsWith('same') && r.verdict !== 'KNOWN');
console.log(`${results.length} runs, ${bad.filter((r) => r.verdict === 'WRONG-HIT').length} wrong hits, ${bad.length - bad.filter((r) => r.verdict === 'WRONG-HIT').length} other differences (results in ${root})`);
process.exitCode = bad.some((r) => r.verdict === 'WRONG-HIT') ? 1 : 0;
