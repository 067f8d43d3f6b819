import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { existsSync, statSync } from 'node:fs';
import { digestBytes, type Digest } from '@splitcache/hash';
import { SplitcacheError } from '@splitcache/errors';
import { rustcVersionForRlink } from '@splitcache/paths';

const run = promisify(execFile);

export interface RustcIdentity {
  /** `rustc -vV`, verbatim. */
  verbose: string;
  /** `rustc 1.95.0 (59807616e 2026-04-14)`: what an .rlink records. */
  version: string;
  /** The version as an .rlink header records it (no `rustc ` prefix). */
  rlinkVersion: string;
  host: string;
  sysroot: string;
  /** Digest of -vV plus the names and sizes of the sysroot's target libraries. */
  digest: Digest;
}

/**
 * Memoised per (rustc path, size, mtime, RUSTUP_TOOLCHAIN): two rustc runs
 * the first time a compiler is seen, none after. A rustup proxy picks its
 * toolchain from the directory too, so for a proxy the cwd joins the memo key.
 */
export class RustcIdentities {
  private readonly memo = new Map<string, Promise<RustcIdentity>>();

  async get(rustc: string, cwd: string, env: Record<string, string>): Promise<RustcIdentity> {
    // Synchronous: every call asks, and a stat is microseconds, against a thread-pool round trip.
    const st = statSync(rustc, { throwIfNoEntry: false });
    const proxy = isRustupProxy(rustc);
    const memoKey = [rustc, st?.size, st?.mtimeMs, env.RUSTUP_TOOLCHAIN ?? '', proxy ? cwd : ''].join('\0');
    let p = this.memo.get(memoKey);
    if (!p) {
      p = probe(rustc, cwd, env);
      this.memo.set(memoKey, p);
      p.catch(() => this.memo.delete(memoKey));
    }
    return p;
  }
}

function isRustupProxy(rustc: string): boolean {
  return basename(rustc) === 'rustc' && existsSync(join(dirname(rustc), 'rustup'));
}

async function probe(rustc: string, cwd: string, env: Record<string, string>): Promise<RustcIdentity> {
  const childEnv = { ...env };
  delete childEnv.RUSTC_BOOTSTRAP;
  try {
    const [vv, sr] = await Promise.all([
      run(rustc, ['-vV'], { cwd, env: childEnv }),
      run(rustc, ['--print', 'sysroot'], { cwd, env: childEnv }),
    ]);
    const verbose = vv.stdout;
    const version = verbose.split('\n')[0]!.trim();
    const host = /^host: (.+)$/m.exec(verbose)?.[1]?.trim() ?? '';
    const sysroot = sr.stdout.trim();
    const listing = await libListing(join(sysroot, 'lib', 'rustlib'));
    return { verbose, version, rlinkVersion: rustcVersionForRlink(version), host, sysroot, digest: digestBytes(verbose + '\n' + listing) };
  } catch (cause) {
    throw new SplitcacheError('SPLITCACHE_RUSTC_IDENTITY', `cannot identify rustc at ${rustc}`, { cause });
  }
}

/** Names and sizes of every target's libraries under lib/rustlib/<target>/lib. */
async function libListing(rustlib: string): Promise<string> {
  const targets = await readdir(rustlib).catch(() => [] as string[]);
  const lines: string[] = [];
  for (const t of targets.sort()) {
    const lib = join(rustlib, t, 'lib');
    const names = await readdir(lib).catch(() => [] as string[]);
    for (const n of names.sort()) {
      const s = await stat(join(lib, n)).catch(() => undefined);
      if (s?.isFile()) lines.push(`${t}/${n} ${s.size}`);
    }
  }
  return lines.join('\n');
}
