import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, run, runOnPipes, Store, tempDir } from './helpers.js';

// `-Z temps-dir=DIR` (nightly) has rustc write its intermediate files, the objects among them, in
// DIR. A crate that links then left its `-Zno-link` objects there, outside the out dir where the
// store looks for them, and was never stored (`not stored: rlink-without-objects`): every build
// compiled it again. The `-Zno-link` half now runs without it, its objects in the out dir (where
// the link step deletes them, as it deletes them from DIR): the binary is the same bytes, since no
// object's path reaches it, but where the debug info is split (its `.dwo` files, or the objects,
// named by path from the binary): such a call passes through, `unstable-output:temps-dir`.

const nightly = spawnSync('rustup', ['which', 'rustc', '--toolchain', 'nightly'], { encoding: 'utf8' });
const NIGHTLY = nightly.status === 0 ? nightly.stdout.trim() : '';
const skip = !NIGHTLY && 'no nightly toolchain';

/** A one-file bin crate in its own dir, and rustc's arguments for it (as cargo gives them) with `-Ztemps-dir=<temps>`. */
function crate(temps: (dir: string) => string, extra: string[] = []): { dir: string; out: string; args: string[]; tempsAt: string } {
  const dir = tempDir('temps-dir');
  writeFileSync(join(dir, 'main.rs'), 'fn main() {\n    let add = |x: u32| x + 1;\n    println!("temps {}", add(41));\n}\n');
  const out = join(dir, 'out');
  const t = temps(dir);
  const args = ['--crate-name', 'tmps', '--edition=2021', 'main.rs', '--crate-type', 'bin', '--emit=dep-info,link', '-C', 'debuginfo=2', '-C', 'extra-filename=-t', ...extra, '--out-dir', out, `-Ztemps-dir=${t}`];
  return { dir, out, args, tempsAt: t.startsWith('/') ? t : join(dir, t) };
}

/** The out dir's files and their bytes. */
function outputs(out: string): Map<string, Buffer> {
  return new Map(readdirSync(out).sort().map((f) => [f, readFileSync(join(out, f))]));
}

function fresh(out: string): void {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out);
}

const PLACES = [
  { where: 'inside the crate dir', temps: (dir: string) => join(dir, 'scratch') },
  { where: 'outside it', temps: () => join(tempDir('temps-outside'), 'scratch') },
  { where: 'relative', temps: () => 'rel/scratch' },
];

for (const { where, temps } of PLACES) {
  t.test(`-Ztemps-dir ${where}: a bin is stored, and its hit gives a plain build's bytes`, { skip }, async (t) => {
    const store = new Store();
    t.teardown(() => store.stop());
    const { dir, out, args, tempsAt } = crate(temps);
    fresh(out);
    t.equal((await run(NIGHTLY, args, { cwd: dir })).code, 0, 'a plain rustc builds');
    const plain = outputs(out);
    t.same([...plain.keys()], ['tmps-t', 'tmps-t.d'], 'and leaves its binary and dep-info');
    t.same(readdirSync(tempsAt), [], 'and nothing in the temps dir');
    for (const [session, call] of [['first', runOnPipes], ['second', run]] as const) {
      fresh(out);
      rmSync(tempsAt, { recursive: true, force: true });
      const r = await call(BIN, [NIGHTLY, ...args], { cwd: dir, env: store.env({ SPLITCACHE_SESSION: session }) });
      t.equal(r.code, 0, `${session} build: ${r.stderr}`);
      t.same(outputs(out), plain, `${session} build: the out dir holds a plain build's files, byte for byte`);
      t.same(readdirSync(tempsAt), [], `${session} build: the temps dir is made, as a plain rustc makes it, and nothing is left in it`);
      t.equal(spawnSync(join(out, 'tmps-t'), { encoding: 'utf8' }).stdout, 'temps 42\n', `${session} build: the binary runs`);
    }
    const [first, second] = [(await store.calls('first'))[0], (await store.calls('second'))[0]];
    t.equal(first?.outcome, 'miss', 'the first build misses');
    t.equal(first?.notStored, undefined, `and is stored (before: ${first?.notStored ?? 'rlink-without-objects'})`);
    t.equal(second?.outcome, 'hit', 'the second build hits');
  });
}

t.test('-Ztemps-dir with split debug info: passes through, counted', { skip }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const { dir, out, args } = crate((d) => join(d, 'scratch'), ['-C', 'split-debuginfo=unpacked']);
  fresh(out);
  const r = await runOnPipes(BIN, [NIGHTLY, ...args], { cwd: dir, env: store.env() });
  t.equal(r.code, 0, r.stderr);
  t.ok(existsSync(join(dir, 'scratch')) && readdirSync(join(dir, 'scratch')).some((f) => f.endsWith('.dwo')), "the binary's .dwo files are in the temps dir, as a plain rustc leaves them");
  const calls = (await store.audit()).filter((e) => e.crate === 'tmps');
  t.same(calls.map((e) => [e.outcome, e.reason]), [['passthrough', 'unstable-output:temps-dir']], 'the call passed through, with its reason');
});

t.test('-Ztemps-dir that cannot be made: the call fails as a plain rustc fails', { skip }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const { dir, out, args } = crate((d) => join(d, 'a-file', 'scratch'));
  writeFileSync(join(dir, 'a-file'), 'in the way\n');
  fresh(out);
  const plain = await run(NIGHTLY, args, { cwd: dir });
  t.not(plain.code, 0, 'a plain rustc fails');
  t.match(plain.stderr, /temps-dir/, 'and says why');
  const r = await runOnPipes(BIN, [NIGHTLY, ...args], { cwd: dir, env: store.env() });
  t.equal(r.code, plain.code, 'so does the call (before: the split built the bin)');
  t.equal(r.stderr, plain.stderr, 'in its words');
  t.same(readdirSync(out), [], 'and writes nothing');
  t.same((await store.audit()).map((e) => [e.outcome, e.reason]), [['passthrough', 'temps-dir-unmade']], 'it ran plainly, with its reason');
});

t.test('-Ztemps-dir on a lib (cached whole): its hit makes the dir too, and writes a plain build\'s files', { skip }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = tempDir('temps-dir-lib');
  writeFileSync(join(dir, 'lib.rs'), 'pub fn half(x: u32) -> u32 {\n    x / 2\n}\n');
  const out = join(dir, 'out');
  const scratch = join(dir, 'scratch');
  const args = ['--crate-name', 'tmpl', '--edition=2021', 'lib.rs', '--crate-type', 'lib', '--emit=dep-info,metadata,link', '-C', 'extra-filename=-l', '--out-dir', out, `-Ztemps-dir=${scratch}`];
  fresh(out);
  t.equal((await run(NIGHTLY, args, { cwd: dir })).code, 0, 'a plain rustc builds');
  const plain = outputs(out);
  for (const session of ['first', 'second']) {
    fresh(out);
    rmSync(scratch, { recursive: true, force: true });
    const r = await run(BIN, [NIGHTLY, ...args], { cwd: dir, env: store.env({ SPLITCACHE_SESSION: session }) });
    t.equal(r.code, 0, `${session} build: ${r.stderr}`);
    t.same(outputs(out), plain, `${session} build: a plain build's files, byte for byte`);
    t.same(readdirSync(scratch), [], `${session} build: the temps dir is made, as a plain rustc makes it, and left empty`);
  }
  t.same([...(await store.calls('first')), ...(await store.calls('second'))].map((c) => c.outcome), ['miss', 'hit'], 'stored, then hit');
});
