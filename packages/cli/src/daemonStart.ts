/**
 * Reaching the store's daemon, and starting it when none answers.
 *
 * Who starts a daemon holds the spawn lock, `daemon.starting` in the store
 * dir (created exclusively; stale after 10 s, or 2 s while it names no pid: spawnLock.ts), so a burst of cargo's parallel
 * rustc calls starts one daemon, not one each. The daemon removes the lock
 * once it listens; its own LevelDB lock settles any race that slips through.
 *
 * Two starters take the lock:
 * - bin/splitcache, the bash trampoline, when it finds neither a socket nor a
 *   lock: it starts the daemon before node starts this client, so the two
 *   node starts overlap, and writes the daemon's pid into the lock. It can't
 *   watch the daemon, so a waiting call that finds that pid gone (or a
 *   zombie) while nothing listens takes the start over.
 * - this client otherwise: it spawns the daemon and watches it, so a daemon
 *   that dies before it listens is noticed at once, not at the timeout.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, readlinkSync, rmSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { refuseOthersSocket, socketPath, speaksTls, startFailedPaths, writeStartFailed } from '@splitcache/daemon/protocol';
import { makeDirsSync } from '@splitcache/store/makeDirs';
import { DaemonConnection } from './daemonConnection.js';
import { takeSpawnLock, writeLockPid } from './spawnLock.js';

/** How often a waiting call looks whether the spawn lock has gone stale. */
const LOCK_RECHECK_MS = 500;
const START_RETRY_MS = 10_000;
/** How far ahead of this process's clock a start note may be dated and still be taken as new (startFailure). */
const NOTE_AHEAD_MS = 60_000;

/**
 * Connects to the store's daemon, starting it if nothing answers; throws if
 * the daemon says it failed to start (its reason is in the error), and
 * resolves undefined if nothing answered within `waitMs`.
 */
/**
 * `firstRustc`: the rustc of the call that starts the daemon, which probes it
 * while it starts if its store is new (SPLITCACHE_FIRST_RUSTC, daemon main.ts).
 */
export async function connectOrStart(dir: string, daemonMain: string, waitMs = 5000, firstRustc?: string): Promise<DaemonConnection | undefined> {
  let sock = socketPath(dir);
  // Another user's daemon serves this store (one shared by a group): a daemon of this user's could not open it.
  // Checked before connecting: root can connect to any socket, and that daemon would get root's calls and plan
  // the commands root runs (a `sudo cargo build` that kept the user's HOME).
  refuseOthersSocket(sock);
  const first = await DaemonConnection.tryConnect(sock);
  if (first) return first;
  // A daemon that failed to start in the last few seconds would fail again: build uncached at once.
  const failed = startFailedPaths(dir);
  startFailure(failed, Date.now() - START_RETRY_MS);
  madeStoreDir(dir);
  // A deep store's socket is reached through a descriptor of its directory (storeSocket.ts), which a store not made until now had none of.
  sock = socketPath(dir);
  const t0 = Date.now();
  const started = await startUnlessServed(sock, dir, daemonMain, false, firstRustc);
  if (started instanceof DaemonConnection) return started;
  let child = started;
  let lockChecked = t0;
  // A failed connect to a unix socket costs microseconds: poll finely, so no
  // call waits long past the moment the daemon listens (60–76 ms after its spawn here).
  while (Date.now() < t0 + waitMs) {
    await new Promise((r) => setTimeout(r, 3));
    const c = await DaemonConnection.tryConnect(sock);
    if (c) return c;
    startFailure(failed, t0 - START_RETRY_MS);
    let next: ChildProcess | DaemonConnection | undefined;
    if (child) diedBeforeListening(child, dir, failed, t0);
    else if (trampolineStartDied(dir)) next = await startUnlessServed(sock, dir, daemonMain, true, firstRustc);
    else if (Date.now() - lockChecked >= LOCK_RECHECK_MS) {
      // A lock that names no pid, whose starter is gone (a client killed before its spawn, or
      // with its daemon), goes stale as the call waits: taken over then (takeSpawnLock), where the
      // wait, 30 s for a subcommand, once ran out with no daemon started.
      lockChecked = Date.now();
      next = await startUnlessServed(sock, dir, daemonMain, false, firstRustc);
    }
    if (next instanceof DaemonConnection) return next;
    child ??= next;
  }
  return undefined;
}

/**
 * The daemon this call spawned has ended without listening. Exit code 0 is a
 * daemon that found another one owning the store: that one will answer, so
 * the wait goes on. Any other end (a signal, as from the OOM killer; a crash
 * before the daemon's own error handler runs, as with a broken install) left
 * no reason behind, so this call records one for every client waiting on it
 * and builds uncached at once.
 */
function diedBeforeListening(child: ChildProcess, dir: string, notes: string[], spawnedAt: number): void {
  const { exitCode: code, signalCode: signal } = child;
  if (signal === null && (code === null || code === 0)) return;
  // The daemon's own reason, if it wrote one, is better than ours.
  startFailure(notes, spawnedAt - START_RETRY_MS);
  const why = `${signal ? `killed by ${signal}` : `exited with code ${code}`} before it listened (see ${join(dir, 'daemon.log')})`;
  try {
    writeStartFailed(dir, why);
  } catch {
    /* the others time out instead */
  }
  throw Object.assign(new Error(`the daemon failed to start: ${why}`), { code: 'SPLITCACHE_DAEMON_UNREACHABLE' });
}

/**
 * Throws SPLITCACHE_DAEMON_UNREACHABLE with the daemon's reason if it failed to start after `since` (a note at one of `notes`: startFailedPaths).
 * Only this user's notes: the store dir's may be another user's, in a store a group shares, whose daemon's reason (its index not
 * writable by that user, say) is no reason for this user's.
 */
function startFailure(notes: string[], since: number): void {
  const uid = process.getuid?.();
  for (const note of notes) {
    let why: string;
    try {
      const st = statSync(note);
      // Dated over a minute ahead of the clock: written before the clock was stepped back (an NTP fix,
      // a VM restored), not just now. Taken as new, it held every start back, and the builds uncached,
      // until the clock caught up with it: for hours after a step of hours. A minute, not the window:
      // the store dir's note may be dated by a network file system's server, some seconds ahead.
      if (st.mtimeMs < since || st.mtimeMs > Date.now() + NOTE_AHEAD_MS || (uid !== undefined && st.uid !== uid)) continue;
      why = readFileSync(note, 'utf8').trim();
    } catch {
      continue;
    }
    if (!why) continue; // not a reason (the note is written whole): the wait goes on
    throw Object.assign(new Error(`the daemon failed to start: ${why}`), { code: 'SPLITCACHE_DAEMON_UNREACHABLE' });
  }
}

/**
 * Whether the spawn lock names a daemon the trampoline started that is gone
 * (or a zombie: its parent, often this very call, has not reaped it) without
 * listening. Only /proc can tell; without it the wait goes on as before. The
 * process state says so, not an empty /proc/<pid>/cmdline: that is also what
 * a live process shows for a moment in every exec (the new image's arguments
 * are not set up yet), and the daemon's start is two (setsid, then node).
 */
export function trampolineStartDied(dir: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, 'daemon.starting'), 'utf8').trim());
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 1) return false; // a client's lock, or the pid not written yet
  try {
    const state = procState(readFileSync(`/proc/${pid}/stat`, 'latin1'));
    return state === 'Z' || state === 'X'; // a zombie, or dead
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' && procMounted();
  }
}

/** The state letter of a `/proc/<pid>/stat` line, `pid (comm) state …`, where comm may hold spaces and parentheses. */
export function procState(stat: string): string {
  const end = stat.lastIndexOf(')');
  return stat.slice(end + 2, end + 3);
}

let procChecked: boolean | undefined;
function procMounted(): boolean {
  try {
    procChecked ??= readFileSync('/proc/self/stat').length > 0;
  } catch {
    procChecked = false;
  }
  return procChecked;
}

/**
 * Spawns the daemon unless another starter holds the spawn lock, or a daemon
 * answers once the lock is this call's; returns the child it spawned, or the
 * connection to the daemon that answered. `takeOver`: the lock's holder is
 * known to be gone.
 *
 * The second look is for a daemon that listened, then removed its lock, just
 * after this call's first connect failed: the lock made again here started a
 * second daemon, which found the first serving and exited, a node start's CPU
 * at a build's busiest moment (bin/splitcache looks again the same way).
 */
async function startUnlessServed(sock: string, dir: string, daemonMain: string, takeOver: boolean, firstRustc?: string): Promise<ChildProcess | DaemonConnection | undefined> {
  rootInOthersStore(dir);
  const lock = join(dir, 'daemon.starting');
  const made = takeSpawnLock(lock, dir, takeOver);
  if (!made) return undefined;
  const served = await DaemonConnection.tryConnect(sock);
  if (served) {
    rmSync(lock, { force: true });
    return served;
  }
  // Likewise a start that failed just before: its daemon writes its note, then removes the lock.
  try {
    startFailure(startFailedPaths(dir), Date.now() - START_RETRY_MS);
  } catch (err) {
    rmSync(lock, { force: true });
    throw err;
  }
  let log: number;
  try {
    // O_NONBLOCK: a FIFO at daemon.log (nothing reading it) fails with ENXIO instead of holding
    // this open, and the build, for good; a regular file opens as ever.
    log = openSync(join(dir, 'daemon.log'), constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK, 0o666);
    if (!fstatSync(log).isFile()) {
      closeSync(log);
      throw Object.assign(new Error('not a regular file'), { code: 'ENOTREG' });
    }
  } catch (err) {
    // The store dir takes this user's files, but its log is another's (a store a group shares, made
    // under umask 022; one restored as root and chown'd without -R): no daemon of this user's could
    // start. The lock was left behind, with no pid, and every call of the build waited 5 s on it.
    rmSync(lock, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' ? 'is not writable by this user' : ['ENOTREG', 'ENXIO', 'EISDIR'].includes(code ?? '') ? 'is not a regular file' : `cannot be opened (${code ?? 'error'})`;
    unstartable(dir, `: its daemon.log ${why}`);
  }
  return spawnDaemon(dir, daemonMain, log, made, firstRustc);
}

/**
 * Root starts no daemon in a store dir another user owns (a `sudo cargo build` that kept the
 * user's SPLITCACHE_DIR or HOME): it would open that user's index and write root's files, shard
 * dirs among them, which the owner's daemon could then never write (10 of grep's 72 crates were
 * never stored again). Its calls build uncached with the reason, as they do while the owner's
 * daemon serves the store (refuseOthersSocket).
 */
function rootInOthersStore(dir: string): void {
  if (process.getuid?.() !== 0) return;
  let owner: number;
  try {
    owner = statSync(dir).uid;
  } catch {
    return;
  }
  if (owner !== 0) unstartable(dir, `belongs to uid ${owner}, and root starts no daemon in another user's store (its files would be root's)`);
}

/** Leaves the reason no daemon can start for this user (as a daemon's failed start does: calls build uncached at once for 10 s), and throws it. */
function unstartable(dir: string, why: string): never {
  const line = `the store dir ${dir}${why.startsWith(':') ? '' : ' '}${why}`;
  try {
    writeStartFailed(dir, line);
  } catch {
    /* each call finds out for itself */
  }
  throw Object.assign(new Error(line), { code: 'SPLITCACHE_DAEMON_UNREACHABLE' });
}

/** Spawns the daemon, its output appended to `log` (daemon.log, opened by the caller; closed here). */
function spawnDaemon(dir: string, daemonMain: string, log: number, made: Stats, firstRustc?: string): ChildProcess {
  // The daemon needs extra CA certificates only where it speaks TLS; parsing them costs every node start ~80 ms here.
  // The user's NODE_OPTIONS are for their own node programs (bin/splitcache says why).
  const env = { ...process.env };
  if (!speaksTls(env)) delete env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_OPTIONS;
  if (firstRustc) env.SPLITCACHE_FIRST_RUSTC = firstRustc;
  const { spawn } = loadChildProcess();
  // Started under an address-space limit, bin/splitcache gave this node the flags that let its WebAssembly run there: the daemon needs them as much.
  const flags = process.execArgv.filter((a) => a === '--disable-wasm-trap-handler' || a.startsWith('--wasm-max-mem-pages='));
  if (flags.length > 0) env.MALLOC_ARENA_MAX ??= '2';
  // stdout and stderr are one open of daemon.log (O_APPEND), duplicated, as bin/splitcache's `>>log 2>&1`: two descriptors in
  // /proc/<pid>/fd, not a leak; what anything prints to stdout lands in the log, and after a rotation's truncation at its end.
  const child = spawn(process.execPath, [...flags, daemonMain], { detached: true, stdio: ['ignore', log, log], env });
  // Not kept alive by it, but its exit is still seen while this call polls.
  child.unref();
  closeSync(log);
  // The lock names the daemon, as bin/splitcache's start has it, so that a call can tell a start that
  // died: one left empty by a daemon that failed (a directory where its socket goes) was taken for a
  // start under way, and bin/splitcache waited ~2 s on it in every call of the build (38 s against
  // 5 s for 200 crates). Written only into the lock this call made ('r+' makes none): the daemon may
  // have listened, and removed it, already.
  if (child.pid) writeLockPid(join(dir, 'daemon.starting'), made, child.pid);
  return child;
}

/**
 * Makes the store dir; where it can't be, throws SPLITCACHE_DAEMON_UNREACHABLE saying why in
 * words: a SPLITCACHE_DIR naming a file (or a path through one) read `EEXIST: file already
 * exists, mkdir …` (an error-message audit's find).
 */
function madeStoreDir(dir: string): void {
  try {
    makeDirsSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST' && code !== 'ENOTDIR') throw err;
    // A link to nothing (a store on a disk not mounted) is no file (a review's point).
    const dangling = code === 'EEXIST' && lstatSync(dir, { throwIfNoEntry: false })?.isSymbolicLink() && statSync(dir, { throwIfNoEntry: false }) === undefined;
    const what = dangling ? `a link to ${readlinkSync(dir)}, which is not there, is there` : code === 'EEXIST' ? 'a file is there' : 'a file is on its path';
    throw Object.assign(new Error(`the store dir ${dir} is not a directory (${what}): set SPLITCACHE_DIR to a directory`), { code: 'SPLITCACHE_DAEMON_UNREACHABLE' });
  }
}

/**
 * node:child_process, loaded on first use rather than at start-up: most
 * wrapper calls (a lib hit) never spawn. (Node ≥ 20.16: getBuiltinModule
 * works the same from the CommonJS bundle and from the ESM commands.)
 */
export function loadChildProcess(): typeof import('node:child_process') {
  return process.getBuiltinModule('node:child_process');
}
