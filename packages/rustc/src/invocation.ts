/**
 * The rustc command line as a typed value. Pure: no I/O.
 *
 * Only the flags splitcache needs to reason about get fields; every argument
 * is kept verbatim in `args` (and goes into the key normalised), so an
 * unmodelled-but-known flag still changes the key.
 */
import { spelledOff } from './boolOptions.js';

export interface Extern {
  name: string;
  path?: string;
}

export interface LibPath {
  kind: string; // 'all' when no kind rustc knows (native, crate, dependency, framework, all) comes first
  path: string;
}

export interface NativeLib {
  kind: string; // 'static', 'dylib', 'framework', or '' when unspecified
  name: string;
  /** `+verbatim` among its modifiers: `name` is the file's whole name (`libnat.a`), not `lib<name>.a`. */
  verbatim?: boolean;
  /** `-bundle` among its modifiers: an rlib or staticlib leaves the library out, for the final link to find. */
  unbundled?: boolean;
}

export interface Invocation {
  /** The arguments after the rustc path, verbatim. */
  args: string[];
  /** Index in `args` of the source file (the one positional argument). */
  inputIndex: number;
  input?: string;
  inputCount: number;
  crateName?: string;
  crateTypes: string[];
  test: boolean;
  emit: { kind: string; path?: string }[];
  emitGiven: boolean;
  outDir?: string;
  outFile?: string;
  codegen: Map<string, string>;
  unstable: string[];
  externs: Extern[];
  libPaths: LibPath[];
  nativeLibs: NativeLib[];
  target?: string;
  sysroot?: string;
  print: string[];
  /** `--explain CODE`: rustc prints the code's text and compiles nothing. */
  explain?: string;
  argfiles: string[];
  unknownFlags: string[];
  remapPathPrefix: string[];
  /** `--env-set NAME=VALUE` (nightly): the values env!() reads before the process environment. */
  envSet: [string, string][];
  errorFormat?: string;
  json?: string;
  /** Each `--color` value, in order (rustc refuses more than one). */
  colours: string[];
  /** Each `--diagnostic-width` value, in order (rustc refuses more than one). */
  widths: string[];
}

/** Flags that take a value, as `--flag value` or `--flag=value` (long) / `-Xvalue` (short). */
const VALUE_FLAGS = new Set([
  '--crate-name', '--crate-type', '--edition', '--emit', '--print', '--out-dir', '-o', '--explain',
  '--target', '--cap-lints', '--cfg', '--check-cfg', '-L', '-l', '-C', '--codegen', '-W', '--warn',
  '-A', '--allow', '-D', '--deny', '-F', '--forbid', '--force-warn', '--extern', '--sysroot',
  '--error-format', '--json', '--color', '--diagnostic-width', '--remap-path-prefix', '--env-set',
  '--crate-attr', '-Z', '--cfg-check', '--extern-location', '--target-dir', '--remap-path-scope',
]);
const BOOL_FLAGS = new Set(['--test', '-g', '-O', '-v', '--verbose', '-V', '--version', '-h', '--help', '--bench']);
const SHORT_WITH_VALUE = ['-C', '-L', '-l', '-W', '-A', '-D', '-F', '-Z', '-o'];

/** Splits one argv element (and maybe the next) into flag and value. */
function splitFlag(args: string[], i: number): { flag: string; value?: string; next: number } {
  const a = args[i]!;
  if (a.startsWith('--')) {
    const eq = a.indexOf('=');
    if (eq > 0) return { flag: a.slice(0, eq), value: a.slice(eq + 1), next: i + 1 };
    if (VALUE_FLAGS.has(a)) return { flag: a, value: args[i + 1], next: i + 2 };
    return { flag: a, next: i + 1 };
  }
  for (const s of SHORT_WITH_VALUE) {
    if (a === s) return { flag: s, value: args[i + 1], next: i + 2 };
    if (a.startsWith(s)) return { flag: s, value: a.slice(s.length), next: i + 1 };
  }
  return { flag: a, next: i + 1 };
}

export function parseInvocation(args: readonly string[]): Invocation {
  const inv: Invocation = {
    args: [...args], inputIndex: -1, inputCount: 0, crateTypes: [], test: false, emit: [], emitGiven: false,
    codegen: new Map(), unstable: [], externs: [], libPaths: [], nativeLibs: [], print: [], argfiles: [],
    unknownFlags: [], remapPathPrefix: [], envSet: [], colours: [], widths: [],
  };
  const a = inv.args;
  // rustc expands every argument that starts with `@` into its file's lines before it reads an option, a
  // flag's value too: `--cfg @cfg.txt` is the file's cfg. Taken for the value, the call was keyed by the
  // text `@cfg.txt`, and after the file changed it hit with the other cfg's binary (a mutation audit's).
  inv.argfiles.push(...a.filter((arg) => arg.startsWith('@')).map((arg) => arg.slice(1)));
  let i = 0;
  while (i < a.length) {
    const arg = a[i]!;
    if (arg.startsWith('@')) {
      i++;
      continue;
    }
    if (arg === '-' || !arg.startsWith('-')) {
      inv.inputCount++;
      if (inv.inputIndex < 0) {
        inv.inputIndex = i;
        inv.input = arg;
      }
      i++;
      continue;
    }
    const { flag, value, next } = splitFlag(a, i);
    i = next;
    if (!VALUE_FLAGS.has(flag) && !BOOL_FLAGS.has(flag)) {
      inv.unknownFlags.push(flag);
      continue;
    }
    if (VALUE_FLAGS.has(flag) && value === undefined) {
      inv.unknownFlags.push(`${flag} (missing value)`);
      continue;
    }
    applyFlag(inv, flag, value ?? '');
  }
  return inv;
}

function applyFlag(inv: Invocation, flag: string, v: string): void {
  switch (flag) {
    case '--crate-name': inv.crateName = v; break;
    case '--crate-type': inv.crateTypes.push(...v.split(',').filter(Boolean)); break;
    case '--test': inv.test = true; break;
    case '--emit':
      inv.emitGiven = true;
      for (const e of v.split(',').filter(Boolean)) {
        const eq = e.indexOf('=');
        inv.emit.push(eq < 0 ? { kind: e } : { kind: e.slice(0, eq), path: e.slice(eq + 1) });
      }
      break;
    case '--out-dir': inv.outDir = v; break;
    case '-o': inv.outFile = v; break;
    case '-C': case '--codegen': {
      const o = optionSpelled(v);
      const eq = o.indexOf('=');
      inv.codegen.set(eq < 0 ? o : o.slice(0, eq), eq < 0 ? '' : o.slice(eq + 1));
      break;
    }
    case '-Z': inv.unstable.push(optionSpelled(v)); break;
    case '--extern': {
      const eq = v.indexOf('=');
      const name = (eq < 0 ? v : v.slice(0, eq)).replace(/^[a-z-]+:/, '');
      inv.externs.push(eq < 0 ? { name } : { name, path: v.slice(eq + 1) });
      break;
    }
    case '-L': {
      const kind = libPathKind(v);
      inv.libPaths.push(kind ? { kind, path: v.slice(kind.length + 1) } : { kind: 'all', path: v });
      break;
    }
    case '-l': {
      const eq = v.indexOf('=');
      const [kind = '', modifiers = ''] = eq < 0 ? [] : v.slice(0, eq).split(':');
      const name = (eq < 0 ? v : v.slice(eq + 1)).split(':')[0]!;
      const mods = modifiers.split(',');
      inv.nativeLibs.push({ kind, name, ...(mods.includes('+verbatim') && { verbatim: true }), ...(mods.includes('-bundle') && { unbundled: true }) });
      break;
    }
    case '--target': inv.target = v; break;
    case '--sysroot': inv.sysroot = v; break;
    case '--print': inv.print.push(v); break;
    case '--explain': inv.explain = v; break;
    case '--remap-path-prefix': inv.remapPathPrefix.push(v); break;
    case '--env-set': {
      const eq = v.indexOf('=');
      if (eq > 0) inv.envSet.push([v.slice(0, eq), v.slice(eq + 1)]);
      break;
    }
    case '--error-format': inv.errorFormat = v; break;
    case '--json': inv.json = v; break;
    case '--color': inv.colours.push(v); break;
    case '--diagnostic-width': inv.widths.push(v); break;
    case '-V': case '--version': case '-h': case '--help': inv.print.push(flag); break;
    default: break;
  }
}

/**
 * The kind an `-L` value names, as rustc reads it: one only where one it knows comes first
 * (`native=`, `crate=`, `dependency=`, `framework=`, `all=`), else none, and the whole value is
 * the dir, of kind all: `-L /w/a=b` is the dir `/w/a=b`, `-L other=/o` the dir `other=/o`.
 */
export function libPathKind(v: string): string | undefined {
  return /^(native|crate|dependency|framework|all)=/.exec(v)?.[1];
}

/**
 * A `-C` or `-Z` option with its name as it is looked up here: rustc reads `_` in a name as `-`
 * (`-C target_cpu=native` is `-C target-cpu=native`). Looked up only by the dashed name, an
 * underscore spelling went unseen: `target_cpu=native` was keyed without the CPU it meant, and a
 * runner of another CPU got a binary that died with SIGILL; `instrument_coverage`,
 * `profile_generate` and `split_debuginfo` hit other checkouts' or target dirs' entries, and
 * `symbol_mangling_version=v0` was overridden by the split's legacy pin (a hunting helper's repros).
 * The value is left as given.
 */
export function optionSpelled(v: string): string {
  const eq = v.indexOf('=');
  return eq < 0 ? v.replaceAll('_', '-') : v.slice(0, eq).replaceAll('_', '-') + v.slice(eq);
}

/** The file-name stem rustc gives this crate's outputs: crate name plus `-C extra-filename`. */
export function outputStem(inv: Invocation): string {
  return `${inv.crateName ?? ''}${inv.codegen.get('extra-filename') ?? ''}`;
}

/**
 * Whether `-C instrument-coverage` is on: given bare or with any value but
 * the spellings rustc reads as off (`no`, `n`, `off`, `false`, and for this
 * option `0` too, which stable rustc still takes: 1.95 and nightly 1.97).
 * Read as on, `=0` lost the split's legacy-mangling pin, and the binary had
 * v0 symbols where a plain build's are legacy.
 */
export function instrumentsCoverage(inv: Invocation): boolean {
  const v = inv.codegen.get('instrument-coverage');
  return v !== undefined && v !== '0' && !spelledOff(v);
}
