import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, copyFixture, oneFileCrate, realRustc, run, Store } from './helpers.js';

// `-Z terminal-urls` links error codes in coloured diagnostics only (daemon/src/terminalUrls.ts):
// every value rustc takes gives the same outputs, and the same diagnostics where they are not
// coloured. Keyed by its text (and `auto` by COLORTERM and TERM), a crate that printed nothing
// missed in a terminal whose variables differ from CI's, and `=no` missed a build without it;
// now a result serves every call whose rustc would render it the same, and only those.

const rustc = await realRustc();
const nightly = spawnSync('rustup', ['which', 'rustc', '--toolchain', 'nightly'], { encoding: 'utf8' });
const NIGHTLY = nightly.status === 0 ? nightly.stdout.trim() : '';
const BOOT = { RUSTC_BOOTSTRAP: '1' };
const LINKING = { ...BOOT, COLORTERM: 'truecolor', TERM: 'xterm-256color' };
const BARE = { ...BOOT, COLORTERM: '', TERM: 'dumb' };
const LINK = ']8;;https://doc.rust-lang.org/error_codes/E0133.html';
const CARGO_FORM = ['--error-format=json', '--json=diagnostic-rendered-ansi,artifacts'];

function libArgs(crate: string, form: string[]): string[] {
  return ['--crate-name', 'urls', '--edition=2024', 'src/main.rs', '--crate-type', 'lib', '--emit=dep-info,metadata,link', ...form, '--out-dir', join(crate, 'out')];
}

function outputs(out: string): Map<string, Buffer> {
  return new Map(readdirSync(out).sort().map((f) => [f, readFileSync(join(out, f))]));
}

function fresh(out: string): void {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out);
}

/** One call through splitcache beside a plain rustc's in the same env: the same exit, stderr and files. Returns the stderr. */
async function round(t: Test, store: Store, crate: string, args: string[], env: NodeJS.ProcessEnv, what: string, compiler = rustc): Promise<string> {
  const out = join(crate, 'out');
  fresh(out);
  const plain = await run(compiler, args, { cwd: crate, env: store.env(env) });
  const files = outputs(out);
  fresh(out);
  const r = await run(BIN, [compiler, ...args], { cwd: crate, env: store.env(env) });
  t.same([r.code, r.stderr], [plain.code, plain.stderr], `${what}: a plain rustc's exit and stderr`);
  t.same(outputs(out), files, `${what}: and its files, byte for byte`);
  return r.stderr;
}

t.test('a crate that prints nothing: one entry for every -Z terminal-urls rustc takes, in every environment', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = oneFileCrate('pub fn half(x: u32) -> u32 {\n    x / 2\n}\n');
  const rounds = [
    [['-Zterminal-urls=auto'], LINKING],
    [['-Zterminal-urls=auto'], BARE],
    [['-Zterminal-urls=yes'], BARE],
    [[], BARE],
    [['-Z', 'terminal_urls=no'], LINKING],
    [['-Zterminal-urls'], LINKING],
  ] as const;
  for (const [z, env] of rounds) await round(t, store, crate, libArgs(crate, [...CARGO_FORM, ...z]), env, `${z.join(' ') || 'none'} (${env.TERM})`);
  t.same((await store.calls()).map((c) => c.outcome), ['miss', 'hit', 'hit', 'hit', 'hit', 'hit'], 'stored once, then hit (before: each missed)');
});

for (const [toolchain, compiler] of [['stable', rustc], ['nightly', NIGHTLY]] as const) {
  t.test(`${toolchain}: a crate with a warning: a result serves the calls whose rustc renders it the same, and only those`, { skip: !compiler && 'no nightly toolchain' }, async (t) => {
    const store = new Store();
    t.teardown(() => store.stop());
    // edition 2024 warns with an error code: warning[E0133], an unsafe operation in an unsafe fn.
    const crate = oneFileCrate('pub unsafe fn read(p: *const u8) -> u8 { *p }\n');
    const rounds = [
      // cargo's form: JSON, rendered in colour.
      [CARGO_FORM, BARE, false],
      [[...CARGO_FORM, '-Zterminal-urls=no'], LINKING, false],
      [[...CARGO_FORM, '-Zterminal-urls=yes'], BARE, true],
      [[...CARGO_FORM, '-Zterminal-urls=auto'], LINKING, true],
      [[...CARGO_FORM, '-Zterminal-urls=auto'], BARE, false],
      // Text on a pipe, uncoloured: the same bytes whatever it says; in colour, linked where on.
      [[], BARE, false],
      [['-Zterminal-urls=yes'], LINKING, false],
      [['-Zterminal-urls=yes', '--color=always'], BARE, true],
      [['-Zterminal-urls=auto', '--color=always'], LINKING, true],
      [['-Zterminal-urls=auto', '--color=always'], BARE, false],
    ] as const;
    for (const [form, env, linked] of rounds) {
      const own = form.filter((a: string) => !CARGO_FORM.includes(a));
      const what = `${own.join(' ') || 'none'}${own.length < form.length ? ' (JSON)' : ''} (${env.TERM})`;
      const stderr = await round(t, store, crate, libArgs(crate, [...form]), env, what, compiler);
      t.equal(stderr.includes(LINK), linked, `${what}: E0133 ${linked ? 'linked' : 'not linked'}`);
    }
    const outcomes = ['miss', 'hit', 'miss', 'hit', 'hit', 'miss', 'hit', 'miss', 'hit', 'miss'];
    t.same((await store.calls()).map((c) => c.outcome), outcomes, 'each rendering stored once (before: every other call missed)');
  });
}

t.test('on stable without RUSTC_BOOTSTRAP, a -Z terminal-urls call fails as a plain rustc does, never to hit', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = oneFileCrate('pub fn half(x: u32) -> u32 {\n    x / 2\n}\n');
  const env = { RUSTC_BOOTSTRAP: undefined };
  await round(t, store, crate, libArgs(crate, CARGO_FORM), env, 'without it');
  await round(t, store, crate, libArgs(crate, [...CARGO_FORM, '-Zterminal-urls=no']), env, 'with it');
  t.same((await store.audit()).map((e) => [e.outcome, e.reason]), [['miss', 'new-key'], ['passthrough', 'unstable-flag']], 'stored without it; run plainly with it');
});

t.test('cargo with RUSTFLAGS=-Zterminal-urls=auto: a build in CI hits every quiet crate a linking terminal stored, with a plain build\'s bytes', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const flags = { RUSTFLAGS: '-Zterminal-urls=auto' };
  const ws = copyFixture();
  const bin = join(ws, 'target', 'debug', 'fx-app');
  const plain = await run('cargo', ['build', '-q'], { cwd: ws, env: { ...process.env, ...BARE, ...flags, CARGO_INCREMENTAL: '0', RUSTC_WRAPPER: '' } });
  t.equal(plain.code, 0, 'plain cargo builds');
  const plainBin = readFileSync(bin);
  for (const [session, env] of [['terminal', LINKING], ['ci', BARE]] as const) {
    rmSync(join(ws, 'target'), { recursive: true, force: true });
    const r = await store.cargo(ws, ['build', '-q'], { ...env, ...flags, SPLITCACHE_SESSION: session });
    t.equal(r.code, 0, `built in ${session}`);
    t.ok(readFileSync(bin).equals(plainBin), `${session}: the binary is a plain build's, byte for byte`);
  }
  // fx_util warns (an unused variable, no error code): its result's form names the links, so CI compiles it again.
  const calls = (await store.calls('ci')).map((c) => [c.crate, c.outcome, c.reason ?? '']);
  const expected = calls.map(([crate]) => (crate === 'fx_util' ? [crate, 'miss', 'diagnostic-form'] : [crate, 'hit', '']));
  t.same(calls, expected, 'every crate that printed nothing hits (before: each missed)');
  t.equal(calls.length, 5, 'of the five');
});
