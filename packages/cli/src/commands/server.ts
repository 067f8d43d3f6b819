import { askDaemon, DAEMON_MAIN, daemonRequest } from './daemonRequest.js';
import { signalDaemon } from '../daemonPid.js';
import { installOf, installOfProcess, isDaemonProcess, storeDir, socketPath } from '@splitcache/daemon/protocol';
import { existsSync, lstatSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readCommandLine, usageError, type CommandSpec } from './flags.js';
import { othersDaemon } from './othersDaemon.js';
import { bundleSkew } from '../bundleSkew.js';

export const SERVER: CommandSpec = {
  name: 'server',
  positionals: 1,
  usage: `usage: splitcache server start|stop|status
The daemon that serves this store (SPLITCACHE_DIR).
  start    start it now, if it isn't running (a build starts it anyway)
  stop     stop it, once its queued uploads are flushed (SPLITCACHE_REMOTE_FLUSH_TIMEOUT);
           the next one takes this shell's settings
  status   whether it runs (the default), the settings in this shell that it lacks, and
           those it can't use (this shell's, then the daemon's own); exit 1 where none
           can start (a store dir that is no directory)
Also spelled --start-server and --stop-server, as in sccache.`,
};

interface StopReply {
  stopping: boolean;
  uploadsLeft?: number;
  /** Why they are left: the fault that kept the last of them, or the flush's time run out. */
  uploadsLeftWhy?: string;
  /** The stopping daemon's pid (daemons since this field came): waited for, as no other daemon is. */
  pid?: number;
  /** A line no build has shown yet (an upload dropped during the flush): printed before the daemon's word. */
  warning?: string;
  /** A daemon found hung, and killed (daemonRequest.ts). */
  error?: string;
}

/** `splitcache server stop|status|start`. */
export async function runServer(args: string[]): Promise<number> {
  const f = readCommandLine(args, SERVER);
  if (typeof f === 'number') return f;
  const sub = f.rest[0] ?? 'status';
  if (sub === 'stop') {
    // The daemon flushes its upload queue (bounded by SPLITCACHE_REMOTE_FLUSH_TIMEOUT) before it answers.
    const dir = storeDir(process.env);
    const r = await askDaemon<StopReply>({ op: 'stop' }, false).catch((): StopReply => ({ stopping: terminate(dir) }));
    if (r?.error) {
      process.stderr.write(`splitcache: ${r.error}\n`);
      return 0;
    }
    let lingers = false;
    if (r?.stopping) {
      // Wait until the daemon has exited, after flushing the stats and closing the index. By its
      // pid where it says it: a build's calls meanwhile start the next daemon, whose socket and
      // pid file are at the same paths, and were waited on for the whole 10 s. An older daemon's
      // pid file and socket go last.
      const pid = r.pid;
      const gone = pid ? () => !isDaemonProcess(pid) : () => !existsSync(socketPath(dir)) && !existsSync(join(dir, 'daemon.pid'));
      for (let i = 0; i < 200 && !gone(); i++) await new Promise((res) => setTimeout(res, 50));
      lingers = pid !== undefined && !gone();
    }
    const others = r?.stopping ? undefined : othersDaemon(dir);
    if (others) {
      process.stderr.write(`splitcache: ${others}\n`);
      return 1;
    }
    if (r?.warning) process.stderr.write(`${r.warning}\n`);
    const left = r?.uploadsLeft ? ` (${r.uploadsLeft} uploads left in the queue for the next daemon${r.uploadsLeftWhy ? `: ${r.uploadsLeftWhy}` : ''})` : '';
    // Still running after 10 s: a call in hand is compiling (a long link, an LTO build), and the daemon ends once it does.
    const stopped = lingers ? `splitcache daemon stopping (pid ${r!.pid}): it ends once the calls in hand end${left}` : `splitcache daemon stopped${left}`;
    process.stdout.write(r?.stopping ? `${stopped}\n` : 'splitcache daemon was not running\n');
    return 0;
  }
  if (sub === 'start' || sub === 'status') {
    const r = await daemonRequest<{ pid?: number; unavailable?: string; error?: string; stale?: string[]; problems?: string[]; debugRaised?: boolean; install?: string }>({ op: 'ping', env: process.env }, sub === 'start');
    // It failed to start, was found hung (and stopped), or went away before it answered.
    if (r?.error) {
      process.stderr.write(`splitcache: ${r.error}\n`);
      return 1;
    }
    const others = r ? undefined : othersDaemon(storeDir(process.env));
    if (others) {
      process.stderr.write(`splitcache: ${others}\n`);
      return 1;
    }
    // None runs, and none can start: say why, as a build's calls and `stats` do.
    const blocked = r ? undefined : notADir(storeDir(process.env));
    if (blocked) {
      process.stdout.write('splitcache daemon not running\n');
      process.stderr.write(`splitcache: SPLITCACHE_DAEMON_UNREACHABLE: ${blocked}\n`);
      return 1;
    }
    // A daemon whose store won't open still answers (every call builds uncached): say why.
    const without = r?.unavailable ? `; store unavailable: ${r.unavailable}` : '';
    process.stdout.write(r?.pid ? `splitcache daemon running (pid ${r.pid}, store ${storeDir(process.env)}${without})\n` : 'splitcache daemon not running\n');
    // Two installs sharing one store: the one whose daemon runs serves the other's calls with its own behaviour.
    // A daemon of before 2026-12-05 names no install in its reply: its command line does (it was one, older, that went unnamed).
    const install = r?.pid ? (r.install ?? installOfProcess(r.pid)) : undefined;
    if (install && install !== installOf(DAEMON_MAIN)) process.stdout.write(`served by another install: ${install} (its behaviour and fixes, not this one's, until \`splitcache server stop\`)\n`);
    // Its bundles built apart: the daemon it starts passes the node client's calls through, and restarts don't mend it.
    // bash's calls through the exec port carry no protocol number, and are served (a helper's check).
    const skew = bundleSkew(DAEMON_MAIN);
    if (skew) process.stdout.write(`${skew} (until then, calls through the node client build uncached)\n`);
    for (const problem of r?.problems ?? []) process.stdout.write(`setting not used: ${problem}\n`);
    if (r?.pid && r.debugRaised) process.stdout.write('logging debug lines to daemon.log: a call with SPLITCACHE_LOG=debug asked for them, until the daemon stops\n');
    // It keeps the settings of the client that started it: name those this shell would change.
    if (r?.pid && r.stale?.length) process.stdout.write(`settings that differ from this shell's: ${r.stale.join(', ')} (\`splitcache server stop\` applies them)\n`);
    return r?.pid || sub === 'status' ? 0 : 1;
  }
  return usageError(SERVER, `unknown server command '${sub}': start, stop or status`);
}

/**
 * Where the store dir is no directory, why, in the words of daemonStart.ts's madeStoreDir (which
 * a start says); nothing is made. Undefined where it is one, or is not there yet.
 */
function notADir(dir: string): string | undefined {
  let what: string | undefined;
  try {
    const st = statSync(dir, { throwIfNoEntry: false });
    const link = st ? undefined : lstatSync(dir, { throwIfNoEntry: false });
    if (st && !st.isDirectory()) what = 'a file is there';
    else if (link?.isSymbolicLink()) what = `a link to ${readlinkSync(dir)}, which is not there, is there`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') what = 'a file is on its path';
  }
  return what && `the store dir ${dir} is not a directory (${what}): set SPLITCACHE_DIR to a directory`;
}

/**
 * Stops a daemon that answers but can't be understood (one of a splitcache
 * speaking another protocol version, say) with SIGTERM, which it handles as
 * `stop`.
 */
function terminate(dir: string): boolean {
  return signalDaemon(dir, 'SIGTERM');
}

