import type { Invocation } from './invocation.js';
import { instrumentsCoverage, optionSpelled, outputStem, parseInvocation } from './invocation.js';
import { withoutTempsDir } from './tempsDir.js';

/**
 * Arguments for the two halves of a linking crate. Both run with
 * RUSTC_BOOTSTRAP=1, which makes rustc mangle symbols with v0 by default.
 * Where a plain call of the same rustc would mangle with legacy (see
 * plainMangling), legacy is pinned, unless the user chose a version, so the
 * split build is byte-identical to a plain one.
 */
export interface SplitPlan {
  noLinkArgs: string[];
  linkOnlyArgs: string[];
  /** Where -Zno-link writes the .rlink (the -Zlink-only input). */
  rlinkPath: string;
}

/**
 * The symbol mangling a plain call mangles with when the command line names
 * none, checked against rustc 1.95 stable and a 1.97 nightly: v0 on a nightly
 * (or dev) toolchain whatever RUSTC_BOOTSTRAP says, and on any other with
 * RUSTC_BOOTSTRAP=1 or with RUSTC_BOOTSTRAP naming the crate (`app,other` for
 * `app`); legacy otherwise (naming other crates leaves it legacy). `release`
 * is the `release:` line of `rustc -vV`. Before, a list naming the crate was
 * taken for legacy, and the split pinned it where a plain call mangles with v0.
 */
export function plainMangling(release: string, bootstrap: string | undefined, crateName?: string): 'legacy' | 'v0' {
  if (isNightlyRelease(release)) return 'v0';
  if (bootstrap === '1') return 'v0';
  return bootstrap !== undefined && crateName !== undefined && bootstrap.split(',').includes(crateName) ? 'v0' : 'legacy';
}

/**
 * Whether a plain call may use `#![feature]` (and -Z flags), as rustc decides
 * it from RUSTC_BOOTSTRAP and the crate's name: `1` allows, `-1` refuses even
 * on a nightly, a comma-separated list allows the crates it names, and
 * otherwise only a nightly (or dev) toolchain allows.
 */
export function plainAllowsFeatures(release: string, bootstrap: string | undefined, crateName: string | undefined): boolean {
  if (bootstrap === '1') return true;
  if (bootstrap === '-1') return false;
  if (bootstrap !== undefined && crateName !== undefined && bootstrap.split(',').includes(crateName)) return true;
  return isNightlyRelease(release);
}

/**
 * The RUSTC_BOOTSTRAP a compile of crate `crateName` acts on, as rustc reads the variable (its
 * `--crate-name`, checked against rustc 1.95 stable and a 1.97 nightly): `1`, or a comma-separated
 * list naming the crate, acts as `1`; a list naming only other crates (or any other value) acts as
 * unset; `-1` refuses unstable features, which a stable or beta toolchain refuses unset too, so it
 * acts as unset there and as `-1` only on a nightly or dev one. Undefined: as unset. What the
 * daemon keys (item 5): `RUSTC_BOOTSTRAP=app cargo build` shares every other crate's entries with
 * a plain build, and app's with a `RUSTC_BOOTSTRAP=1` one; by the raw value, every crate missed.
 */
export function bootstrapActingAs(release: string, bootstrap: string | undefined, crateName: string | undefined): '1' | '-1' | undefined {
  if (bootstrap === '1' || (bootstrap !== undefined && crateName !== undefined && bootstrap.split(',').includes(crateName))) return '1';
  return bootstrap === '-1' && isNightlyRelease(release) ? '-1' : undefined;
}

/** Whether a `release:` line of `rustc -vV` is a nightly's or a dev build's: unstable features on by default. */
export function isNightlyRelease(release: string): boolean {
  return /-(nightly|dev)\b/.test(release);
}

/**
 * What the -Zno-link half adds where a plain call would refuse `#![feature]`:
 * an empty -Zallow-features list, so a crate that a plain stable build
 * rejects is rejected here too (E0725 where the plain call says E0554),
 * instead of compiling because the half runs with RUSTC_BOOTSTRAP=1.
 */
export function featureFence(inv: Invocation, plainAllows: boolean): string[] {
  if (plainAllows || inv.unstable.some((z) => z.startsWith('allow-features'))) return [];
  return ['-Zallow-features='];
}

/**
 * What a split half adds to keep the plain call's mangling: nothing when the
 * user chose one or the default is v0. `-C instrument-coverage` makes v0 the
 * default on any toolchain (rustc warns if legacy is asked for with it).
 */
export function manglingPin(inv: Invocation, plain: 'legacy' | 'v0'): string[] {
  if (plain === 'v0' || inv.codegen.has('symbol-mangling-version') || instrumentsCoverage(inv)) return [];
  const unstableOpts = inv.unstable.includes('unstable-options') ? [] : ['-Zunstable-options'];
  return [...unstableOpts, '-C', 'symbol-mangling-version=legacy'];
}

/**
 * What keeps the link half from saying again what the `-Zno-link` half said: a warning about the
 * session's options (an unknown `-C target-feature`, `-C soft-float` off its targets) is given by
 * every rustc run of the call, so a split call printed it twice, and a hit replayed one beside the
 * link's (an options audit's). `-A warnings` silences the link's warnings; its errors stay. The one
 * warning a link gives itself, the linker's output (`linker_messages`, allowed unless asked for),
 * would go too: `quiet` is false where the call may ask for it (its arguments or its root source
 * name the lint: the daemon reads them, linkerMessages.ts; a review's repro, a
 * `#![warn(linker_messages)]` whose linker warning a split call lost).
 */
function quietLink(quiet: boolean): string[] {
  return quiet ? ['-A', 'warnings'] : [];
}

/**
 * `-C` options the link half goes without: `-C remark`, whose warning without debuginfo
 * (`-C remark requires "-C debuginfo=n"`) comes as rustc reads its options, before `-A warnings`
 * holds, so the link said it a second time (the remarks themselves come from LLVM's passes, in the
 * `-Zno-link` half); and the deprecated ones that do nothing and say so the same way (a review's).
 */
const NOT_FOR_LINK = /^(remark|ar|inline-threshold|no-stack-check)(=|$)/;

/** The call's arguments for its link half: all but its input and NOT_FOR_LINK's options. */
function linkHalfArgs(inv: Invocation): string[] {
  const dropped = (o: string | undefined) => o !== undefined && NOT_FOR_LINK.test(optionSpelled(o));
  const out: string[] = [];
  for (let i = 0; i < inv.args.length; i++) {
    const a = inv.args[i]!;
    if (i === inv.inputIndex) continue;
    if ((a === '-C' || a === '--codegen') && dropped(inv.args[i + 1])) i++;
    else if (!(a.startsWith('-C') && dropped(a.slice(2))) && !(a.startsWith('--codegen=') && dropped(a.slice(10)))) out.push(a);
  }
  return out;
}

/**
 * The split of `inv`, for a rustc whose plain calls mangle with `plain`
 * (plainMangling) and may or may not use `#![feature]` (plainAllowsFeatures);
 * `quiet`: the link half's warnings are all said by the other half (quietLink).
 */
export function splitPlan(inv: Invocation, plain: 'legacy' | 'v0', plainAllows = true, quiet = false): SplitPlan {
  const pin = manglingPin(inv, plain);
  const rlinkPath = `${inv.outDir}/${outputStem(inv)}.rlink`;
  const withoutInput = linkHalfArgs(inv);
  return {
    // Its objects in the out dir, where the store takes them from (tempsDir.ts).
    noLinkArgs: [...withoutTempsDir(inv.args), '-Zno-link', ...pin, ...featureFence(inv, plainAllows)],
    linkOnlyArgs: [...withoutInput, '-Zlink-only', ...pin, ...quietLink(quiet), rlinkPath],
    rlinkPath,
  };
}

/**
 * The link half for the -Zno-link call that already ran with `noLinkArgs`
 * (its mangling pin, if any, is among them): for a client whose daemon went
 * away before it answered with the link step. `lead`: what came before
 * rustc's arguments in that run (a driver's rustc path, driver.ts), kept
 * before the link's too. Not quiet: the source that may ask for the linker's
 * warnings is not read here.
 */
export function linkHalfOf(noLinkArgs: string[], lead: readonly string[] = []): Pick<SplitPlan, 'linkOnlyArgs' | 'rlinkPath'> {
  // 'v0' (and features allowed) makes splitPlan add no pin of its own: the one that ran, if any, is already in noLinkArgs.
  const own = noLinkArgs.slice(lead.length).filter((a) => a !== '-Zno-link');
  const { linkOnlyArgs, rlinkPath } = splitPlan(parseInvocation(own), 'v0');
  return { linkOnlyArgs: [...lead, ...linkOnlyArgs], rlinkPath };
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
