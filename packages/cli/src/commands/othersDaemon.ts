import { othersSocket, socketPath, socketShown } from '@splitcache/daemon/protocol';

/**
 * When no daemon of `dir` could be reached: whether that is because its socket
 * belongs to another user (a store shared between users, or another user's
 * SPLITCACHE_DIR), whose daemon this user can neither ask nor stop. Answers the
 * line that says so, or undefined. Without it, `server stop` and `server status`
 * said the daemon was not running while it ran.
 */
export function othersDaemon(dir: string): string | undefined {
  let sock: string;
  try {
    sock = socketPath(dir);
  } catch {
    return undefined;
  }
  const owner = othersSocket(sock);
  if (owner === undefined) return undefined;
  return `SPLITCACHE_DAEMON_UNREACHABLE: ${socketShown(sock)} belongs to uid ${owner}, not to this user (uid ${process.getuid?.()}): its daemon can't be reached or stopped from here`;
}
