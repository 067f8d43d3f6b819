/**
 * The daemon process: started detached by the first client that finds no
 * socket. LevelDB's own lock makes it single-instance: a second daemon for
 * the same store gets SPLITCACHE_STORE_LOCKED. It exits quietly if another
 * daemon answers on the socket; otherwise the lock's holder is a daemon on
 * its way out (`server stop`, its idle timeout, a SIGTERM: it stops listening
 * before it closes the store), and it opens the store once that one is gone
 * (openWhenFree).
 */
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { initHash, FileDigestMemo } from '@splitcache/hash';
import { isSplitcacheError, oneLine, SplitcacheError } from '@splitcache/errors';
import { Store, tempSuffix, writeFileAtomicSync } from '@splitcache/store';
import { CompileHandler, type Services } from './compileHandler.js';
import { Maintenance } from './maintenance.js';
import { readConfig } from './config.js';
import { makeLogger, type Logger } from './log.js';
import { LogRotation } from './logRotation.js';
import { runningDaemonPid, socketPath, socketShown, writeStartFailed } from './protocol.js';
import { stopLegacyDaemon } from './legacyDaemon.js';
import { openRemote, type RemoteServices } from './openRemote.js';
import { RustcIdentities, startProbe } from './rustcIdentity.js';
import { NativeCpus } from './nativeCpu.js';
import { StoreStall } from './storeStall.js';
import { DaemonServer } from './server.js';
import { hasRoom, ROOM_POLL_MS } from './indexFull.js';
import { ExecServer } from './execServer.js';
import { StatsKeeper } from './stats.js';
import { storeHome } from './storeHome.js';
import { installStamp } from './installStamp.js';
import { loadKeptDigests, saveKeptDigests } from './keptDigests.js';
import { serveUnavailable, UNAVAILABLE_LIFETIME_MS } from './unavailable.js';
import { socketAnswers } from './socketAnswers.js';
import { watchLoopStalls } from './loopStalls.js';

export async function runDaemon(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  // stderr is daemon.log: on a full disk a write to it fails, and an unheard
  // 'error' event would end the daemon mid-build. The lines are lost instead.
  process.stderr.on('error', () => undefined);
  const config = readConfig(env);
  const rotation = new LogRotation(join(config.dir, 'daemon.log'));
  rotation.check();
  const log = makeLogger(config.logLevel, rotation);
  watchLoopStalls(log);
  // Settings given a value they can't take (their defaults are used): named here, counted
  // below, and shown to builds (compileHandler) and by `splitcache server status`.
  for (const problem of config.problems) log.warn(`SPLITCACHE_CONFIG: ${problem}`);
  // A new store has no rustc identity recorded, so the first call would probe
  // rustc before its first answer. Whoever started this daemon names that
  // call's rustc: the probe starts now, while the store opens and the call connects.
  const firstRustc = env.SPLITCACHE_FIRST_RUSTC;
  // The directory it was started in is some build's (a checkout, a CI job's volume): the daemon,
  // which outlives that build by its idle timeout, must not hold it (a mount that won't unmount,
  // `target is busy`). It probes its first rustc there, and keeps `/` as its own.
  let startDir = '/';
  try {
    startDir = process.cwd();
  } catch {
    /* removed since: the probe runs in / */
  }
  process.chdir('/');
  const early = firstRustc && !existsSync(join(config.dir, 'index', 'CURRENT')) ? startProbe(firstRustc, startDir, env as Record<string, string>) : undefined;
  early?.catch(() => undefined); // a failed probe is tried again, and reported, by the call
  await initHash();
  let store: Store;
  try {
    store = await openWhenFree(config.dir, log);
  } catch (err) {
    if (err instanceof AnotherDaemon) {
      log.debug('another daemon owns this store; exiting');
      // Started by a call that found no answer just before the other daemon listened and removed
      // the spawn lock, and that then made the lock again: left, it stood for 10 s with no start
      // behind it (seen in trampoline.test on a clean-clone run). A daemon answers, so no start
      // is owed: the lock goes if it is a client's (no pid) or names this daemon.
      await removeMootSpawnLock(config.dir);
      return;
    }
    if (isSplitcacheError(err, 'SPLITCACHE_STORE_ACCESS')) {
      // Files of the store this user may not write: most often another user's, in a store shared by a
      // group, whose own daemon serves it. Listening at the store's socket here would keep that user's
      // calls from starting theirs for the 30 s below (the socket is this user's, and theirs can't
      // remove it, socketOwner.ts). The reason goes in this user's start note instead: this user's
      // calls build uncached with it, and for 10 s start no other daemon.
      log.warn(`${oneLine(err)}; not listening`);
      writeStartFailed(config.dir, oneLine(err), true);
      await rm(join(config.dir, 'daemon.starting'), { force: true });
      return;
    }
    // The daemon before this one, stopped while a call of another build compiles (a `server stop`, an
    // upgrade), holds the store until that call ends: this one gives way as soon as it has, not 30 s
    // later. Every call of a build that came meanwhile was served uncached for those 30 s.
    const holder = err instanceof StillStopping ? err.pid : undefined;
    const over = holder === undefined ? undefined : () => runningDaemonPid(config.dir) !== holder;
    log.warn(`${oneLine(err)}; answering every call with 'build uncached' ${over ? 'until it ends' : `for ${UNAVAILABLE_LIFETIME_MS / 1000} s`}`);
    if (!(await serveUnavailable(socketPath(config.dir), err, UNAVAILABLE_LIFETIME_MS, over))) log.debug('another daemon answers on the store\'s socket; exiting');
    await rm(join(config.dir, 'daemon.starting'), { force: true });
    return;
  }
  const stats = await StatsKeeper.load(store);
  for (let i = 0; i < config.problems.length; i++) stats.count('errors', 'SPLITCACHE_CONFIG');
  const maintenance = new Maintenance(store, config, { log, stats, showLater: (code, line) => services.showLater?.(code, line) });
  maintenance.trimAuditLater();
  maintenance.checkSizeLater();
  const files = new FileDigestMemo();
  const identities = new RustcIdentities(store);
  if (early) identities.adopt(firstRustc!, startDir, env as Record<string, string>, early);
  else if (firstRustc) identities.warm(firstRustc, startDir, env as Record<string, string>);
  const services: Services = { store, stall: new StoreStall(config.dir, log), maintenance, files, rustc: identities, nativeCpu: new NativeCpus(), stats, config, log };
  // The remote tier loads undici, ~0.1 s of module loading here, so it loads once the daemon
  // listens: the first calls of a build, which come about then, reach the exec port (and don't
  // each start a node client) and wait in their lookup for the remote instead.
  let remote: RemoteServices | undefined;
  let listened!: () => void;
  const afterListening = new Promise<void>((res) => (listened = res));
  if (config.remote) {
    services.remoteReady = afterListening
      .then(() => openRemote(config, { store, files, stats, log, showLater: (code, line) => services.showLater?.(code, line), faultLater: (err, after) => handler.faults.faultLater(err, after) }))
      .then(
        (r) => {
          remote = r;
          services.remote = r.remote;
          services.uploads = r.uploads;
        },
        (err: unknown) => {
          // Said to the build too (a proxy variable that is no URL was in daemon.log alone).
          const code = isSplitcacheError(err, 'SPLITCACHE_CONFIG') ? 'SPLITCACHE_CONFIG' : 'SPLITCACHE_REMOTE_HTTP';
          const line = `${code}: cannot load the remote tier (${oneLine(err)}); this daemon has no remote until it stops (splitcache server stop)`;
          stats.count('errors', code);
          log.warn(line);
          services.showLater?.(code, line);
        },
      );
  }
  const handler = new CompileHandler(services);
  services.showLater = (code, line) => handler.faults.later(code, line);
  let repairing = false;
  services.onCorruptIndex = () => {
    if (repairing) return;
    repairing = true;
    log.warn('SPLITCACHE_STORE_CORRUPT: the index has a damaged table; restarting to repair it');
    // A marker that can't be written (a full disk): the daemon stops all the same, and the next one finds the damage again.
    void store
      .requestRepair()
      .catch((err: unknown) => log.warn(`SPLITCACHE_STORE_CORRUPT: the repair could not be asked for: ${oneLine(err)}`))
      .then(() => server.stop())
      .then(() => process.exit(0));
  };
  // The index takes no write after one failed for a full disk (indexFull.ts): once its disk has room, the daemon stops, and the next call opens it anew.
  let roomWatch: NodeJS.Timeout | undefined;
  services.onIndexFull = () => {
    if (roomWatch) return;
    log.warn('SPLITCACHE_STORE_FULL: the index failed a write for a full disk, and takes none after that until it is opened again; hits are still served, and the daemon restarts once its disk has room');
    roomWatch = setInterval(() => {
      if (!hasRoom(join(config.dir, 'index'))) return;
      clearInterval(roomWatch);
      log.warn("the store's disk has room again: restarting, to open the index anew");
      void server.stop().catch(() => undefined).then(() => process.exit(0));
    }, ROOM_POLL_MS);
    roomWatch.unref();
  };
  services.home = storeHome(config.dir);
  let leaving = false;
  services.onStoreMoved = () => {
    if (leaving) return;
    leaving = true;
    log.warn(`SPLITCACHE_STORE_IO: the store ${config.dir} was moved, removed or restored over; stopping`);
    // Its index may not close cleanly by a path that is gone: the daemon exits whatever the stop met.
    void server.stop().catch(() => undefined).then(() => process.exit(0));
  };
  // Checked between calls too: a store removed while no call comes (`rm -rf` of the cache dir
  // between builds) would otherwise keep its daemon, its memory and its deleted index's disk
  // space until the idle timeout.
  setInterval(() => {
    if (services.home?.changed()) services.onStoreMoved?.();
  }, HOME_CHECK_MS).unref();
  services.install = installStamp(process.argv[1]);
  let upgraded = false;
  services.onInstallChanged = () => {
    if (upgraded) return;
    upgraded = true;
    log.warn(`the daemon's install (${process.argv[1] ?? ''}) changed on disk while it ran; stopping after the calls in hand, so the next call starts the new one`);
    setImmediate(() => void server.stop().catch(() => undefined).then(() => process.exit(0)));
  };
  const pidFile = join(config.dir, 'daemon.pid');
  // Each step of a stop is taken whatever the one before it did: a remote whose close failed left
  // the counters unsaved and the index open.
  const step = (what: string, run: () => Promise<unknown>) => run().catch((err: unknown) => log.warn(`while stopping (${what}): ${oneLine(err)}`));
  const server = new DaemonServer(socketPath(config.dir), services, handler, async () => {
    await step('the remote', async () => {
      await services.remoteReady;
      await remote?.close();
    });
    await step('the counters', () => stats.flush());
    // A store removed under it may have been made again at its path, by another daemon: nothing is written there.
    if (!services.home?.changed()) await saveKeptDigests(config.dir, files).catch((err: unknown) => log.debug(`digests not kept: ${oneLine(err)}`));
    await step('the index', () => store.close());
    // A daemon started meanwhile waits for this store's lock (openWhenFree), and writes its own pid once it has it.
    await step('the pid file', async () => {
      if ((await readFile(pidFile, 'utf8').catch(() => '')).trim() === String(process.pid)) await rm(pidFile, { force: true });
    });
    log.debug('daemon stopped');
  });
  // Written whole (temp name, then rename) and before the socket answers, so
  // whoever reaches the daemon finds its pid file complete; synchronously, as
  // the first calls wait for the daemon to listen. Only `server stop`'s fallback
  // and the tests read it: on a full disk the daemon serves without one.
  try {
    writeFileAtomicSync(join(config.dir, `.daemon.pid.${tempSuffix()}`), pidFile, Buffer.from(`${process.pid}\n`), 0o644);
  } catch (err) {
    log.warn(`cannot write ${pidFile}: ${oneLine(err)}`);
  }
  // The exec port serves bin/splitcache run by bash on Linux (execServer.ts); without it, the node
  // client serves every call. It opens first, so that exec.port exists once the socket answers.
  if (process.platform === 'linux') {
    const exec = new ExecServer(config.dir, handler, log, server);
    try {
      await exec.listen();
      server.exec = exec;
    } catch (err) {
      log.warn(`SPLITCACHE_STORE_IO: no exec port (${oneLine(err)}); every call runs the node client`);
      await exec.close();
    }
  }
  try {
    await server.listen();
  } catch (err) {
    await server.exec?.close();
    await rm(pidFile, { force: true });
    throw err;
  }
  listened();
  await rm(join(config.dir, 'daemon.starting'), { force: true });
  // A start that failed before this one is over: bin/splitcache starts daemons again (protocol.ts, writeStartFailed).
  await rm(join(config.dir, 'daemon.start-failed'), { force: true });
  void loadKeptDigests(config.dir, files).then((n) => log.debug(`${n} file digests kept by the daemon before`), () => undefined);
  log.debug(`daemon ${process.pid} listening on ${socketShown(socketPath(config.dir))}`);
  // A stop waits for the calls in hand; a signal while it does (a second one, or the first after a
  // `server stop`, an idle or an upgrade stop) ends the daemon at once, by SIGKILL: process.exit
  // waits for node's I/O threads, and one blocked in the kernel (a frozen store, a dead FUSE
  // mount) kept it alive (the index's log is replayed by the next open). Before, a daemon held
  // up by a call outlived any number of SIGTERMs, and only `kill -9` ended it.
  const shutdown = (signal: string) => {
    if (server.isStopping()) {
      log.warn(`a ${signal} while stopping: exiting now, with ${handler.pendingCount} call(s) in hand`);
      process.kill(process.pid, 'SIGKILL');
    }
    void server.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

runDaemon().catch((err: unknown) => {
  process.stderr.write(`splitcache daemon: ${oneLine(err)}\n`);
  // Tells the clients waiting for this daemon to build uncached now, not at their timeout.
  try {
    writeStartFailed(readConfig(process.env).dir, oneLine(err), true);
  } catch {
    /* they time out instead */
  }
  process.exit(1);
});

/**
 * How long a new daemon waits for the one before it to close the store, counted from its process's
 * start, as near as it knows to the start of the spawning call's own 5 s wait; a `server stop` takes
 * ~1 s here. Under those 5 s: a call that came meanwhile is then answered (uncached, with the
 * reason) instead of giving up on it (`no daemon answered`), as each did while this was 10 s. Past
 * it, this daemon serves uncached until the old one ends (StillStopping).
 */
const LOCK_WAIT_MS = 4_000;
/** How often the store dir is looked at between calls (a stat). */
const HOME_CHECK_MS = 5_000;
/** How long a lock that no daemon's pid file names is waited for (a daemon that opened the store a moment ago writes it within milliseconds). */
const UNNAMED_LOCK_MS = 1_000;

class AnotherDaemon extends Error {}

/** The store's lock, still held after LOCK_WAIT_MS by the daemon before this one (`pid`), which is finishing its calls. */
class StillStopping extends SplitcacheError {
  constructor(readonly pid: number) {
    super('SPLITCACHE_STORE_LOCKED', `the daemon before this one (pid ${pid}) still holds the store, finishing a call it has in hand`);
  }
}

/**
 * Removes the spawn lock if it names no pid (a node client's) or this process (bin/splitcache's
 * start writes the daemon's pid into it); one naming another process is that starter's to end.
 */
async function removeMootSpawnLock(dir: string): Promise<void> {
  const lock = join(dir, 'daemon.starting');
  const text = await readFile(lock, 'utf8').catch(() => undefined);
  if (text !== undefined && (text.trim() === '' || text.trim() === String(process.pid))) await rm(lock, { force: true });
}

/**
 * Opens the store, waiting while another process holds its lock and no daemon
 * answers on the socket: a daemon that is stopping. A new one used to exit at
 * once, leaving its spawn lock, so the calls of a build that had just run
 * `splitcache server stop` (or whose daemon got a SIGTERM) waited out the 5 s
 * start timeout, one after the other, for ~10 s. Throws AnotherDaemon when one
 * answers; and SPLITCACHE_STORE_LOCKED for a lock that no daemon on its way
 * out holds (daemon.pid names none), or still holds after LOCK_WAIT_MS: served
 * as unavailable, each call then builds uncached with that line.
 */
async function openWhenFree(dir: string, log: Logger): Promise<Store> {
  // Counted from this process's start, not from here: the call that started it waits 5 s from its spawn,
  // and node's own start-up (a second or more on a loaded machine) came out of that call's margin,
  // which then gave up (`no daemon answered`) just before this daemon answered it.
  const deadline = performance.timeOrigin + LOCK_WAIT_MS;
  let unnamedUntil = Date.now() + UNNAMED_LOCK_MS;
  let askedLegacy = false;
  for (;;) {
    try {
      return await Store.open(dir, (what) => log.warn(what));
    } catch (err) {
      if (!isSplitcacheError(err, 'SPLITCACHE_STORE_LOCKED')) throw err;
      if (await socketAnswers(socketPath(dir))) throw new AnotherDaemon();
      askedLegacy ||= await stopLegacyDaemon(dir, log);
      // A daemon on its way out is waited for (it removes its pid file last). So, for a moment, is a
      // lock no daemon's pid file names: a daemon started beside this one may have opened the store
      // just now and not yet written its pid file (nor listened), and this one, reporting the lock
      // at once, served every call as locked (a clean-clone run here). That moment counts from the
      // last time a daemon was named: a try that found the lock held as the daemon on its way out
      // let go of it and removed its pid file came back after that, and the lock, named by none,
      // was reported (a clean-clone run under load). A lock some other process holds is reported
      // after that moment.
      const stopping = runningDaemonPid(dir);
      if (stopping === process.pid) throw err;
      if (stopping !== undefined) {
        if (Date.now() >= deadline) throw new StillStopping(stopping);
        unnamedUntil = Date.now() + UNNAMED_LOCK_MS;
      } else if (Date.now() >= unnamedUntil) throw err;
      log.debug('the store is locked and no daemon answers; waiting for the one stopping');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

