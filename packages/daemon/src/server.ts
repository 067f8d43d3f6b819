import { realpathSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname, resolve } from 'node:path';
import { oneLine } from '@splitcache/errors';
import type { CompileHandler, Services } from './compileHandler.js';
import type { ExecServer } from './execServer.js';
import { readConfig, type DaemonConfig } from './config.js';
import { refuseOthersSocket } from './socketOwner.js';
import { listenOwnSocket, type OwnedPath } from './ownedPath.js';
import { explainMiss } from './explain.js';
import type { StoreUsage } from './maintenance.js';
import { crateMatcher, type AuditEvent } from '@splitcache/store';
import { settingsDiff } from './settingsDrift.js';
import { ALIVE_MS, AUDIT_PART, encodeFrame, FrameReader, installOf, mountNamespace, PROTOCOL_VERSION, planToWire, doneFromWire, type AliveFrame, type CompilePlan, type Request } from './protocol.js';

/** This daemon's mount namespace: a client of another is not served (otherMountNamespace). */
const OWN_MOUNT_NAMESPACE = mountNamespace('self');
/** Where this daemon's install is (main.cjs is `<install>/packages/daemon/dist/bundle/main.cjs`), for a line naming it. */
const INSTALL = process.argv[1] ? installOf(process.argv[1]) : 'an unknown place';

const ALIVE_FRAME = encodeFrame({ alive: 1 } satisfies AliveFrame);

/**
 * The unix-socket RPC server. One connection per client process; requests on
 * a connection are answered in order. The daemon exits after `idleTimeoutMs`
 * with no connection open.
 */
export class DaemonServer {
  private server: Server | undefined;
  private open = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  /** The socket this daemon put in place: removed on stop only while it is still this one. */
  private sockFile: OwnedPath | undefined;
  private stopping: Promise<void> | undefined;

  /** The exec port (execServer.ts), closed with this server. */
  exec: ExecServer | undefined;

  constructor(
    private readonly sock: string,
    private readonly s: Services,
    private readonly handler: CompileHandler,
    private readonly onStop: () => Promise<void>,
  ) {}

  /** A connection elsewhere (the exec port) that keeps the daemon from idling out. */
  hold(): void {
    this.open++;
    if (this.idleTimer) clearTimeout(this.idleTimer);
  }

  release(): void {
    this.open--;
    this.armIdle();
  }

  /**
   * Listens on a name of this daemon's own, then renames the socket into place. Node's
   * server removes the path it listened on when it closes, whatever is there by then:
   * had it listened at the socket's own path, a daemon whose store was removed (`rm -rf`
   * of the cache dir while it ran) would, on stopping, remove the socket of the daemon
   * started since for the store made again at that path (ownedPath.ts).
   */
  async listen(): Promise<void> {
    refuseOthersSocket(this.sock);
    this.server = createServer((c) => this.connection(c));
    this.sockFile = await listenOwnSocket(this.server, this.sock);
    this.armIdle();
  }

  private connection(c: Socket): void {
    this.hold();
    const reader = new FrameReader();
    const tokens = new Set<string>();
    let closed = false;
    let chain = Promise.resolve();
    c.on('data', (chunk) => {
      let frames: unknown[];
      try {
        frames = reader.push(chunk);
      } catch (err) {
        this.s.log.warn(`SPLITCACHE_DAEMON_PROTOCOL: ${oneLine(err)}`);
        c.destroy();
        return;
      }
      for (const f of frames) {
        chain = chain.then(async () => {
          const progress = throttle((done: number, total: number, phase: string) => {
            if (!c.destroyed) c.write(encodeFrame({ progress: { done, total, phase } }));
          });
          // Until it replies, the client hears that this daemon is alive (protocol.ts, ALIVE_MS).
          const alive = setInterval(() => c.destroyed || c.write(ALIVE_FRAME), ALIVE_MS);
          // A frame before the reply, sent once the socket has taken it: false when the client has gone.
          const sendPart = (frame: unknown) => new Promise<boolean>((res) => (c.destroyed ? res(false) : c.write(encodeFrame(frame), (err) => res(!err))));
          const reply = await this.dispatch(f as Request, tokens, progress, sendPart)
            .catch((err: unknown) => ({ error: this.handler.faults.requestLine(err) }))
            .finally(() => clearInterval(alive));
          // A client gone while its call was planned: what the plan holds for it goes now, as it would have at the close.
          if (closed) for (const t of tokens) this.handler.forget(t);
          if (!c.destroyed) c.write(encodeFrame(reply));
        }).catch((err: unknown) => {
          // A reply that could not be sent (one too large to encode): the connection ends, not the daemon.
          this.s.log.warn(`SPLITCACHE_DAEMON_PROTOCOL: no reply sent: ${oneLine(err)}`);
          c.destroy();
        });
      }
    });
    c.on('error', () => undefined);
    c.on('close', () => {
      closed = true;
      for (const t of tokens) this.handler.forget(t);
      this.release();
    });
  }

  private async dispatch(req: Request, tokens: Set<string>, progress: (done: number, total: number, phase: string) => void, sendPart: (frame: unknown) => Promise<boolean>): Promise<unknown> {
    switch (req?.op) {
      case 'compile': {
        if (req.v !== PROTOCOL_VERSION) return this.otherVersion(req.v, req.env, req.cwd);
        if (req.mnt !== undefined && OWN_MOUNT_NAMESPACE !== undefined && req.mnt !== OWN_MOUNT_NAMESPACE) return this.otherMountNamespace();
        const plan = await this.handler.compile(req);
        if (plan.action === 'run' || (plan.action === 'hit' && plan.link)) tokens.add(plan.token);
        return planToWire(plan);
      }
      // A call's token stays until its connection closes, which forgets it (as the exec port's call
      // does at its end): a miss's link step comes after its `done`, and its objects, under names of
      // its own, are removed only once its call is forgotten. Dropped at `done`, a node client killed
      // mid-link left them in the out dir for the daemon's life (callTokens.test.ts).
      case 'done':
        return this.handler.done(doneFromWire(req));
      case 'linked':
        await this.handler.linked(req);
        return {};
      case 'stats': {
        // A store whose file system hangs takes no flush: the counts in memory are as new. Nor a
        // walk of its blobs: LevelDB's writes, blocked there, hold node's thread pool, and the walk's
        // readdir waited behind them for the whole hang (storeHung.test.ts).
        const settled = await this.handler.settled();
        if (settled) await this.s.stats.flush();
        const usage = settled ? await this.storeUsage() : undefined;
        return {
          stats: this.s.stats.stats, dir: this.s.config.dir, pid: process.pid, ...(usage ? { usage } : { storeHung: true }),
          // The shell's settings against the daemon's, and those of them it can't use: `SPLITCACHE_MAX_SIZE=20gigs`
          // falls back to the daemon's own 10G, so nothing differed, and stats showed `of 10.0 GiB` with no word.
          ...(req.env ? shellSettings(this.s.config.settings, readConfig(req.env)) : {}),
        };
      }
      case 'zero-stats':
        // Background stores finish first, so what they count lands before the reset.
        await this.handler.settled();
        await this.s.stats.zero();
        return { zeroed: true };
      case 'audit': {
        let events: unknown[] = [];
        const ofCrate = req.crate ? crateMatcher(req.crate) : undefined;
        const wanted = (e: AuditEvent) => (!req.session || e.session === req.session) && (!ofCrate || ofCrate(e));
        // A store whose file system hangs: what can be read of the log within a second, and the lines not yet written.
        if (!(await this.handler.settled())) return { events: await this.readableEvents(req.since ?? 0, wanted) };
        // Lines the log could not take (a full disk), kept in memory: taken before the log is read
        // (a retry that writes them meanwhile leaves them out of its snapshot), and sent after it, each once.
        const held = new Map(this.handler.events.audit.held().filter((e) => e.time >= (req.since ?? 0) && wanted(e)).map((e) => [JSON.stringify(e), e]));
        for await (const e of this.s.store.events(req.since ?? 0)) {
          if (!wanted(e)) continue;
          if (held.size > 0) held.delete(JSON.stringify(e));
          events.push(e);
          // A client that takes parts gets them as they are read, each once the one before is sent.
          if (req.parts && events.length >= AUDIT_PART) {
            if (!(await sendPart({ eventsPart: events }))) return {};
            events = [];
          }
        }
        events.push(...held.values());
        // The entry limit, for a summary naming the misses it kept out (`notStored: too-large`).
        const { maxEntryBytes } = this.s.config;
        return { events, ...(Number.isFinite(maxEntryBytes) ? { maxEntryBytes } : {}) };
      }
      case 'gc':
        await this.handler.settled();
        return this.s.maintenance.gc({ maxBytes: req.clear ? 1 : req.maxBytes, olderThan: typeof req.olderThanMs === 'number' ? Date.now() - req.olderThanMs : undefined, clear: req.clear === true, checkManifests: true }, progress);
      case 'verify':
        await this.handler.settled();
        return this.s.maintenance.verify(progress);
      case 'explain':
        await this.handler.settled();
        return explainMiss(this.s.store, req.crate, req.session, req.crateType);
      case 'ping': {
        // The asking shell's settings: those it can't use are named first (a build is told of its
        // own; `server status` named only the daemon's, and a typo just made got no word), then the daemon's.
        const shell = req.env ? readConfig(req.env) : undefined;
        return {
          pong: true,
          pid: process.pid,
          /** Calls planned as misses whose clients haven't reported (tests: none is left behind by a client gone). */
          pending: this.handler.pendingCount,
          problems: [...new Set([...(shell?.problems ?? []), ...this.s.config.problems])],
          // `server status` names it when it is not the asking install's (two installs sharing one store).
          install: INSTALL,
          // A call's SPLITCACHE_LOG=debug raises a running daemon's level for the rest of its life.
          ...(this.s.log.debugging() && this.s.config.logLevel !== 'debug' ? { debugRaised: true } : {}),
          ...(shell ? { stale: settingsDiff(this.s.config.settings, shell.settings) } : {}),
        };
      }
      case 'stop': {
        // Background stores first, then uploads (bounded), so `splitcache server stop` at the end of a CI job publishes its results.
        await this.handler.settled();
        await this.s.remoteReady;
        const flushed = await this.s.uploads?.flush(this.s.config.remote?.flushTimeoutMs ?? 0);
        setImmediate(() => void this.stop());
        // A line no build has shown yet (an upload the flush dropped): the CI job's last step shows it.
        const warning = this.handler.faults.take();
        return { stopping: true, pid: process.pid, uploadsLeft: flushed?.left ?? 0, ...(flushed?.why ? { uploadsLeftWhy: flushed.why } : {}), ...(warning ? { warning } : {}) };
      }
      default:
        return { error: 'SPLITCACHE_DAEMON_PROTOCOL: unknown request' };
    }
  }

  /** The store's size (a walk of its blobs), or undefined if the store is taken for hung, before the walk or while it goes on. */
  private async storeUsage(): Promise<StoreUsage | undefined> {
    const stall = this.s.stall;
    if (!stall) return this.s.maintenance.usage();
    if (stall.hung) return undefined;
    // Given up on, the walk may still fail later (EIO): that must not end the daemon.
    const walk = this.s.maintenance.usage();
    walk.catch(() => undefined);
    return stall.guard<StoreUsage | undefined>(walk, () => undefined);
  }

  /** The audit lines of a store whose file system hangs: those read within a second (a frozen one still reads), then those not yet written. */
  private async readableEvents(since: number, wanted: (e: AuditEvent) => boolean): Promise<AuditEvent[]> {
    const read: AuditEvent[] = [];
    const reading = (async () => {
      for await (const e of this.s.store.events(since)) if (wanted(e)) read.push(e);
    })().catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([reading, new Promise((res) => (timer = setTimeout(res, 1000)))]);
    clearTimeout(timer);
    // A batch written as the log was read is in both.
    const seen = new Set(read.map((e) => JSON.stringify(e)));
    return [...read, ...this.handler.events.audit.unwritten().filter((e) => e.time >= since && wanted(e) && !seen.has(JSON.stringify(e)))];
  }

  /**
   * A client of another splitcache version: its call builds uncached. A newer
   * client also stops this daemon once its work has settled, so the next call
   * starts the daemon of the client's own version. The line is shown once a
   * minute for each client version, not on every call: an older client's
   * build would otherwise print it once per crate, for as long as this daemon
   * runs.
   */
  private otherVersion(v: unknown, env: unknown, cwd: unknown): CompilePlan {
    this.s.stats.passthrough('protocol-version');
    const newer = typeof v === 'number' && v > PROTOCOL_VERSION;
    if (newer) setImmediate(() => void this.stop());
    // An older client: this daemon stays, and every call of that install builds uncached while it runs.
    // One of this very install (its client bundle built apart from this daemon's): upgrading it is no help.
    const why = newer
      ? 'building uncached while it restarts'
      : wrapperInstall(env, cwd) === INSTALL
        ? `this install's client bundle, older than its daemon's: the two were built apart; run \`npm run build\` in ${INSTALL}; building uncached`
        : `a newer splitcache, installed at ${INSTALL}; building uncached: upgrade this install, or give it a SPLITCACHE_DIR of its own`;
    const line = `SPLITCACHE_DAEMON_PROTOCOL: this store's daemon speaks protocol ${PROTOCOL_VERSION}, the client ${String(v)} (${why})`;
    return { action: 'passthrough', reason: 'protocol-version', warning: this.handler.faults.dueToShow(`SPLITCACHE_DAEMON_PROTOCOL/${String(v)}`) ? line : undefined };
  }

  /**
   * A client in another mount namespace: another container that shares this store dir (one
   * cache volume given to several containers, or the host's store mounted into one). Its
   * paths name other files here, or none: served, its calls were keyed on this daemon's
   * files, their hits written into this side's directories, and its build failed. The
   * store's index is this daemon's alone, so the call builds uncached, with one line a
   * minute saying so.
   */
  private otherMountNamespace(): CompilePlan {
    this.s.stats.passthrough('other-mount-namespace');
    const line = `SPLITCACHE_DAEMON_UNREACHABLE: this store's daemon (pid ${process.pid}) runs in another mount namespace (another container sharing the store dir), where this call's paths name other files; a store is served within one container: give each its own SPLITCACHE_DIR (building uncached)`;
    return { action: 'passthrough', reason: 'other-mount-namespace', warning: this.handler.faults.dueToShow('SPLITCACHE_DAEMON_UNREACHABLE/mnt') ? line : undefined };
  }

  private armIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.open > 0 || this.s.config.idleTimeoutMs === Infinity) return;
    this.idleTimer = setTimeout(() => void this.stop(), this.s.config.idleTimeoutMs);
    this.idleTimer.unref();
  }

  /** Whether stop() was called: the daemon is on its way out. */
  isStopping(): boolean {
    return this.stopping !== undefined;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.idleTimer) clearTimeout(this.idleTimer);
      await Promise.all([new Promise<void>((res) => (this.server ? this.server.close(() => res()) : res())), this.exec?.close()]);
      await this.handler.settled();
      this.sockFile?.removeIfOwn();
      // Its callers (the idle timer, `server stop`, a newer client, a signal) don't wait on it: a
      // rejection, unhandled, ended the daemon with a stack trace in daemon.log (a review's find).
      await this.onStop().catch((err: unknown) => this.s.log.warn(`while stopping: ${oneLine(err)}`));
    })();
    return this.stopping;
  }
}

/** At most one progress frame per 100 ms (and always the last of a phase). */
function throttle(fn: (done: number, total: number, phase: string) => void) {
  let last = 0;
  return (done: number, total: number, phase: string) => {
    const now = Date.now();
    if (now - last < 100 && done !== total) return;
    last = now;
    fn(done, total, phase);
  };
}

/**
 * The install of the wrapper a call's cargo runs (`RUSTC_WRAPPER`, `<install>/bin/splitcache`, as
 * set by hand or by `splitcache cargo`), every link resolved; undefined where it names none. A
 * relative one is cargo's, taken from the directory cargo ran in (its `PWD`), not the crate's that
 * rustc runs in: from a dependency's, it named no file, and the line said to upgrade this install.
 */
function wrapperInstall(env: unknown, cwd: unknown): string | undefined {
  const e = env as Record<string, unknown> | undefined;
  const wrapper = e?.RUSTC_WRAPPER;
  if (typeof wrapper !== 'string' || !wrapper.includes('/')) return undefined;
  for (const base of [e?.PWD, cwd]) {
    if (typeof base !== 'string' || !base.startsWith('/')) continue;
    try {
      return dirname(dirname(realpathSync(resolve(base, wrapper))));
    } catch {
      /* no such file from there */
    }
  }
  return undefined;
}

/** A shell's settings as a `stats` reply gives them: those that differ from the daemon's, and those it can't use. */
function shellSettings(own: Record<string, string>, shell: DaemonConfig): { stale: string[]; problems?: string[] } {
  return { stale: settingsDiff(own, shell.settings), ...(shell.problems.length ? { problems: shell.problems } : {}) };
}
