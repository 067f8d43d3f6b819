import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestBytes, FileDigestMemo, initHash } from '@splitcache/hash';
import { parseInvocation } from '@splitcache/rustc';
import { buildManifestKey, type KeyOptions, type ManifestKey } from '../src/manifestKey.js';
import { prefixTableFor } from '../src/prefixes.js';
import type { RustcIdentity } from '../src/rustcIdentity.js';

// Each numbered input of the key (manifestKey.ts), changed alone, must change the key; what it
// leaves out must not. A mutation audit found nine inputs whose removal no test noticed (the
// end-to-end tests each touch a few): RUSTC_BOOTSTRAP, CARGO_PKG_*, OUT_DIR set or not, a target
// spec given by path, SPLITCACHE_REMAP, CLIPPY_* under a driver, a remap flag's TO side, the
// sysroot's library listing. Here every item is changed in turn, on one workspace of files.

await initHash();
const ws = mkdtempSync(join(tmpdir(), 'sc-key-items-'));
t.teardown(() => rmSync(ws, { recursive: true, force: true }));
const HOST = 'x86_64-unknown-linux-gnu';
const files: Record<string, string> = {
  'src/lib.rs': 'pub fn f() -> u32 { 1 }\n',
  'deps/libdep.rlib': 'dep',
  'vendor/libnat.a': '!<arch>\n',
  'spec.json': '{"llvm-target": "x86_64-unknown-linux-gnu", "vendor": "one"}',
  [`sysroot/lib/rustlib/${HOST}/lib/libstd-0000.rlib`]: 'std',
  [`custom/lib/rustlib/${HOST}/lib/libstd-1111.rlib`]: 'custom std',
};
for (const [f, text] of Object.entries(files)) {
  mkdirSync(join(ws, f, '..'), { recursive: true });
  writeFileSync(join(ws, f), text);
}
const sysroot = join(ws, 'sysroot');
const rustc: RustcIdentity = {
  verbose: `rustc 1.95.0 (59807616e 2026-04-14)\nhost: ${HOST}\nrelease: 1.95.0\ncommit-hash: 59807616e1fa2540724bfbac14d7976d7e4a3860\n`,
  version: 'rustc 1.95.0 (59807616e 2026-04-14)',
  rlinkVersion: '1.95.0 (59807616e 2026-04-14)',
  host: HOST,
  release: '1.95.0',
  sysroot,
  digest: digestBytes('the compiler'),
  unstableAlways: false,
  targetLibs: { [HOST]: digestBytes('the listing') },
};
const BASE = ['--crate-name', 'k', '--edition=2021', 'src/lib.rs', '--crate-type', 'lib', '--emit=dep-info,metadata,link', '--out-dir', join(ws, 'out'), '-L', `native=${join(ws, 'vendor')}`, '--extern', `dep=${join(ws, 'deps/libdep.rlib')}`];
const ENV = { CARGO_PKG_NAME: 'k', CARGO_PKG_VERSION: '1.0.0', CARGO_MANIFEST_DIR: ws, CARGO_CRATE_NAME: 'k', HOME: ws, TMPDIR: join(ws, 'tmp') };

interface Change {
  args?: string[];
  env?: Record<string, string | undefined>;
  rustc?: Partial<RustcIdentity>;
  opts?: KeyOptions;
  /** A file (relative to the workspace) written before, and put back after. */
  file?: [string, string];
  /** A metadata-only call (`cargo check`'s `--emit=dep-info,metadata`): it writes no code. */
  check?: boolean;
  /** A bin's call (a crate that links: split), not a lib's. */
  bin?: boolean;
}

async function keyWith(c: Change = {}): Promise<string> {
  return (await manifestKeyWith(c)).key;
}

async function manifestKeyWith(c: Change): Promise<ManifestKey> {
  const checked = c.check ? BASE.map((a) => (a.startsWith('--emit=') ? '--emit=dep-info,metadata' : a)) : BASE;
  const base = c.bin ? checked.map((a, i) => (checked[i - 1] === '--crate-type' ? 'bin' : a)) : checked;
  const inv = parseInvocation([...base, ...(c.args ?? [])]);
  const env: Record<string, string> = { ...ENV };
  for (const [k, v] of Object.entries(c.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const id = { ...rustc, ...c.rustc };
  const table = prefixTableFor(inv, ws, env, id.sysroot, []);
  const path = c.file && join(ws, c.file[0]);
  const before = path && files[c.file![0]];
  if (path) {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, c.file![1]);
  }
  try {
    // A memo of its own each time: file digests are what is compared, not the memo's stamps.
    return await buildManifestKey(inv, id, ws, env, table, new FileDigestMemo(0), c.opts);
  } finally {
    if (path) before === undefined ? rmSync(path, { force: true }) : writeFileSync(path, before);
  }
}

const CHANGES: [string, Change][] = [
  ['2: the compiler', { rustc: { digest: digestBytes('another compiler') } }],
  ["2: the sysroot's libraries for the call's target", { rustc: { targetLibs: { [HOST]: digestBytes('another listing') } } }],
  ['3: an argument (--cfg)', { args: ['--cfg', 'feature="x"'] }],
  ['3: a codegen option', { args: ['-C', 'opt-level=1'] }],
  ["3: a remap flag's TO side", { args: [`--remap-path-prefix=${ws}=/BBB`] }],
  ['5: a CARGO_PKG_* value', { env: { CARGO_PKG_VERSION: '2.0.0' } }],
  ['5: RUSTC_BOOTSTRAP', { env: { RUSTC_BOOTSTRAP: '1' } }],
  ['5: OUT_DIR set', { env: { OUT_DIR: join(ws, 'target/build/k-1/out') } }],
  ['5: MACOSX_DEPLOYMENT_TARGET set', { env: { MACOSX_DEPLOYMENT_TARGET: '13.0' } }],
  ['6: the root source', { file: ['src/lib.rs', 'pub fn f() -> u32 { 2 }\n'] }],
  ['7: an --extern file', { file: ['deps/libdep.rlib', 'dep, rebuilt'] }],
  ['8: a native library in an -L native dir', { file: ['vendor/libnat.a', '!<arch>\nrebuilt'] }],
  ['8: a Rust library in an -L crate dir', { args: ['-L', `crate=${join(ws, 'deps')}`], file: ['deps/libother.rlib', 'other'] }],
  ['9: the target', { args: ['--target', 'aarch64-unknown-linux-gnu'] }],
  ['9: a target spec given by path, its contents', { args: ['--target', join(ws, 'spec.json')], file: ['spec.json', '{"llvm-target": "x86_64-unknown-linux-gnu", "vendor": "two"}'] }],
  ['10: SPLITCACHE_REMAP', { opts: { remap: true } }],
  ['11: what native means', { args: ['-C', 'target-cpu=native'], opts: { nativeCpu: 'znver3' } }],
  ['12: the profile-generate dir', { args: ['-C', 'profile-generate=/p/one'] }],
  ['13: a driver', { opts: { driver: 'clippy-driver 0.1.95' } }],
  ['13: a CLIPPY_* variable under a driver', { opts: { driver: 'clippy-driver 0.1.95' }, env: { CLIPPY_DISABLE_DOCS_LINKS: '1' } }],
  ['15: a library of a custom --sysroot', { args: ['--sysroot', join(ws, 'custom')], file: [`custom/lib/rustlib/${HOST}/lib/libstd-1111.rlib`, 'custom std, rebuilt'] }],
  ['19: std\'s sources in the sysroot (rust-src)', { file: ['sysroot/lib/rustlib/src/rust/library/std/src/lib.rs', ''] }],
];

t.test('each input of the key, changed alone, changes the key', async (t) => {
  const base = await keyWith();
  t.equal(await keyWith(), base, 'the same inputs: the same key (else nothing below shows anything)');
  for (const [name, change] of CHANGES) t.not(await keyWith(change), base, name);
  // Pairs that differ only in one input beyond the base's own variant.
  const withOut = await keyWith({ env: { OUT_DIR: '/gen/one' } });
  t.not(await keyWith({ env: { OUT_DIR: undefined } }), withOut, '5: OUT_DIR unset against set');
  const clippy = { driver: 'clippy-driver 0.1.95' };
  t.not(await keyWith({ opts: clippy, env: { CLIPPY_ARGS: '-D__CLIPPY_HACKERY__warnings' } }), await keyWith({ opts: clippy }), '13: CLIPPY_ARGS');
  const customBase = await keyWith({ args: ['--sysroot', join(ws, 'custom')] });
  t.not(customBase, base, '15: a custom sysroot at all');
});

t.test('what the key leaves out leaves it as it is', async (t) => {
  const base = await keyWith();
  const SAME: [string, Change][] = [
    ['a linker', { args: ['-C', 'linker=/opt/clang/bin/clang'] }],
    ["a terminal's width", { args: ['--diagnostic-width=120'] }],
    ["a terminal's colours", { args: ['--color=always'] }],
    ['CARGO_HOME, which the rustup proxy sets', { env: { CARGO_HOME: '/elsewhere/.cargo' } }],
    ["cargo's jobserver", { env: { CARGO_MAKEFLAGS: '-j --jobserver-fds=3,4' } }],
    ['CARGO_INCREMENTAL, which cargo turns into arguments', { env: { CARGO_INCREMENTAL: '0' } }],
    ['another tool\'s variable', { env: { CARGO_MAKE_GIT_HEAD_LAST_COMMIT_HASH: 'abc' } }],
    ['MACOSX_DEPLOYMENT_TARGET unset, as before it was keyed', { env: { MACOSX_DEPLOYMENT_TARGET: undefined } }],
    ['a CLIPPY_* variable without a driver (rustc reads none)', { env: { CLIPPY_DISABLE_DOCS_LINKS: '1' } }],
    ["a C library in an -L crate dir's neighbour files", { file: ['deps/notes.txt', 'text'] }],
  ];
  for (const [name, change] of SAME) t.equal(await keyWith(change), base, name);
});

// Item 8 holds the native libraries a call may bundle: none for a crate that links (its link step reads
// them, on a hit too), nor a library only an -l that never bundles names (`dylib=`, `static:-bundle=`,
// which override a `#[link(kind = "static")]` of the name); an -l of no kind does not override it.
t.test('item 8: a native library changed changes the key only where the call may bundle it', async (t) => {
  const rebuilt: [string, string] = ['vendor/libnat.a', '!<arch>\nrebuilt'];
  for (const [how, args, bin, keyed] of [
    ['a lib, no -l (a #[link] may name it)', [], false, true],
    ['a lib, -l nat', ['-l', 'nat'], false, true],
    ['a lib, -l static=nat', ['-l', 'static=nat'], false, true],
    ['a lib, -l dylib=nat', ['-l', 'dylib=nat'], false, false],
    ['a lib, -l static:-bundle=nat', ['-l', 'static:-bundle=nat'], false, false],
    ['a lib, -l static:-bundle=nat and -l static=nat', ['-l', 'static:-bundle=nat', '-l', 'static=nat'], false, true],
    ['a bin, -l static=nat', ['-l', 'static=nat'], true, false],
    ['a bin, no -l', [], true, false],
  ] as const) {
    const before = await keyWith({ args: [...args], bin });
    t.equal((await keyWith({ args: [...args], bin, file: rebuilt })) !== before, keyed, `${how}: ${keyed ? 'keyed' : 'not keyed'}`);
  }
});

// Items 12 and 14 are held only where the call writes code (rustc/src/writesCode.ts): a check's
// metadata has no instrumented code to name the profile dir by (item 14: cli/test/coverageCheck.test.ts).
// Its `-C profile-generate` argument is keyed normalised (item 3), as any argument is.
t.test('a call that writes no code is not keyed by its profile-generate dir as it is', async (t) => {
  const item12 = async (check: boolean) => (await manifestKeyWith({ args: ['-C', `profile-generate=${join(ws, 'pgo')}`], check })).components.filter(([name]) => name === 'profile-generate-dir');
  t.same(await item12(false), [['profile-generate-dir', join(ws, 'pgo')]], 'a build: the dir exactly');
  t.same(await item12(true), [], 'a check: not (keyed by it, a check in another checkout missed)');
});
