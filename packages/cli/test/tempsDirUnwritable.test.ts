import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, callAsOtherUid, OTHER_UID, otherUidCrate, otherUidDir, otherUidToolchain, printingCrateArgs, realRustc, run, runOnPipes, splitcacheAsOtherUid, Store, tempDir } from './helpers.js';

// `-Z temps-dir=DIR` where DIR is there but the caller can't write in it (another user's dir): a
// plain nightly rustc fails for any crate that writes code (`could not write output to DIR/…:
// Permission denied`), bin or lib. Through splitcache, a bin's `-Zno-link` half ran without the
// option and the bin was built, and a crate stored while DIR was writable hit: both succeeded where
// a plain rustc fails. Such a call now runs plainly (`temps-dir-unwritable`). Run as a uid other
// than root, whom no mode stops. And on stable without RUSTC_BOOTSTRAP, where rustc refuses every
// -Z option before it makes DIR, a lib's call made DIR (a plain one makes none).

const nightly = spawnSync('rustup', ['which', 'rustc', '--toolchain', 'nightly'], { encoding: 'utf8' });
const NIGHTLY = nightly.status === 0 ? nightly.stdout.trim() : '';
const toolchain = NIGHTLY ? await otherUidToolchain(NIGHTLY) : undefined;
const skip = !toolchain && 'needs a nightly toolchain, root, and a uid with no passwd entry';

/** `cwd`'s src/lib.rs, a small lib the other uid owns. */
function halfLib(cwd: string): void {
  writeFileSync(join(cwd, 'src', 'lib.rs'), 'pub fn half(x: u32) -> u32 {\n    x / 2\n}\n');
  chownSync(join(cwd, 'src', 'lib.rs'), OTHER_UID, OTHER_UID);
}

const KINDS = [
  { kind: 'bin', args: (cwd: string) => printingCrateArgs(cwd) },
  {
    kind: 'lib',
    args: (cwd: string) => {
      halfLib(cwd);
      return ['--crate-name', 'tlib', '--edition=2021', 'src/lib.rs', '--crate-type', 'lib', '--emit=dep-info,metadata,link', '-C', 'extra-filename=-l', '--out-dir', join(cwd, 'out')];
    },
  },
];

/** The out dir emptied (its files are OTHER_UID's, the dir too). */
function emptied(out: string): void {
  for (const f of readdirSync(out)) rmSync(join(out, f), { recursive: true, force: true });
}

for (const { kind, args: argsOf } of KINDS) {
  t.test(`-Ztemps-dir the caller can't write in, a ${kind}: the call fails as a plain rustc fails, miss or hit`, { skip }, async (t) => {
    const cwd = otherUidCrate('temps unwritable');
    const out = join(cwd, 'out');
    const scratch = join(cwd, 'scratch');
    mkdirSync(scratch); // root's, 0755: OTHER_UID can't write in it
    const args = [...argsOf(cwd), `-Ztemps-dir=${scratch}`];
    const env = { SPLITCACHE_DIR: otherUidDir('store') };
    t.teardown(() => void splitcacheAsOtherUid(['server', 'stop'], env));
    const plain = callAsOtherUid(toolchain!, cwd, {}, args, false);
    t.not(plain.status, 0, 'a plain rustc fails');
    t.match(plain.stderr, /could not write output to .*scratch.*Permission denied/, 'as it cannot write its objects there');
    const plainLeft = readdirSync(out).sort();

    emptied(out);
    const miss = callAsOtherUid(toolchain!, cwd, env, args);
    t.same([miss.status, miss.stderr], [plain.status, plain.stderr], 'so does the call, in its words (before: a bin was built)');
    t.same(readdirSync(out).sort(), plainLeft, 'and leaves what a plain rustc leaves');

    // Stored while the dir was the caller's, then the dir taken from it: a hit would build.
    chownSync(scratch, OTHER_UID, OTHER_UID);
    emptied(out);
    const stored = callAsOtherUid(toolchain!, cwd, env, args);
    t.same([stored.status, stored.stderr], [0, ''], 'with the dir its own, the call builds');
    chownSync(scratch, 0, 0);
    emptied(out);
    const again = callAsOtherUid(toolchain!, cwd, env, args);
    t.same([again.status, again.stderr], [plain.status, plain.stderr], 'taken from it again, the call fails as a plain rustc (before: it hit)');
    t.same(readdirSync(out).sort(), plainLeft, 'and leaves what a plain rustc leaves');

    const audit = splitcacheAsOtherUid(['audit', '--json'], env);
    const lines = audit.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { outcome: string; reason?: string });
    t.same(lines.map((e) => [e.outcome, e.reason ?? '']), [['passthrough', 'temps-dir-unwritable'], ['miss', 'new-key'], ['passthrough', 'temps-dir-unwritable']], 'each such call ran plainly, with its reason');
  });
}

t.test('-Ztemps-dir on stable without RUSTC_BOOTSTRAP: a lib fails as a plain rustc fails, and no dir is made', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const rustc = await realRustc();
  const dir = tempDir('temps-stable');
  writeFileSync(join(dir, 'lib.rs'), 'pub fn half(x: u32) -> u32 {\n    x / 2\n}\n');
  mkdirSync(join(dir, 'out'));
  const scratch = join(dir, 'scratch');
  for (const [kind, crateArgs] of [
    ['lib', ['lib.rs', '--crate-type', 'lib', '--emit=dep-info,metadata,link']],
    ['bin', ['main.rs', '--crate-type', 'bin', '--emit=dep-info,link']],
  ] as const) {
    if (kind === 'bin') writeFileSync(join(dir, 'main.rs'), 'fn main() {}\n');
    rmSync(scratch, { recursive: true, force: true }); // the lib's, where an old daemon made it
    const args = ['--crate-name', 'tst', '--edition=2021', ...crateArgs, '--out-dir', join(dir, 'out'), `-Ztemps-dir=${scratch}`];
    const env = { RUSTC_BOOTSTRAP: undefined };
    const plain = await run(rustc, args, { cwd: dir, env: { ...process.env, ...env } });
    t.not(plain.code, 0, `${kind}: a plain rustc refuses -Z`);
    t.notOk(existsSync(scratch), `${kind}: and makes no temps dir`);
    const r = await runOnPipes(BIN, [rustc, ...args], { cwd: dir, env: store.env(env) });
    t.same([r.code, r.stderr], [plain.code, plain.stderr], `${kind}: so does the call, in its words`);
    t.notOk(existsSync(scratch), `${kind}: nor does it make one (before: a lib's call made it)`);
  }
  t.same((await store.audit()).map((e) => [e.outcome, e.reason]), [['passthrough', 'unstable-flag'], ['passthrough', 'unstable-flag']], 'both ran plainly, with their reason');
});

t.test("-Ztemps-dir the caller can't write in, a check build's call (no code written): cached as a plain rustc succeeds", { skip }, async (t) => {
  const cwd = otherUidCrate('temps unwritable check');
  halfLib(cwd);
  const out = join(cwd, 'out');
  const scratch = join(cwd, 'scratch');
  mkdirSync(scratch); // root's, 0755: OTHER_UID can't write in it
  // cargo check's call: metadata alone, which writes no object to the temps dir.
  const args = ['--crate-name', 'tchk', '--edition=2021', 'src/lib.rs', '--crate-type', 'lib', '--emit=dep-info,metadata', '--out-dir', out, `-Ztemps-dir=${scratch}`];
  const env = { SPLITCACHE_DIR: otherUidDir('store') };
  t.teardown(() => void splitcacheAsOtherUid(['server', 'stop'], env));
  const plain = callAsOtherUid(toolchain!, cwd, {}, args, false);
  t.same([plain.status, plain.stderr], [0, ''], 'a plain rustc succeeds');
  const plainLeft = readdirSync(out).sort();
  for (const round of ['miss', 'hit']) {
    emptied(out);
    const r = callAsOtherUid(toolchain!, cwd, env, args);
    t.same([r.status, r.stderr], [0, ''], `${round}: so does the call`);
    t.same(readdirSync(out).sort(), plainLeft, `${round}: with a plain rustc's files`);
  }
  const audit = splitcacheAsOtherUid(['audit', '--json'], env);
  const lines = audit.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { outcome: string });
  t.same(lines.map((e) => e.outcome), ['miss', 'hit'], 'stored, then hit (before: each ran plainly, temps-dir-unwritable)');
});

t.test("-Ztemps-dir the caller can write in but not search (no x): a lib fails as a plain rustc fails, after a hit was stored", { skip }, async (t) => {
  const cwd = otherUidCrate('temps unsearchable');
  halfLib(cwd);
  const out = join(cwd, 'out');
  const scratch = join(cwd, 'scratch');
  mkdirSync(scratch);
  chownSync(scratch, OTHER_UID, OTHER_UID);
  const args = ['--crate-name', 'tsrch', '--edition=2021', 'src/lib.rs', '--crate-type', 'lib', '--emit=dep-info,metadata,link', '--out-dir', out, `-Ztemps-dir=${scratch}`];
  const env = { SPLITCACHE_DIR: otherUidDir('store') };
  t.teardown(() => void splitcacheAsOtherUid(['server', 'stop'], env));
  const stored = callAsOtherUid(toolchain!, cwd, env, args);
  t.same([stored.status, stored.stderr], [0, ''], 'with the dir its own, the call builds and is stored');
  chownSync(scratch, 0, 0);
  chmodSync(scratch, 0o722); // others may write, not search: no file can be made in it
  emptied(out);
  const plain = callAsOtherUid(toolchain!, cwd, {}, args, false);
  t.not(plain.status, 0, 'a plain rustc fails');
  emptied(out);
  const again = callAsOtherUid(toolchain!, cwd, env, args);
  t.same([again.status, again.stderr], [plain.status, plain.stderr], 'so does the call (access checked with X_OK too: W_OK alone hit)');
});
