import { readFileSync } from 'node:fs';
import { SplitcacheError } from '@splitcache/errors';
import type { Invocation } from '@splitcache/rustc';
import { runRustc, type RustcIdentity } from './rustcIdentity.js';
import { namedTargetSpec } from './targetSpecFile.js';
import { inputOnDisk } from './inputPath.js';
import { callSysroot } from './customSysroot.js';

/**
 * Whether the call asks for the host's CPU: `-C target-cpu=native` (code may
 * use every instruction this CPU has) or `-Z tune-cpu=native` (scheduling
 * only), or a custom target whose spec says `"cpu": "native"` and no
 * `-C target-cpu` overrides it (by path or found by name: targetSpecFile.ts).
 * The flag's text, or the spec's bytes, are the same on every machine and the
 * output is not, so the key needs what it resolves to here. The last of
 * repeated flags wins, as in rustc. A spec found by name in a sysroot is looked for in the call's
 * `--sysroot`, as rustc and the key (manifestKey.ts) look, else in the compiler's own (`ownSysroot`):
 * read from the compiler's own alone, a custom sysroot's spec saying `native` was not seen, and the
 * result, keyed without this CPU, hit on a machine whose CPU lacks its instructions.
 */
export function asksForNativeCpu(inv: Invocation, cwd = '/', env: Record<string, string> = {}, ownSysroot = ''): boolean {
  const cpu = inv.codegen.get('target-cpu');
  if (cpu === 'native') return true;
  const tune = inv.unstable.filter((z) => z.startsWith('tune-cpu=')).pop();
  if (tune === 'tune-cpu=native') return true;
  if (cpu !== undefined || !inv.target) return false;
  const spec = inv.target.endsWith('.json') ? inputOnDisk(cwd, inv.target) : namedTargetSpec(inv.target, env, cwd, callSysroot(inv.sysroot, cwd, ownSysroot));
  if (!spec) return false;
  try {
    return (JSON.parse(readFileSync(spec, 'utf8')) as { cpu?: unknown } | null)?.cpu === 'native';
  } catch {
    return false; // the key's digest of the spec, and rustc, say what is wrong with it
  }
}

/**
 * What `native` means for one compiler and target on this machine: the CPU
 * name rustc reports for it and the target features it enables, e.g.
 * `znver5 adx,aes,avx,…`. Probed with one rustc run the first time a daemon
 * needs it, and never recorded in the store: a store dir restored onto
 * another machine (a CI cache, a copied home) must not carry this one's CPU.
 */
export class NativeCpus {
  private readonly memo = new Map<string, Promise<string>>();

  get(rustcPath: string, rustc: RustcIdentity, inv: Invocation, cwd: string, env: Record<string, string>): Promise<string> {
    const target = inv.target?.endsWith('.json') ? inputOnDisk(cwd, inv.target) : inv.target;
    // The call's --sysroot too: a target found by name there is found by the probe only with it.
    const sysroot = inv.sysroot ? inputOnDisk(cwd, inv.sysroot) : undefined;
    // The path joins the key: the same compiler run through an emulator (qemu, Rosetta) sees another CPU.
    const memoKey = [rustcPath, rustc.digest, target ?? '', sysroot ?? ''].join('\0');
    let p = this.memo.get(memoKey);
    if (!p) {
      p = probe(rustcPath, target, sysroot, cwd, env);
      this.memo.set(memoKey, p);
      p.catch(() => this.memo.delete(memoKey));
    }
    return p;
  }
}

async function probe(rustc: string, target: string | undefined, sysroot: string | undefined, cwd: string, env: Record<string, string>): Promise<string> {
  const args = ['--print', 'target-cpus', '--print', 'cfg', '-C', 'target-cpu=native', ...(target ? ['--target', target] : []), ...(sysroot ? ['--sysroot', sysroot] : [])];
  let out: string;
  try {
    out = (await runRustc(rustc, args, { cwd, env: { ...env, RUSTC_BOOTSTRAP: undefined } })).stdout;
  } catch (cause) {
    throw new SplitcacheError('SPLITCACHE_NATIVE_CPU', `cannot learn what -C target-cpu=native means here from ${rustc}`, { cause });
  }
  const resolved = parseNativeCpu(out);
  if (!resolved) throw new SplitcacheError('SPLITCACHE_NATIVE_CPU', `${rustc} reported no target features for -C target-cpu=native`);
  return resolved;
}

/**
 * `<cpu> <feature>,<feature>,…` from `rustc --print target-cpus --print cfg
 * -C target-cpu=native`. The CPU is the `native` line's "(currently …)"; a
 * target with no such line (a cross target) gets `-`. Without a single
 * target_feature line the output is not understood: undefined.
 */
export function parseNativeCpu(out: string): string | undefined {
  const cpu = /^\s*native\s.*\(currently ([^)]+)\)/m.exec(out)?.[1]?.trim() ?? '-';
  const features = [...out.matchAll(/^target_feature="([^"]+)"$/gm)].map((m) => m[1]!).sort();
  return features.length > 0 ? `${cpu} ${features.join(',')}` : undefined;
}
