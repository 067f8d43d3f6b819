import type { Invocation } from './invocation.js';
import { unstableInEffect } from './boolOptions.js';
import { tempsDirNamed } from './tempsDir.js';

/** Crate types whose final artifact comes from the linker: split into -Zno-link / -Zlink-only. */
export const LINKING_TYPES = new Set(['bin', 'proc-macro', 'dylib', 'cdylib']);
/** Crate types cached whole (no linker involved). */
export const WHOLE_TYPES = new Set(['lib', 'rlib', 'staticlib']);
const EMITS = new Set(['link', 'metadata', 'dep-info']);
const SPLIT_DEBUGINFO = new Set(['off', 'packed', 'unpacked']);
/**
 * -Z options that make rustc report on its own run, or stop before its outputs:
 * what they write (an expansion on stdout, `mir_dump/`, a self-profile, pass
 * timings on stderr) is no output a result holds, and belongs to this run. Stored, a hit
 * would replay an old run's timings and write no `mir_dump/`; `-Zunpretty=expanded`
 * (cargo-expand's call) writes no metadata, and every call said it could not be stored.
 * Likewise the side files of `-Zdump-mono-stats` (`<crate>.mono_items.md`), `-Znll-facts`,
 * `-Zremark-dir` (the remarks of `-C remark`), `-Zprint-codegen-stats-json` and `-Zmetrics-dir`
 * (the unstable features the crate used): a hit wrote none. And `-Zprofile-closures`'
 * `closure_profile_<pid>.csv` in the working dir (a wrong-hits sweep's, bench/sweep).
 */
const SELF_REPORTING_Z =
  /^(unpretty|dump-mir|dump-dep-graph|dump-mono-stats|nll-facts|remark-dir|print-codegen-stats-json|metrics-dir|profile-closures|self-profile|time-passes|time-llvm-passes|llvm-time-trace|ls|parse-crate-root-only)(=|$)/;

/**
 * -Z options naming a file rustc reads that no dep-info line names: an LLVM plugin, a codegen
 * backend by path, a dataflow sanitizer's ABI list. Keyed by their text alone, a plugin or list
 * changed under the same name hit with the old one's objects (a hunting helper's repros, nightly).
 */
const UNTRACKED_FILE_Z = /^(llvm-plugins|sanitizer-dataflow-abilist)=|^codegen-backend=.*[/.]/;

/**
 * -Z options that put outputs where no result looks for them: `-Zsplit-dwarf-out-dir`'s `.dwo`
 * files (a crate that links with `-C split-debuginfo=unpacked`). Its result was stored without
 * them, and a hit left the binary naming `.dwo` files that were not there (an options audit's).
 */
const OUTPUT_ELSEWHERE_Z = /^split-dwarf-out-dir(=|$)/;

export type Verdict =
  | { cacheable: true; mode: 'whole' | 'split'; crateType: string }
  | { cacheable: false; reason: string };

/**
 * Decides whether splitcache can model this call. Anything it can't model
 * passes through to rustc untouched, with the reason counted.
 */
export function classify(inv: Invocation): Verdict {
  if (inv.print.length > 0) return { cacheable: false, reason: 'print' };
  // rustc prints the code's text and stops, whatever else is given. Taken for a compile, a crate
  // that links printed it twice (once from each half), and one that doesn't stored a result of
  // no output files (a wrong-hits sweep's, bench/sweep).
  if (inv.explain !== undefined) return { cacheable: false, reason: 'explain' };
  if (inv.argfiles.length > 0) return { cacheable: false, reason: 'argfile' };
  if (refusedColour(inv)) return { cacheable: false, reason: 'color-refused' };
  if (refusedWidth(inv)) return { cacheable: false, reason: 'width-refused' };
  // rustc refuses `--json` without `--error-format=json` (or its unstable `pretty-json`, which it takes with
  // `-Zunstable-options`): run plainly for the same reason, its refusal in its colours.
  if (inv.json !== undefined && inv.errorFormat !== 'json' && inv.errorFormat !== 'pretty-json') return { cacheable: false, reason: 'json-refused' };
  if (inv.unknownFlags.length > 0) return { cacheable: false, reason: `unknown-flag:${inv.unknownFlags[0]}` };
  if (inv.inputCount === 0) return { cacheable: false, reason: 'no-input' };
  if (inv.input === '-') return { cacheable: false, reason: 'stdin-input' };
  // `splitcache rustc +nightly …`: rustup's proxy takes a first argument `+<toolchain>`, which reads as an input.
  if (inv.args[0]?.startsWith('+')) return { cacheable: false, reason: 'toolchain-arg' };
  if (inv.inputCount > 1) return { cacheable: false, reason: 'multiple-inputs' };
  if (!inv.crateName) return { cacheable: false, reason: 'no-crate-name' };
  if (!inv.outDir) return { cacheable: false, reason: 'no-out-dir' };
  if (inv.outFile !== undefined) return { cacheable: false, reason: 'output-file' };
  if (inv.codegen.has('incremental')) return { cacheable: false, reason: 'incremental' };
  if (inv.codegen.has('save-temps')) return { cacheable: false, reason: 'save-temps' };
  // Split DWARF: the .dwo files -Zno-link or a lib writes beside its objects are outputs too (docs/ARCHITECTURE.md).
  const sd = inv.codegen.get('split-debuginfo');
  if (sd !== undefined && !SPLIT_DEBUGINFO.has(sd)) return { cacheable: false, reason: 'split-debuginfo' };
  // A boolean option turned off (`-Ztime-passes=no`) is as its absence (boolOptions.ts).
  const unstable = unstableInEffect(inv.unstable);
  if (unstable.some((z) => z.startsWith('no-link') || z.startsWith('link-only'))) {
    return { cacheable: false, reason: 'already-split' };
  }
  const reporting = unstable.find((z) => SELF_REPORTING_Z.test(z));
  if (reporting !== undefined) return { cacheable: false, reason: `unstable-report:${reporting.split('=')[0]}` };
  const untracked = inv.unstable.find((z) => UNTRACKED_FILE_Z.test(z));
  if (untracked !== undefined) return { cacheable: false, reason: `unstable-file:${untracked.split('=')[0]}` };
  const elsewhere = inv.unstable.find((z) => OUTPUT_ELSEWHERE_Z.test(z));
  if (elsewhere !== undefined) return { cacheable: false, reason: `unstable-output:${elsewhere.split('=')[0]}` };
  // `-Ztemps-dir` where the outputs name the split debug info it leaves there (tempsDir.ts).
  if (tempsDirNamed(inv)) return { cacheable: false, reason: 'unstable-output:temps-dir' };
  if (!inv.emitGiven) return { cacheable: false, reason: 'no-emit' };
  for (const e of inv.emit) {
    if (!EMITS.has(e.kind)) return { cacheable: false, reason: `emit:${e.kind}` };
    if (e.path !== undefined) return { cacheable: false, reason: 'emit-path' };
  }
  if (!inv.emit.some((e) => e.kind === 'dep-info')) return { cacheable: false, reason: 'no-dep-info' };

  const types = inv.test ? ['bin'] : inv.crateTypes.length > 0 ? inv.crateTypes : ['bin'];
  for (const t of types) {
    if (!LINKING_TYPES.has(t) && !WHOLE_TYPES.has(t)) return { cacheable: false, reason: `crate-type:${t}` };
  }
  const links = types.some((t) => LINKING_TYPES.has(t)) && inv.emit.some((e) => e.kind === 'link');
  // A relative out-dir puts relative object paths in the .rlink, which can't be relocated (cargo always gives an absolute one).
  if (links && !inv.outDir.startsWith('/')) return { cacheable: false, reason: 'relative-out-dir' };
  return { cacheable: true, mode: links ? 'split' : 'whole', crateType: crateTypeLabel(inv, types) };
}

/** The label stats use: test, build-script, proc-macro, bin, lib, … */
export function crateTypeLabel(inv: Invocation, types = inv.crateTypes): string {
  if (inv.test) return 'test';
  if (inv.crateName === 'build_script_build' || inv.crateName?.startsWith('build_script_')) return 'build-script';
  return types.join('+') || 'bin';
}

/**
 * Quick check the thin client makes before contacting the daemon: calls that
 * compile nothing (`-vV`, `--print …`, stdin input) go straight to rustc.
 * bin/splitcache repeats this list in sh, so that such calls start no node at
 * all: change both together.
 *
 * Two `--print` kinds are printed as the crate compiles, and rustc compiles
 * with them (`cargo rustc -- --print native-static-libs`, as rustc's own note
 * tells FFI users): such a call goes to the daemon, which runs it uncached and
 * counts it (reason `print`). Taken for a probe, it compiled on every build
 * with no word in the summary, the audit or `stats` (a helper's finding).
 */
export function isInfoCall(args: readonly string[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-' || a === '-vV' || a === '-V' || a === '--version' || a === '--help' || a === '-h') return true;
    const kind = a === '--print' ? args[++i] : a.startsWith('--print=') ? a.slice('--print='.length) : undefined;
    if (kind !== undefined && !PRINTED_AS_IT_COMPILES.test(kind)) return true;
  }
  return false;
}

/** The `--print` kinds (with or without `=PATH`) that rustc prints while it compiles the crate. */
const PRINTED_AS_IT_COMPILES = /^(native-static-libs|link-args)(=|$)/;

/**
 * A `--color` that rustc refuses: given twice, with a value other than `auto`, `always` or
 * `never`, or beside `--json`. Such a call fails whatever its key, and run plainly its refusal
 * is shown as rustc shows it (coloured, in a terminal); run cached, its stderr was a pipe and
 * the refusal came without colours (the daemon's rustc writes to a pipe: terminalArgs.ts).
 */
function refusedColour(inv: Invocation): boolean {
  const [first, ...more] = inv.colours;
  return first !== undefined && (more.length > 0 || inv.json !== undefined || !['auto', 'always', 'never'].includes(first));
}

/**
 * A `--diagnostic-width` that rustc refuses: given twice, or no number as Rust's usize parses one
 * (digits, a `+` before them, at most 2^64-1). The width is out of the key (a display option:
 * daemon/src/manifestKey.ts), so such a call hit a quiet crate's stored result and exited 0
 * where a plain rustc fails; run plainly, it fails as rustc does.
 */
function refusedWidth(inv: Invocation): boolean {
  const [first, ...more] = inv.widths;
  return first !== undefined && (more.length > 0 || !/^\+?\d+$/.test(first) || BigInt(first) > 0xffffffffffffffffn);
}
