import type { Invocation } from './invocation.js';
import { outputStem } from './invocation.js';

/**
 * Arguments for the two halves of a linking crate. Both run with
 * RUSTC_BOOTSTRAP=1, which switches the default symbol mangling to v0; the
 * stable default (legacy) is pinned unless the user chose a version, so the
 * split build is byte-identical to a plain one.
 */
export interface SplitPlan {
  noLinkArgs: string[];
  linkOnlyArgs: string[];
  /** Where -Zno-link writes the .rlink (the -Zlink-only input). */
  rlinkPath: string;
}

export function manglingPin(inv: Invocation): string[] {
  if (inv.codegen.has('symbol-mangling-version')) return [];
  const unstableOpts = inv.unstable.includes('unstable-options') ? [] : ['-Zunstable-options'];
  return [...unstableOpts, '-C', 'symbol-mangling-version=legacy'];
}

export function splitPlan(inv: Invocation): SplitPlan {
  const pin = manglingPin(inv);
  const rlinkPath = `${inv.outDir}/${outputStem(inv)}.rlink`;
  const withoutInput = inv.args.filter((_, i) => i !== inv.inputIndex);
  return {
    noLinkArgs: [...inv.args, '-Zno-link', ...pin],
    linkOnlyArgs: [...withoutInput, '-Zlink-only', ...pin, rlinkPath],
    rlinkPath,
  };
}

/** The files a whole-cached (non-linking) crate writes into its out-dir. */
export function wholeOutputs(inv: Invocation): string[] {
  const stem = outputStem(inv);
  const out: string[] = [];
  const types = inv.crateTypes.length > 0 ? inv.crateTypes : ['lib'];
  for (const e of inv.emit) {
    if (e.kind === 'dep-info') out.push(`${stem}.d`);
    else if (e.kind === 'metadata') out.push(`lib${stem}.rmeta`);
    else if (e.kind === 'link') {
      for (const t of types) {
        if (t === 'lib' || t === 'rlib') out.push(`lib${stem}.rlib`);
        else if (t === 'staticlib') out.push(`lib${stem}.a`);
      }
    }
  }
  return [...new Set(out)];
}

/** The files -Zno-link writes besides the objects (which the .rlink names). */
export function noLinkOutputs(inv: Invocation): string[] {
  const stem = outputStem(inv);
  const out = [`${stem}.rlink`];
  for (const e of inv.emit) {
    if (e.kind === 'dep-info') out.push(`${stem}.d`);
    else if (e.kind === 'metadata') out.push(`lib${stem}.rmeta`);
  }
  return out;
}
