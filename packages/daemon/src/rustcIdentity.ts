import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { existsSync, readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { digestBytes, digestFileSync, type Digest } from '@splitcache/hash';
import { oneLine, SplitcacheError } from '@splitcache/errors';
import { rustcVersionForRlink } from '@splitcache/paths';
import { RlinkSupport } from './rlinkSupport.js';
import { driverOf, isNightlyRelease } from '@splitcache/rustc';
import { compilerFile } from './compilerFile.js';
import { driverNames, driverStamp, listDir, toolchainStamp } from './toolchainStamp.js';
import { statOf } from './isFile.js';

/**
 * Runs rustc to learn its identity. node:child_process is loaded on first use:
 * a daemon that finds the identity recorded in the store never needs it, and
 * loading it was ~7 ms of every daemon start.
 */
export const runRustc = (file: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }) =>
  promisify(process.getBuiltinModule('node:child_process').execFile)(file, args, options);

export interface RustcIdentity {
  /** `rustc -vV`, verbatim. */
  verbose: string;
  /** `rustc 1.95.0 (59807616e 2026-04-14)`: what an .rlink records. */
  version: string;
  /** The version as an .rlink header records it (no `rustc ` prefix). */
  rlinkVersion: string;
  host: string;
  /** The `release:` line of -vV (`1.95.0`, `1.97.0-nightly`): the channel decides the default symbol mangling. */
  release: string;
  sysroot: string;
  /** Digest of -vV, the compiler file's own bytes (compilerBytes) and unstableAlways. */
  digest: Digest;
  /**
   * Whether the compiler takes `#![feature]` and -Z flags with no RUSTC_BOOTSTRAP in its
   * environment although its release is a stable one: a `RUSTC` script that sets
   * RUSTC_BOOTSTRAP=1 itself (gatedCfgsShown). A plain call of it then mangles with v0 and
   * compiles a crate that uses features, so the split halves must too.
   */
  unstableAlways: boolean;
  /**
   * Per target (the dir name under lib/rustlib), the digest of the names and sizes of its
   * libraries in the sysroot. A call's key holds only its own target's (manifestKey.ts):
   * `rustup target add wasm32-unknown-unknown` adds a target's libraries to the sysroot, and
   * when the whole listing was part of the identity, every host crate missed after it, and
   * machines with different targets installed shared nothing.
   */
  targetLibs: Record<string, Digest>;
}

/** Where identities outlive the daemon: the store's metadata records. */
export interface IdentityRecords {
  getMeta<T>(name: string): Promise<T | undefined>;
  putMeta(name: string, value: unknown): Promise<void>;
}

/** What is kept of an identity between daemons, and what must still hold to reuse it. */
interface Recorded {
  v: 1;
  verbose: string;
  sysroot: string;
  /** Digest of the sysroot's target-library listing (names and sizes). */
  listing: Digest;
  /** Names, sizes and mtimes of the sysroot's librustc_driver files. */
  driver: string;
  /** The compiler file's own bytes (compilerBytes), as they were at this path, size and mtime. */
  compiler: string;
  unstableAlways: boolean;
}

/**
 * Memoised per (rustc path, size, mtime, RUSTUP_TOOLCHAIN): two rustc runs
 * the first time a compiler is seen, none after. A rustup proxy picks its
 * toolchain from the directory too, so for a proxy the cwd joins the memo key.
 * Each call checks the memoised identity against a few stats of the toolchain
 * (toolchainStamp.ts), since what a path or a name runs can change under it.
 *
 * With `records`, an identity also outlives the daemon (as in ccache's default
 * compiler check, by the compiler's size and mtime): a daemon started by a
 * new build would otherwise run rustc twice before its first answer, 10-40 ms
 * on the critical path. A recorded identity is reused only while the
 * sysroot's target libraries and librustc_driver are still the ones recorded;
 * a rustup proxy's never is (`rustup default` changes what it runs, not its
 * stamp).
 */
export class RustcIdentities {
  /**
   * Kept in the order of last use, and at most `maxMemo` long: a rustup proxy's key holds the
   * call's cwd (each crate's directory, in each checkout and CARGO_HOME), so a daemon that lives
   * for weeks of builds in new directories would otherwise keep one identity for every one.
   */
  private readonly memo = new Map<string, Promise<RustcIdentity>>();
  private readonly proxies = new Map<string, boolean>();
  /** Per memo key, the sysroot of the identity had and the toolchain's stamp then. */
  private readonly stamps = new Map<string, { sysroot: string; drivers: string[]; targets: string[]; stamp: string }>();
  /** Memo keys whose next identity is probed, not recalled from the store (forget). */
  private readonly unrecalled = new Set<string>();
  /** Which of these compilers write an `.rlink` this version reads (rlinkSupport.ts). */
  readonly rlinks = new RlinkSupport();

  constructor(private readonly records?: IdentityRecords, private readonly maxMemo = 512) {}

  /** How many identities are memoised (for tests: it stays within `maxMemo`). */
  get memoSize(): number {
    return this.memo.size;
  }

  async get(rustc: string, cwd: string, env: Record<string, string>): Promise<RustcIdentity> {
    const key = this.keyOf(rustc, cwd, env);
    let p = this.memo.get(key.memoKey);
    const had = this.stamps.get(key.memoKey);
    if (p && had && toolchainStamp(had.sysroot, had.drivers, cwd, env, key.proxy, had.targets) !== had.stamp) {
      // What it runs has changed under the same name (toolchainStamp.ts): probed again.
      this.memo.delete(key.memoKey);
      p = undefined;
    }
    if (!p) {
      const recordName = this.recordName(key);
      const recalled = this.unrecalled.delete(key.memoKey) ? Promise.resolve(undefined) : this.recall(recordName);
      p = recalled.then((id) => id ?? this.probeAndRecord(rustc, cwd, env, recordName));
      this.remember(key, p, cwd, env);
    } else {
      // Used now: moved to the end, so the directories of the builds that go on are the last to be let go.
      this.memo.delete(key.memoKey);
      this.memo.set(key.memoKey, p);
    }
    return p;
  }

  /**
   * Forgets `id`, memoised for this compiler, once a call's outputs said another rustc wrote them
   * (unlikePlainRun.ts: a RUSTC script whose toolchain link was moved): the next call probes the
   * compiler again and records what it finds, where the record, whose stamps still held, would
   * have given `id` back. Nothing if the memo has moved on since.
   */
  async forget(rustc: string, cwd: string, env: Record<string, string>, id: RustcIdentity): Promise<void> {
    const key = this.keyOf(rustc, cwd, env);
    const p = this.memo.get(key.memoKey);
    if (!p || (await p.catch(() => undefined)) !== id || this.memo.get(key.memoKey) !== p) return;
    this.memo.delete(key.memoKey);
    this.stamps.delete(key.memoKey);
    this.unrecalled.add(key.memoKey);
  }

  /**
   * Takes a probe started before the store was open (see startProbe), for
   * the first call's rustc in a new store, where nothing can be recorded yet:
   * that call finds its identity under way instead of starting the probe then.
   */
  adopt(rustc: string, cwd: string, env: Record<string, string>, early: Promise<ProbeOutput>): void {
    const key = this.keyOf(rustc, cwd, env);
    if (this.memo.has(key.memoKey)) return;
    // Should it fail, the call that waits on it runs a probe of its own (whose failure it reports).
    const probed = early.catch(() => startProbe(rustc, cwd, env));
    this.remember(key, probed.then((out) => this.record(identityFrom(out), this.recordName(key))), cwd, env);
  }

  /**
   * Looks up an identity ahead of the first call that needs it: the daemon's
   * starter names that call's rustc (main.ts), so the call doesn't list the
   * sysroot (or probe a new rustc) on its critical path. Not for a rustup
   * proxy, whose identity depends on the cwd of the call.
   */
  warm(rustc: string, cwd: string, env: Record<string, string>): void {
    if (this.keyOf(rustc, cwd, env).recordable) this.get(rustc, cwd, env).catch(() => undefined); // a failure is the call's to report
  }

  // Synchronous: every call asks, and a stat is microseconds, against a thread-pool round trip.
  private keyOf(rustc: string, cwd: string, env: Record<string, string>): { memoKey: string; recordable: boolean; proxy: boolean } {
    const file = compilerFile(rustc, cwd, env.PATH);
    const st = statSync(file, { throwIfNoEntry: false });
    // Whether it is a rustup proxy is looked up again only when the file at that path changes.
    const stamp = `${file}\0${st?.size}\0${st?.mtimeMs}`;
    let proxy = this.proxies.get(stamp);
    if (proxy === undefined) {
      if (this.proxies.size > 1000) this.proxies.clear();
      this.proxies.set(stamp, (proxy = isRustupProxy(file)));
    }
    // For a rustc that exists, the string the key always was ([rustc, size, mtime, toolchain, cwd] joined), so recorded identities keep their names.
    const memoKey = `${stamp}\0${env.RUSTUP_TOOLCHAIN ?? ''}\0${proxy ? cwd : ''}`;
    return { memoKey, recordable: Boolean(this.records && st && !proxy), proxy };
  }

  /** Where an identity is recorded in the store; none for a rustup proxy (or without records). Only on a memo miss. */
  private recordName(key: { memoKey: string; recordable: boolean }): string | undefined {
    return key.recordable ? `rustc!${digestBytes(key.memoKey)}` : undefined;
  }

  /** Memoises `p`, and once it has the identity, the toolchain's stamp to check it against (toolchainStamp.ts). */
  private remember(key: { memoKey: string; proxy: boolean }, p: Promise<RustcIdentity>, cwd: string, env: Record<string, string>): void {
    this.memo.set(key.memoKey, p);
    this.stamps.delete(key.memoKey);
    for (const oldest of this.memo.keys()) {
      if (this.memo.size <= this.maxMemo) break;
      this.memo.delete(oldest);
      this.stamps.delete(oldest);
    }
    p.then(
      (id) => {
        if (this.memo.get(key.memoKey) !== p) return;
        const drivers = driverNames(id.sysroot);
        const targets = Object.keys(id.targetLibs);
        this.stamps.set(key.memoKey, { sysroot: id.sysroot, drivers, targets, stamp: toolchainStamp(id.sysroot, drivers, cwd, env, key.proxy, targets) });
      },
      () => {
        if (this.memo.get(key.memoKey) === p) this.memo.delete(key.memoKey);
      },
    );
  }

  private async recall(name: string | undefined): Promise<RustcIdentity | undefined> {
    if (!name) return undefined;
    const r = await this.records!.getMeta<Recorded>(name).catch(() => undefined);
    // A record without the compiler's bytes or unstableAlways is from before they were part of the identity: probed again.
    if (r?.v !== 1 || typeof r.verbose !== 'string' || typeof r.sysroot !== 'string' || typeof r.compiler !== 'string' || typeof r.unstableAlways !== 'boolean') return undefined;
    const listing = libListing(join(r.sysroot, 'lib', 'rustlib'));
    if (digestBytes(listing) !== r.listing || driverStamp(r.sysroot) !== r.driver) return undefined;
    return identityOf(r.verbose, r.sysroot, listing, r.compiler, r.unstableAlways);
  }

  private async probeAndRecord(rustc: string, cwd: string, env: Record<string, string>, name: string | undefined): Promise<RustcIdentity> {
    return this.record(identityFrom(await startProbe(rustc, cwd, env)), name);
  }

  private async record({ id, listing, compiler }: { id: RustcIdentity; listing: string; compiler: string }, name: string | undefined): Promise<RustcIdentity> {
    if (name) {
      const rec: Recorded = { v: 1, verbose: id.verbose, sysroot: id.sysroot, listing: digestBytes(listing), driver: driverStamp(id.sysroot), compiler, unstableAlways: id.unstableAlways };
      await this.records!.putMeta(name, rec).catch(() => undefined); // a lost record costs the next daemon a rustc run
    }
    return id;
  }
}

/** rustup's `rustc` (or `clippy-driver`) in ~/.cargo/bin: it runs whichever toolchain applies. */
function isRustupProxy(rustc: string): boolean {
  const name = basename(rustc);
  if (name !== 'rustc' && name !== driverOf(rustc)) return false;
  if (existsSync(`${dirname(rustc)}/rustup`)) return true; // beside it as the kernel finds it (`cur/../bin`: inputPath.ts)
  // A link to rustup from elsewhere (`/usr/local/bin/rustc -> ~/.cargo/bin/rustup`, as some images
  // and dotfiles make it): taken for a compiler of its own, its identity was the first call's
  // toolchain for every call, whatever toolchain file or `rustup default` applied to the others.
  try {
    return /^rustup(-init)?$/.test(basename(realpathSync(rustc)));
  } catch {
    return false;
  }
}

/** What a probe learns from rustc; turned into an identity once the hasher is loaded. */
export interface ProbeOutput {
  verbose: string;
  sysroot: string;
  /** The file whose bytes join the identity (compilerBytes): the compiler as named, none for a rustup proxy. */
  compiler?: string;
  /** Whether its `--print cfg` showed cfgs only a nightly (or RUSTC_BOOTSTRAP) shows: gatedCfgsShown. */
  unstableAlways?: boolean;
}

/**
 * Runs rustc to learn what it is: `rustc -vV`, and its sysroot. The sysroot
 * is where rustc finds its own libraries from its own path, `<sysroot>/bin/rustc`
 * beside `<sysroot>/lib/rustlib` (a rustup toolchain, /usr for Debian's), so
 * where that layout is there, no second rustc run (`--print sysroot`, ~60 ms
 * of CPU here) is needed. A rustup proxy, or any other layout, is asked.
 * A driver (clippy-driver) answers `-vV` as the rustc it is built on, so its
 * own `--version` is added to that text. Needs no hasher: the daemon starts
 * it before loading one (main.ts).
 */
export async function startProbe(rustc: string, cwd: string, env: Record<string, string>): Promise<ProbeOutput> {
  const childEnv = { ...env };
  delete childEnv.RUSTC_BOOTSTRAP;
  // It rewrites -vV's release line (a stable compiler says 1.95.0-nightly) and nothing else: the
  // .rlink header, the channel and the mangling stay the compiler's own, and the identity is recorded
  // for every later call, which may not set it. The calls that set it key it (manifestKey.ts).
  delete childEnv.RUSTC_OVERRIDE_VERSION_STRING;
  const file = compilerFile(rustc, cwd, env.PATH); // a bare name found as the call would find it
  try {
    const proxy = isRustupProxy(file);
    const beside = proxy ? undefined : sysrootBeside(file);
    const [vv, [sysroot, unstableAlways], driver] = await Promise.all([
      runRustc(file, ['-vV'], { cwd, env: childEnv }),
      // The sysroot, and (in the same run) whether this compiler is one that allows unstable features on its own.
      beside !== undefined
        ? [beside, false]
        : runRustc(file, ['--print', 'sysroot', '--print', 'cfg'], { cwd, env: childEnv }).then((r): [string, boolean] => {
            const [root = '', ...cfg] = r.stdout.split('\n');
            return [root.trim(), gatedCfgsShown(cfg)];
          }),
      driverOf(file) ? runRustc(file, ['--version'], { cwd, env: childEnv }).then((r) => `driver: ${r.stdout.trim()}\n`) : '',
    ]);
    return { verbose: vv.stdout + driver, sysroot, compiler: proxy ? undefined : file, unstableAlways };
  } catch (cause) {
    throw new SplitcacheError('SPLITCACHE_RUSTC_IDENTITY', `cannot identify rustc at ${rustc}: ${whyProbeFailed(cause)}`, { cause });
  }
}

/**
 * What went wrong in a probe, for its one line: the command and its exit with the first line it
 * printed on stderr, or the system's error. Before, the line said only `cannot identify rustc at
 * <path>`, and a developer had nothing to go on (rustc's own complaint went unshown).
 */
export function whyProbeFailed(cause: unknown): string {
  const e = cause as { cmd?: string; code?: unknown; signal?: string | null; stderr?: string; message?: string };
  const said = String(e?.stderr ?? '').split('\n').map((l) => l.trim()).find(Boolean)?.slice(0, 200);
  if (typeof e?.cmd === 'string') {
    const how = typeof e.code === 'number' ? `exited ${e.code}` : e.signal ? `was killed by ${e.signal}` : typeof e.code === 'string' ? `failed: ${e.code}` : 'failed';
    return `\`${e.cmd}\` ${how}${said ? ` (${said})` : ''}`;
  }
  return oneLine(cause);
}

/** `<dir>/..` for a rustc at `<dir>/rustc` (links resolved) when `<dir>/../lib/rustlib` exists. */
function sysrootBeside(rustc: string): string | undefined {
  try {
    const root = dirname(dirname(realpathSync(rustc)));
    return statSync(join(root, 'lib', 'rustlib')).isDirectory() ? root : undefined;
  } catch {
    return undefined;
  }
}

function identityFrom(out: ProbeOutput): { id: RustcIdentity; listing: string; compiler: string } {
  const listing = libListing(join(out.sysroot, 'lib', 'rustlib'));
  const compiler = compilerBytes(out.compiler);
  return { id: identityOf(out.verbose, out.sysroot, listing, compiler, out.unstableAlways ?? false), listing, compiler };
}

/**
 * Whether `--print cfg` lines include cfgs rustc shows only where unstable features are
 * allowed (a nightly, or RUSTC_BOOTSTRAP=1): rustc 1.95 stable prints none of these, and with
 * RUSTC_BOOTSTRAP=1 prints every one of them on x86_64 Linux. Asked only of a compiler
 * that isn't `<sysroot>/bin/rustc` (a script in front of rustc, a rustup proxy), in the run
 * that asks it for its sysroot anyway; the probe runs it without RUSTC_BOOTSTRAP, so only
 * a compiler that sets it itself shows them on a stable release.
 */
function gatedCfgsShown(cfg: string[]): boolean {
  return cfg.some((line) => /^(fmt_debug|overflow_checks|ub_checks|target_has_atomic_equal_alignment|target_has_atomic_load_store|target_thread_local|relocation_model|emscripten_wasm_eh)\b/.test(line.trim()));
}

/**
 * The digest of the compiler file itself (symlinks followed). `RUSTC` may name a
 * script in front of the real rustc that adds flags of its own (`exec rustc "$@"
 * --cfg x`): its -vV and sysroot are the real rustc's, so an edit to those flags
 * changed no key, and a build after `cargo clean` got what the old flags
 * compiled. A real rustc's bytes are the same on every machine with that
 * toolchain, so hits across machines are kept. Read once per compiler path,
 * size and mtime (~0.6 MB for rustup's rustc); none for a rustup proxy, which
 * only picks the toolchain its -vV names, and 'unreadable' for a file that
 * can be run but not read.
 */
function compilerBytes(file: string | undefined): string {
  if (file === undefined) return 'proxy';
  try {
    return digestFileSync(file);
  } catch {
    return 'unreadable';
  }
}

function identityOf(verbose: string, sysroot: string, listing: string, compiler: string, unstableAlways: boolean): RustcIdentity {
  const version = verbose.split('\n')[0]!.trim();
  const host = /^host: (.+)$/m.exec(verbose)?.[1]?.trim() ?? '';
  const release = /^release: (.+)$/m.exec(verbose)?.[1]?.trim() ?? '';
  // A nightly allows features anyway: only a stable release that shows its gated cfgs sets them itself.
  const always = unstableAlways && !isNightlyRelease(release);
  const digest = digestBytes(`${verbose}\ncompiler: ${compiler}${always ? '\nunstable always' : ''}`);
  return { verbose, version, rlinkVersion: rustcVersionForRlink(version), host, release, sysroot, digest, unstableAlways: always, targetLibs: targetLibsOf(listing) };
}

/** libListing's lines (`<target>/<file> <size>`) grouped by target, each group digested. */
function targetLibsOf(listing: string): Record<string, Digest> {
  const byTarget = new Map<string, string[]>();
  for (const line of listing.split('\n')) {
    const slash = line.indexOf('/');
    if (slash <= 0) continue;
    const target = line.slice(0, slash);
    if (!byTarget.has(target)) byTarget.set(target, []);
    byTarget.get(target)!.push(line.slice(slash + 1));
  }
  const out: Record<string, Digest> = {};
  for (const [target, lines] of byTarget) out[target] = digestBytes(lines.join('\n'));
  return out;
}

/** Names and sizes of every target's libraries under lib/rustlib/<target>/lib. */
function libListing(rustlib: string): string {
  const lines: string[] = [];
  for (const t of listDir(rustlib).sort()) {
    const lib = join(rustlib, t, 'lib');
    for (const n of listDir(lib).sort()) {
      const s = statOf(join(lib, n));
      if (s?.isFile()) lines.push(`${t}/${n} ${s.size}`);
    }
  }
  return lines.join('\n');
}
