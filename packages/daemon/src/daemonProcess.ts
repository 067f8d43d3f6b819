import { readFileSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The pid in a store's daemon.pid, if it names a running splitcache daemon:
 * a stale pid file may name an unrelated process by now, and an empty one
 * reads as 0, which process.kill takes for the caller's whole process group.
 */
export function runningDaemonPid(dir: string): number | undefined {
  try {
    // Only a daemon.pid of this user's: in a store dir others may write, theirs could name any
    // process of this user's to be signalled as a hung daemon (as bin/splitcache checks it).
    const file = join(dir, 'daemon.pid');
    if (process.getuid && statSync(file).uid !== process.getuid()) return undefined;
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 1) return undefined;
    return isDaemonProcess(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `pid` is a splitcache daemon that runs (a zombie's, or a gone process's, /proc shows no command line). */
export function isDaemonProcess(pid: number): boolean {
  try {
    return /daemon[/\\].*main\.[cm]?js/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * The install of the running daemon `pid`, from the entry file its command line names (an absolute
 * path, as every starter gives it); undefined where /proc can't tell. For a daemon whose ping reply
 * names none: one of a splitcache before 2026-12-05 (af7b948).
 */
export function installOfProcess(pid: number): string | undefined {
  try {
    const main = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').find((a) => a.startsWith('/') && /daemon[/\\].*main\.[cm]?js$/.test(a));
    return main === undefined ? undefined : installOf(main);
  } catch {
    return undefined;
  }
}

/** The install a daemon entry file (`<install>/packages/daemon/dist/bundle/main.cjs`) belongs to, every link resolved. */
export function installOf(daemonMain: string): string {
  let file = daemonMain;
  try {
    file = realpathSync(daemonMain);
  } catch {
    /* as given */
  }
  return resolve(file, '../../../../..');
}

/**
 * Whether a daemon started with `env` may make a TLS connection: a remote is set, and it or a
 * proxy variable names https anywhere. The URL parser takes ` https://…` (a leading blank), and
 * an http remote may go through an https proxy; a daemon started for either without the user's
 * NODE_EXTRA_CA_CERTS failed every lookup on a certificate signed by a private CA. As bin/splitcache's test; the
 * daemon compares the certificates it has with a call's where it does (config.ts).
 */
export function speaksTls(env: NodeJS.ProcessEnv): boolean {
  if (!env.SPLITCACHE_REMOTE) return false;
  return [env.SPLITCACHE_REMOTE, env.https_proxy, env.HTTPS_PROXY, env.http_proxy, env.HTTP_PROXY, env.all_proxy, env.ALL_PROXY].some((v) => /https:/i.test(v ?? ''));
}
