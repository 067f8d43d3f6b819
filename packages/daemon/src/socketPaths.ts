import { realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { tempFileFor } from './protocol.js';
import { userTempDir } from './userTempDir.js';

/**
 * The daemon's socket, as a client reaches it. Unix socket paths are limited to 107 bytes: a
 * store dir of a short path has it there (`<dir>/daemon.sock`: the socket itself, or a link to it
 * where the daemon binds elsewhere, daemonSocketPath), and bin/splitcache looks for it there too;
 * a deep one, where the daemon binds it. Throws (SPLITCACHE_DAEMON_UNREACHABLE) when the temp
 * dir's splitcache-<uid> belongs to someone else.
 */
export function socketPath(dir: string): string {
  const p = join(dir, 'daemon.sock');
  return Buffer.byteLength(p) < 100 ? p : daemonSocketPath(dir);
}

/**
 * Where the daemon binds its socket: named by the store's real path, so that every spelling of
 * the store (`<dir>/`, a link to it, a link above it) reaches one daemon. In the store dir where
 * its real path is short; else in this user's own directory in the temp dir (userTempDir.ts),
 * named by a hash of that path, with a link to it at `<dir>/daemon.sock` (server.ts). Named by the
 * path as spelled, a deep store's `<dir>/` or a link to it found no daemon at the other spelling's
 * socket, started a second, which found the store locked, and every call it took built uncached
 * (hunting and review helpers' repros).
 */
export function daemonSocketPath(dir: string): string {
  const real = realPathOf(dir);
  const inStore = join(real, 'daemon.sock');
  if (Buffer.byteLength(inStore) < 100) return inStore;
  const inTemp = tempFileFor(real, 'sock');
  // Bound as `<socket>.<pid>` (server.ts), within the 107 bytes a socket's path may have: a long
  // TMPDIR's was cut short, and no daemon could start.
  return Buffer.byteLength(inTemp) < 92 ? inTemp : join(userTempDir('/tmp'), basename(inTemp));
}

/** `path` with its links resolved: of the nearest part that exists, where it does not (a store not yet made). */
export function realPathOf(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(realPathOf(parent), basename(path));
  }
}
