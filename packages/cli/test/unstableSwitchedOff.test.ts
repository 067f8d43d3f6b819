import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, run, runOnPipes, Store, tempDir } from './helpers.js';

// A boolean -Z option that reports on rustc's run, spelled off (`-Ztime-passes=no`,
// `-Zllvm-time-trace=false`), is as its absence: the call is cached. Before, it passed through
// as if it reported (`unstable-report:time-passes`), and the crate compiled on every build.
// `-Zprofile-closures` takes no value: rustc refuses `=no`, and so does the call through splitcache.

const nightly = spawnSync('rustup', ['which', 'rustc', '--toolchain', 'nightly'], { encoding: 'utf8' });
const NIGHTLY = nightly.status === 0 ? nightly.stdout.trim() : '';
const skip = !NIGHTLY && 'no nightly toolchain';

function crate(): { dir: string; out: string; args: string[] } {
  const dir = tempDir('switched-off');
  writeFileSync(join(dir, 'main.rs'), 'fn main() {\n    let twice = |x: u8| x * 2;\n    println!("off {}", twice(21));\n}\n');
  const out = join(dir, 'out');
  return { dir, out, args: ['--crate-name', 'swoff', '--edition=2021', 'main.rs', '--crate-type', 'bin', '--emit=dep-info,link', '-C', 'extra-filename=-s', '--out-dir', out] };
}

function fresh(out: string): void {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out);
}

const outputs = (out: string) => new Map(readdirSync(out).sort().map((f) => [f, readFileSync(join(out, f))]));

t.test('-Ztime-passes=no -Zllvm-time-trace=false: the call is stored, and hits with a plain build\'s bytes', { skip }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const { dir, out, args } = crate();
  const off = [...args, '-Ztime-passes=no', '-Z', 'llvm_time_trace=false'];
  fresh(out);
  const plain = await run(NIGHTLY, off, { cwd: dir });
  t.equal(plain.code, 0, 'a plain rustc builds');
  t.equal(plain.stderr, '', 'and reports nothing');
  const made = outputs(out);
  for (const [session, call] of [['first', runOnPipes], ['second', run]] as const) {
    fresh(out);
    const r = await call(BIN, [NIGHTLY, ...off], { cwd: dir, env: store.env({ SPLITCACHE_SESSION: session }) });
    t.equal(r.code, 0, `${session}: builds`);
    t.equal(r.stderr, '', `${session}: says nothing`);
    t.same(outputs(out), made, `${session}: a plain build's files, byte for byte`);
  }
  const seen = [...(await store.audit('first')), ...(await store.audit('second'))].map((e) => [e.outcome, e.reason ?? '', e.notStored ?? '']);
  t.same(seen, [['miss', 'new-key', ''], ['hit', '', '']], `stored, then hit (before: passthrough, unstable-report:time-passes): ${JSON.stringify(seen)}`);
});

t.test('-Zprofile-closures=no fails as a plain rustc fails', { skip }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const { dir, out, args } = crate();
  const given = [...args, '-Zprofile-closures=no'];
  fresh(out);
  const plain = await run(NIGHTLY, given, { cwd: dir });
  t.not(plain.code, 0, 'a plain rustc refuses the value');
  const r = await runOnPipes(BIN, [NIGHTLY, ...given], { cwd: dir, env: store.env() });
  t.equal(r.code, plain.code, 'so does the call');
  t.equal(r.stderr, plain.stderr, 'in its words');
  t.same((await store.audit()).map((e) => [e.outcome, e.reason]), [['passthrough', 'unstable-report:profile-closures']], 'it passed through');
});
