// The cases wrongHits.mjs runs. Each builds through splitcache with `a`, then with `b` in a fresh
// target dir (of another checkout when `b.checkout` differs), and compares `b` with plain rustc.
// A step: args (after cargo's own, expanded: {CO} checkout, {OUT} out dir, {ROOT} sweep root),
// env (undefined unsets), cwd, bootstrap (RUSTC_BOOTSTRAP=1 on stable, for -Z), files (extra
// files of the checkout, under input/, kept between runs; executable). `extras`: paths outside the checkout to compare too.
// `strict`: a moved case whose differences the baseline's do not excuse (its args remap the checkout). `kinds`: lib, bin (both by default). `nightly`/`stable`: run on that toolchain only. `known`: a
// difference documented as a limit, reported as KNOWN.

export const SOURCES = {
  'src/lib.rs': `//! A crate to sweep.
pub fn f(x: u32) -> u32 { let unused = 1; x.wrapping_mul(3) }
pub fn var() -> Option<&'static str> { option_env!("SWEEP_VAR") }
pub fn at() -> &'static str { file!() }
// Edition 2024 warns here with an error code (warning[E0133]), which -Z terminal-urls links.
pub unsafe fn read(p: *const u8) -> u8 { *p }
// Under --check-cfg, a warning that lists the values expected.
#[cfg(sweep = "zzz")] pub fn cfgd() {}
pub fn c(v: &[u32]) -> u32 { let k = 2; v.iter().map(|x| x + k).sum() }
#[inline] pub fn g<T: Copy + std::fmt::Debug>(t: T) -> String { format!("{t:?}") }
pub fn boom(v: &[u8], i: usize) -> u8 { v[i] }
`,
  'src/main.rs': `fn main() {
    let unused = 1;
    println!("{:?} {}", option_env!("SWEEP_VAR"), file!());
    let v = std::hint::black_box(vec![1u8, 2]);
    if v.len() > 5 { panic!("at {}", v[9]); }
    let k = 2;
    println!("{}", v.iter().map(|x| x + k).sum::<u8>());
}
`,
};

/** A case that gives option args `x` then `y` (same checkout). */
const opt = (name, x, y, more = {}) => ({ name, a: { args: x, ...more.step }, b: { args: y, ...more.step }, ...more.case });
/** A case that gives env `x` then `y`. */
const env = (name, x, y, more = {}) => ({ name, a: { env: x, ...more.step }, b: { env: y, ...more.step }, ...more.case });
/** The same args in two checkouts (`{CO}` is each one's own). */
const moved = (name, args, more = {}) => ({ name: `${name} (other checkout)`, a: { args, ...more.step }, b: { args, checkout: 'b', ...more.step }, ...more.case });
/** The same args twice, in one checkout: the second call should hit, with plain rustc's outputs. */
const again = (args, more = {}) => opt(`${args.join(' ')} (again)`, args, args, more);
const Z = { step: { bootstrap: true } };
const lib = { kinds: ['lib'] };

export const cases = [
  // The baseline: nothing but a second checkout.
  moved('baseline', []),
  // Top-level options.
  opt('--cap-lints', ['--cap-lints', 'allow'], ['--cap-lints', 'warn']),
  opt('--diagnostic-width', ['--diagnostic-width=40'], ['--diagnostic-width=200']),
  opt('--diagnostic-width none/40', [], ['--diagnostic-width=40']),
  opt('--color always/never', ['--color=always'], ['--color=never']),
  opt('--color never/always', ['--color=never'], ['--color=always']),
  opt('--json short', ['--json=diagnostic-short'], []),
  opt('human: --color none/always', [], ['--color=always'], { step: { human: true } }),
  opt('human: --color always/none', ['--color=always'], [], { step: { human: true } }),
  opt('human: --color never/auto', ['--color=never'], ['--color=auto'], { step: { human: true } }),
  opt('human: --diagnostic-width', ['--diagnostic-width=40'], ['--diagnostic-width=200'], { step: { human: true } }),
  opt('human: --error-format short', [], ['--error-format=short'], { step: { human: true } }),
  opt('human: --error-format=human-unicode', [], ['-Zunstable-options', '--error-format=human-unicode'], { step: { human: true, bootstrap: true } }),
  env('human: CLICOLOR_FORCE', {}, { CLICOLOR_FORCE: '1' }, { step: { human: true } }),
  env('human: TERM/COLORTERM with terminal-urls', { TERM: 'dumb' }, { TERM: 'xterm-256color', COLORTERM: 'truecolor' }, { step: { human: true, bootstrap: true, args: ['--color=always', '-Z', 'terminal-urls=auto'] } }),
  opt('--json unicode', [], ['--json=diagnostic-unicode'], Z),
  opt('--explain', ['--explain', 'E0001'], ['--explain', 'E0002']),
  opt('--print crate-name=file', ['--print=crate-name={OUT}/pn.txt'], ['--print=crate-name={OUT}/pn2.txt']),
  opt('--print file-names', [], ['--print=file-names']),
  opt('-o', ['-o', '{OUT}/one'], ['-o', '{OUT}/two']),
  opt('--emit kind=path', ['--emit=link={CO}/custom1'], ['--emit=link={CO}/custom2']),
  opt('--emit asm', [], ['--emit=asm']),
  opt('--emit llvm-ir', [], ['--emit=llvm-ir']),
  opt('--remap-path-prefix', ['--remap-path-prefix={CO}=/one'], ['--remap-path-prefix={CO}=/two']),
  moved('--remap-path-prefix', ['--remap-path-prefix={CO}=/same']),
  opt('--remap-path-prefix outside', ['--remap-path-prefix=/nowhere/a=/x'], ['--remap-path-prefix=/nowhere/b=/x']),
  opt('--remap-path-scope', ['--remap-path-prefix={CO}=/r', '--remap-path-scope=object'], ['--remap-path-prefix={CO}=/r', '--remap-path-scope=diagnostics']),
  moved('-Z crate-attr path', ['-Z', 'crate-attr=doc(html_root_url = "file://{CO}/doc")'], { step: { bootstrap: true }, case: lib }),
  opt('-Z crate-attr', ['-Z', 'crate-attr=doc(html_root_url = "https://a/")'], ['-Z', 'crate-attr=doc(html_root_url = "https://b/")'], { step: { bootstrap: true }, case: lib }),
  moved('--remap-path-prefix to the checkout', ['--remap-path-prefix=src={CO}/mapped']),
  moved('--env-set path', ['-Zunstable-options', '--env-set', 'SWEEP_VAR={CO}/x'], Z),
  opt('--env-set', ['-Zunstable-options', '--env-set', 'SWEEP_VAR=one'], ['-Zunstable-options', '--env-set', 'SWEEP_VAR=two'], Z),
  moved('--cfg path', ['--cfg', 'sweep="{CO}"']),
  moved('--check-cfg path', ['--check-cfg', 'cfg(sweep, values("{CO}"))']),
  opt('--check-cfg', ['--check-cfg', 'cfg(sweep, values("a"))'], ['--check-cfg', 'cfg(sweep, values("b"))']),
  opt('-L native dir', ['-L', 'native={CO}/n1'], ['-L', 'native={CO}/n2']),
  opt('-L relative', ['-L', 'native=n1'], ['-L', 'native=n2']),
  opt('-L outside', ['-L', 'native={ROOT}/o1'], ['-L', 'native={ROOT}/o2']),
  moved('-L inside', ['-L', 'native={CO}/n1']),
  opt('--sysroot', [], ['--sysroot', '{ROOT}/no-sysroot'], { case: { known: "a nightly's help in a failed split call's error: docs/RELIABILITY.md, Known limits" } }),
  opt('-v', [], ['-v']),
  // Codegen options that are stripped or normalised.
  opt('-C link-arg', ['-C', 'link-arg=-Wl,--build-id=0x01'], ['-C', 'link-arg=-Wl,--build-id=0x02']),
  opt('-C link_arg', ['-C', 'link_arg=-Wl,--build-id=0x01'], ['-C', 'link_arg=-Wl,--build-id=0x02']),
  opt('-C link-args', ['-C', 'link-args=-Wl,--build-id=0x01'], ['-C', 'link-args=-Wl,--build-id=0x02']),
  opt('-C linker', [], ['-C', 'linker=gcc']),
  opt('-C strip', ['-C', 'strip=none'], ['-C', 'strip=symbols']),
  opt('-C strip debuginfo', [], ['-C', 'strip=debuginfo']),
  opt('-C link-self-contained', [], ['-C', 'link-self-contained=no'], { case: { known: 'the link fails (no crt objects): a failed split link says `1 warning emitted` once more' } }),
  opt('-C linker-flavor', [], ['-C', 'linker-flavor=gcc']),
  opt('-C linker-features', [], ['-C', 'linker-features=-lld']),
  opt('-C relocation-model', [], ['-C', 'relocation_model=static']),
  opt('-C prefer-dynamic', [], ['-C', 'prefer-dynamic']),
  opt('-C target-cpu=native spelled', ['-C', 'target-cpu=x86-64'], ['-C', 'target_cpu=native']),
  opt('-C metadata twice', ['-C', 'metadata=1'], ['-C', 'metadata=2']),
  opt('-C remark', [], ['-C', 'remark=all']),
  opt('-C save-temps', [], ['-C', 'save-temps']),
  opt('-C incremental', ['-C', 'incremental={OUT}/inc1'], ['-C', 'incremental={OUT}/inc2']),
  moved('-C profile-generate', ['-C', 'profile-generate={CO}/pgo']),
  opt('-C profile-generate relative', ['-C', 'profile-generate=pgo1'], ['-C', 'profile-generate=pgo2']),
  moved('-C instrument-coverage', ['-C', 'instrument-coverage']),
  moved('-C split-debuginfo=unpacked', ['-C', 'split-debuginfo=unpacked']),
  moved('-C split-debuginfo=packed', ['-C', 'split-debuginfo=packed'], { case: { known: 'the .dwp keeps the producer\'s paths, as debuginfo does: docs/ARCHITECTURE.md, "What it does not"' } }),
  opt('-C split-debuginfo', ['-C', 'split-debuginfo=off'], ['-C', 'split-debuginfo=packed']),
  // -Z options.
  opt('-Z temps-dir', ['-Z', 'temps-dir={CO}/t1'], ['-Z', 'temps-dir={CO}/t2'], Z),
  moved('-Z temps-dir', ['-Z', 'temps-dir={CO}/t1'], Z),
  opt('-Z checksum-hash-algorithm', ['-Z', 'checksum-hash-algorithm=sha256'], ['-Z', 'checksum-hash-algorithm=sha256'], Z),
  opt('-Z binary-dep-depinfo', ['-Z', 'binary-dep-depinfo'], ['-Z', 'binary-dep-depinfo'], Z),
  opt('-Z dep-info-omit-d-target', [], ['-Z', 'dep-info-omit-d-target'], Z),
  opt('-Z print-type-sizes', ['-Z', 'print-type-sizes'], ['-Z', 'print-type-sizes'], Z),
  opt('-Z print-mono-items', ['-Z', 'print-mono-items'], ['-Z', 'print-mono-items'], Z),
  opt('-Z print-vtable-sizes', ['-Z', 'print-vtable-sizes'], ['-Z', 'print-vtable-sizes'], Z),
  opt('-Z hir-stats', ['-Z', 'hir-stats'], ['-Z', 'hir-stats'], Z),
  opt('-Z macro-stats', ['-Z', 'macro-stats'], ['-Z', 'macro-stats'], Z),
  opt('-Z print-codegen-stats', ['-Z', 'print-codegen-stats'], ['-Z', 'print-codegen-stats'], Z),
  opt('-Z print-llvm-passes', ['-Z', 'print-llvm-passes'], ['-Z', 'print-llvm-passes'], Z),
  opt('-Z trace-macros', ['-Z', 'trace-macros'], ['-Z', 'trace-macros'], Z),
  opt('-Z verbose-internals', ['-Z', 'verbose-internals'], ['-Z', 'verbose-internals'], Z),
  opt('-Z ui-testing', ['-Z', 'ui-testing'], ['-Z', 'ui-testing'], Z),
  opt('-Z write-long-types-to-disk', ['-Z', 'write-long-types-to-disk=no'], ['-Z', 'write-long-types-to-disk=no'], Z),
  opt('-Z ignore-directory-in-diagnostics-source-blocks', ['-Z', 'ignore-directory-in-diagnostics-source-blocks={CO}/src'], ['-Z', 'ignore-directory-in-diagnostics-source-blocks={CO}/src'], Z),
  moved('-Z ignore-directory-in-diagnostics-source-blocks', ['-Z', 'ignore-directory-in-diagnostics-source-blocks={CO}/src'], Z),
  // Beside a remap of the checkout, which removes the baseline's differences: judged strictly.
  moved('-Z remap-cwd-prefix into the checkout', ['--remap-path-prefix={CO}=/build', '-Z', 'remap-cwd-prefix={CO}/cwd'], { ...Z, case: { ...Z.case, strict: true } }),
  opt('-Z simulate-remapped-rust-src-base', ['-Z', 'simulate-remapped-rust-src-base=/rustc/sim'], ['-Z', 'simulate-remapped-rust-src-base=/rustc/sim'], Z),
  opt('-Z input-stats', ['-Z', 'input-stats'], ['-Z', 'input-stats'], Z),
  opt('-Z profile-closures', ['-Z', 'profile-closures'], ['-Z', 'profile-closures'], Z),
  opt('-Z self-profile', ['-Z', 'self-profile={CO}/prof'], ['-Z', 'self-profile={CO}/prof'], Z),
  opt('-Z time-passes', ['-Z', 'time-passes'], ['-Z', 'time-passes'], Z),
  opt('-Z unpretty', ['-Z', 'unpretty=expanded'], ['-Z', 'unpretty=expanded'], Z),
  opt('-Z ls', ['-Z', 'ls=root'], ['-Z', 'ls=root'], Z),
  opt('-Z dump-mir', ['-Z', 'dump-mir=main'], ['-Z', 'dump-mir=main'], Z),
  moved('-Z remap-cwd-prefix', ['-Z', 'remap-cwd-prefix=.'], Z),
  opt('-Z track-diagnostics', ['-Z', 'track-diagnostics'], ['-Z', 'track-diagnostics'], Z),
  opt('-Z emit-stack-sizes', [], ['-Z', 'emit-stack-sizes'], Z),
  opt('-Z embed-source', ['-Z', 'embed-source=yes', '-Z', 'dwarf-version=5'], ['-Z', 'embed-source=yes', '-Z', 'dwarf-version=5'], Z),
  opt('-Z pre-link-arg', ['-Z', 'pre-link-arg=-Wl,--build-id=0x01'], ['-Z', 'pre-link-arg=-Wl,--build-id=0x02'], Z),
    opt('-Z split-dwarf-kind', ['-C', 'split-debuginfo=unpacked', '-Z', 'split-dwarf-kind=single'], ['-C', 'split-debuginfo=unpacked', '-Z', 'split-dwarf-kind=split'], Z),
  // Each -C option, given the same way twice: the second call hits (or passes through) and must
  // leave what plain rustc leaves.
  ...[
    ['-C', 'ar=foo'], ['-C', 'code-model=large'], ['-C', 'codegen-units=1'], ['-C', 'collapse-macro-debuginfo=yes'],
    ['-C', 'control-flow-guard=checks'], ['-C', 'debug-assertions=no'], ['-C', 'debuginfo=1'], ['-C', 'default-linker-libraries=yes'],
    ['-C', 'dlltool=foo'], ['-C', 'dwarf-version=5'], ['-C', 'embed-bitcode=yes'], ['-C', 'force-frame-pointers=yes'],
    ['-C', 'force-unwind-tables=yes'], ['-C', 'inline-threshold=10'], ['-C', 'instrument-coverage'], ['-C', 'jump-tables=no'],
    ['-C', 'link-dead-code'], ['-C', 'linker-plugin-lto'], ['-C', 'llvm-args=-inline-threshold=5'], ['-C', 'lto=fat'],
    ['-C', 'lto=thin'], ['-C', 'no-prepopulate-passes'], ['-C', 'no-redzone=yes'], ['-C', 'no-stack-check'],
    ['-C', 'no-vectorize-loops'], ['-C', 'no-vectorize-slp'], ['-C', 'opt-level=3'], ['-C', 'overflow-checks=no'],
    ['-C', 'panic=abort'], ['-C', 'passes=lint'], ['-C', 'prefer-dynamic'], ['-C', 'profile-generate={CO}/pgo'],
    ['-C', 'relocation-model=pic'], ['-C', 'relro-level=full'], ['-C', 'remark=all'], ['-C', 'rpath'],
    ['-C', 'soft-float'], ['-C', 'split-debuginfo=packed'], ['-C', 'split-debuginfo=unpacked'], ['-C', 'strip=symbols'],
    ['-C', 'symbol-mangling-version=v0'], ['-C', 'target-cpu=native'], ['-C', 'target-feature=+avx2'], ['-C', 'unsafe-allow-abi-mismatch=soft-float'],
    ['-C', 'opt-level=s', '-C', 'debuginfo=0'], ['-g'], ['-O'], ['--cfg', 'sweep'], ['--check-cfg', 'cfg(sweep)'],
    ['-W', 'missing-docs'], ['-A', 'warnings'], ['-D', 'warnings'], ['--force-warn', 'unused'], ['--cap-lints', 'allow'],
    ['--remap-path-prefix={CO}=/r'], ['--remap-path-prefix=src=/s'], ['-Z', 'temps-dir={CO}/tmps'], ['-Z', 'remap-cwd-prefix=.'],
  ].map((args) => again(args, args[0] === '-Z' ? { step: { bootstrap: true, args } } : {})),
  // Environment variables.
  env('SWEEP_VAR (env-dep)', { SWEEP_VAR: 'one' }, { SWEEP_VAR: 'two' }),
  env('CARGO_PKG_VERSION', { CARGO_PKG_VERSION: '0.1.0' }, { CARGO_PKG_VERSION: '0.2.0' }),
  env('RUSTC_BOOTSTRAP', {}, { RUSTC_BOOTSTRAP: '1' }),
  env('SOURCE_DATE_EPOCH', { SOURCE_DATE_EPOCH: '1' }, { SOURCE_DATE_EPOCH: '2000000000' }),
  env('RUST_MIN_STACK', {}, { RUST_MIN_STACK: '100000000' }),
  env('RUST_BACKTRACE', {}, { RUST_BACKTRACE: '1' }),
  env('TERM', { TERM: 'dumb' }, { TERM: 'xterm-256color' }),
  env('CLICOLOR_FORCE', {}, { CLICOLOR_FORCE: '1' }),
  env('NO_COLOR', {}, { NO_COLOR: '1' }),
  env('COLUMNS', { COLUMNS: '40' }, { COLUMNS: '200' }),
  env('LANG', { LANG: 'C.UTF-8' }, { LANG: 'de_DE.UTF-8', LC_MESSAGES: 'de_DE.UTF-8' }),
  { ...env('LC_ALL (a locale not installed)', { LC_ALL: 'C' }, { LC_ALL: 'de_DE.UTF-8' }), known: "bash's setlocale warning, docs/RELIABILITY.md Known limits" },
  env('RUSTC_ICE', {}, { RUSTC_ICE: '0' }),
  env('TMPDIR', { TMPDIR: '{ROOT}/tmp' }, { TMPDIR: '{CO}' }),
  env('RUSTC_LOG', {}, { RUSTC_LOG: 'rustc_metadata=debug' }),
  env('RUSTC_CTFE_BACKTRACE', {}, { RUSTC_CTFE_BACKTRACE: '1' }),
  env('RUSTC_FORCE_RUSTC_VERSION', {}, { RUSTC_FORCE_RUSTC_VERSION: 'sweep' }),
  env('RUSTC_OVERRIDE_VERSION_STRING', {}, { RUSTC_OVERRIDE_VERSION_STRING: '1.2.3' }),
  env('LLVM_OVERRIDE_PRODUCER', {}, { LLVM_OVERRIDE_PRODUCER: 'sweep' }),
  env('RUSTC_BREAK_ON_ICE', {}, { RUSTC_BREAK_ON_ICE: '1' }),
  env('LIBRARY_PATH', {}, { LIBRARY_PATH: '{ROOT}/nolib' }),
  { name: 'PATH linker (cc on PATH)', a: {}, b: { env: { PATH: `{CO}/input/fakebin:${process.env.PATH}` }, files: { 'input/fakebin/cc': '#!/bin/sh\nexec /usr/bin/cc -Wl,--build-id=0xfeed "$@"\n' } }, kinds: ['bin'] },
  { name: 'CARGO_MANIFEST_DIR (other checkout)', a: { env: { SWEEP_VAR: '{CO}' } }, b: { checkout: 'b', env: { SWEEP_VAR: '{CO}' } } },
  { name: 'terminal urls env', a: { args: ['-Z', 'terminal-urls=auto'], bootstrap: true, env: { TERM: 'dumb' } }, b: { args: ['-Z', 'terminal-urls=auto'], bootstrap: true, env: { COLORTERM: 'truecolor', TERM: 'xterm-256color' } } },
  { name: 'terminal urls env, reverse', a: { args: ['-Z', 'terminal-urls=auto'], bootstrap: true, env: { COLORTERM: 'truecolor', TERM: 'xterm-256color' } }, b: { args: ['-Z', 'terminal-urls=auto'], bootstrap: true, env: { TERM: 'dumb' } } },
];
