import type { Invocation } from './invocation.js';

/** `-C linker-flavor` values a stable rustc takes without `-Z unstable-options` (each below checked against rustc 1.95). */
const STABLE_LINKER_FLAVORS = new Set(['gcc', 'ld', 'msvc', 'em', 'bpf-linker', 'ptx-linker', 'ld.lld', 'ld64.lld', 'lld-link', 'wasm-ld']);
/** `-C link-self-contained` values a stable rustc takes without it. */
const STABLE_SELF_CONTAINED = new Set(['', 'y', 'yes', 'on', 'n', 'no', 'off', '-linker']);
/** `--error-format` values that need it. */
const GATED_ERROR_FORMATS = new Set(['human-unicode', 'pretty-json']);
/** Options a stable rustc takes only with it. */
const GATED_FLAGS = ['--env-set'];

/**
 * The first option of the call that a stable rustc takes only with `-Z unstable-options`
 * (checked against rustc 1.95), or undefined. A stable call of a crate that links runs
 * its halves with RUSTC_BOOTSTRAP=1 and `-Zunstable-options` (the mangling pin, splitPlan.ts),
 * which would take them: `cargo rustc -- --env-set FOO=x` built under splitcache and failed
 * without it. Such a call runs plainly and fails as it does without splitcache. Options
 * gated in later releases are not known here: those a parser of this package doesn't know
 * at all pass through already (`unknown-flag`).
 */
export function gatedOption(inv: Invocation): string | undefined {
  for (let i = 0; i < inv.args.length; i++) {
    const a = inv.args[i]!;
    const flag = GATED_FLAGS.find((f) => a === f || a.startsWith(`${f}=`));
    if (flag) return flag;
    // `--extern priv:name=…` and every other modifier (cargo passes them only on nightly: build-std, public deps).
    const extern = a === '--extern' ? inv.args[i + 1] : a.startsWith('--extern=') ? a.slice('--extern='.length) : undefined;
    if (extern !== undefined && /^[a-z,-]+:/.test(extern)) return `--extern ${extern.slice(0, extern.indexOf(':') + 1)}`;
    // A remap scope only a nightly (or the flag) takes (checked against rustc 1.95).
    const scope = a === '--remap-path-scope' ? inv.args[i + 1] : a.startsWith('--remap-path-scope=') ? a.slice('--remap-path-scope='.length) : undefined;
    if (scope?.split(',').includes('documentation')) return '--remap-path-scope=documentation';
  }
  // A library kind likewise (`-l link-arg=…`, as the parser reads `-l`).
  if (inv.nativeLibs.some((l) => l.kind === 'link-arg')) return '-l link-arg';
  if (inv.json?.split(',').includes('timings')) return '--json=timings';
  if (inv.errorFormat && GATED_ERROR_FORMATS.has(inv.errorFormat)) return `--error-format=${inv.errorFormat}`;
  if (inv.emit.some((e) => e.kind === 'thin-link-bitcode')) return '--emit=thin-link-bitcode';
  const flavor = inv.codegen.get('linker-flavor');
  if (flavor !== undefined && !STABLE_LINKER_FLAVORS.has(flavor)) return `-C linker-flavor=${flavor}`;
  // `-lld` (leaving the default lld linker, since 1.90) is stable; enabling one is not.
  const features = inv.codegen.get('linker-features');
  if (features?.includes('+')) return `-C linker-features=${features}`;
  // A value of a stable option's that needs it: before, `-C panic=immediate-abort` went through
  // the halves' flag and failed later, with another error than a plain call's (an options audit's).
  const panic = inv.codegen.get('panic');
  if (panic === 'immediate-abort') return `-C panic=${panic}`;
  const mangling = inv.codegen.get('symbol-mangling-version');
  if (mangling === 'hashed') return `-C symbol-mangling-version=${mangling}`;
  if (inv.codegen.get('force-frame-pointers') === 'non-leaf') return '-C force-frame-pointers=non-leaf';
  const selfContained = inv.codegen.get('link-self-contained');
  if (selfContained !== undefined && !STABLE_SELF_CONTAINED.has(selfContained)) return `-C link-self-contained=${selfContained}`;
  return undefined;
}
