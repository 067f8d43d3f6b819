/**
 * Where a store's daemon listens, and the store's files in the temp dir.
 *
 * The socket is `<store>/daemon.sock`. A unix socket's path is limited to 107 bytes, so a store
 * whose path is longer is reached through a descriptor of its directory, as
 * `/proc/self/fd/<fd>/daemon.sock`: the kernel resolves the descriptor's link to the directory,
 * and the socket is made, and found, in the store dir itself, however deep. Such a store's
 * socket used to be in the temp dir, named by a hash of the store's path, and every way of
 * naming the store that hashed otherwise (a short link to it, a TMPDIR of another value: an
 * editor's, an `[env]` table's) found no daemon there, started a second one, which found the
 * store locked, and every call it took built uncached for as long as the first one ran. Where
 * /proc is not mounted (or not Linux's), the temp dir is used still.
 *
 * Bundled into the client: node builtins only.
 */
import { closeSync, constants, fstatSync, openSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { userTempDir, userTempPath } from './userTempDir.js';

/** Bytes a socket path may take here: 107 a bind takes, less the `.<pid>` of the name it is bound at first (ownedPath.ts). */
const SOCKET_PATH_MAX = 92;

/**
 * The daemon's socket for the store `dir`. Throws (SPLITCACHE_DAEMON_UNREACHABLE) only where the
 * temp dir must be used and its directory belongs to someone else (userTempDir.ts).
 */
export function socketPath(dir: string): string {
  const p = join(dir, 'daemon.sock');
  if (Buffer.byteLength(p) < 100) return p;
  // A long spelling (a link, a trailing slash) of a store whose real path is short: the socket there.
  const real = storeRealPath(dir);
  const inStore = join(real, 'daemon.sock');
  if (Buffer.byteLength(inStore) < 100) return inStore;
  const fd = dirDescriptor(real);
  if (fd !== undefined) return `/proc/self/fd/${fd}/daemon.sock`;
  // A store not made yet has no daemon to connect to (daemonStart.ts asks again once it has made it).
  return dirExists(real) ? tempSocket(real) : inStore;
}

/** `sock` as a user reads it: the store dir's path in place of a `/proc/self/fd/<fd>`. */
export function socketShown(sock: string): string {
  return sock.startsWith('/proc/self/fd/') ? pathsShownIn(sock) : sock;
}

/** `text` (an error's message) with each `/proc/self/fd/<fd>` in it named by the directory that descriptor is of. */
export function pathsShownIn(text: string): string {
  return text.replace(/\/proc\/self\/fd\/(\d+)/g, (whole, fd: string) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return whole;
    }
  });
}

/**
 * The sockets a daemon of splitcache before this scheme listened at for the deep store `dir`: in
 * the temp dir, named by a hash of its real path (or of the path as spelled, earlier still). A
 * daemon found there is asked to give the store up (main.ts), where it kept the calls of an
 * upgraded install from reaching any daemon until it idled out.
 */
export function legacySockets(dir: string): string[] {
  // Named without making the dirs they would be in (userTempDir makes its own): `server status` of
  // a deep store left an empty splitcache-<uid> in two temp dirs (a review's find). A socket found
  // there is connected to only if it is this user's (othersSocket), or its daemon's (legacyDaemon.ts).
  const found = new Set<string>();
  for (const named of [storeRealPath(dir), dir]) {
    found.add(tempSocket(named, userTempPath));
    found.add(join(userTempPath('/tmp'), hashedName(named, 'sock')));
  }
  return [...found];
}

/** The socket in the temp dir, named by a hash of `named`; in /tmp's where the temp dir's path is too long. `dirOf`: userTempDir, or userTempPath to make nothing. */
function tempSocket(named: string, dirOf: (base?: string) => string = userTempDir): string {
  const name = hashedName(named, 'sock');
  const inTemp = join(dirOf(), name);
  return Buffer.byteLength(inTemp) < SOCKET_PATH_MAX ? inTemp : join(dirOf('/tmp'), name);
}

/**
 * Descriptors of store dirs, open for the process's life: a socket path naming one is used after
 * this returns (a daemon removes its socket by it on stopping), so none is ever closed. One is
 * opened anew where its directory was removed or replaced since (a store cleared while a long
 * `splitcache cargo` ran).
 */
const descriptors = new Map<string, number>();
let procFds: boolean | undefined;

function dirDescriptor(real: string): number | undefined {
  const held = descriptors.get(real);
  if (held !== undefined && sameDir(held, real)) return held;
  let fd: number;
  try {
    fd = openSync(real, constants.O_RDONLY | constants.O_DIRECTORY);
  } catch {
    return undefined;
  }
  try {
    procFds ??= statSync(`/proc/self/fd/${fd}`).isDirectory();
  } catch {
    procFds = false;
  }
  if (!procFds) {
    closeSync(fd);
    return undefined;
  }
  descriptors.set(real, fd);
  return fd;
}

function sameDir(fd: number, path: string): boolean {
  try {
    const a = fstatSync(fd);
    const b = statSync(path);
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}

function dirExists(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * A store dir's path with its links resolved: of the nearest part that exists, where it does not
 * (a store not yet made). (prefixes.ts's realPathOf takes a path that is not there as it is.)
 */
export function storeRealPath(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(storeRealPath(parent), basename(path));
  }
}

/** A store's file in this user's own directory in the temp dir (userTempDir.ts), named by a hash of the store's path. */
export function tempFileFor(dir: string, ext: string): string {
  return join(userTempDir(), hashedName(dir, ext));
}

function hashedName(dir: string, ext: string): string {
  return `${fnv1a(dir, 0x811c9dc5)}${fnv1a(dir, 0x01000193)}.${ext}`;
}

/** A small string hash, so the client need not load node:crypto for a file name. */
function fnv1a(s: string, seed: number): string {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
