/**
 * Whose a store's socket is. A store shared by several users (SPLITCACHE_DIR
 * in a group-writable directory) is served by one daemon, the first user's: its
 * socket (mode 0600) can't be opened by the others. A daemon another of them
 * started used to remove that socket, which the directory's group write let it
 * do, and listen there itself, unable to open the store (its lock file is the
 * first user's): the first user's own calls then reached neither daemon.
 *
 * Bundled into the client: node builtins only.
 */
import { lstatSync } from 'node:fs';
import { socketShown } from './storeSocket.js';

/** The uid owning the socket at `sock` when it is another user's; undefined if it is this user's, no socket, or absent. */
export function othersSocket(sock: string): number | undefined {
  const uid = process.getuid?.();
  try {
    const st = lstatSync(sock);
    return uid !== undefined && st.isSocket() && st.uid !== uid ? st.uid : undefined;
  } catch {
    return undefined;
  }
}

/** Throws SPLITCACHE_DAEMON_UNREACHABLE naming the owner when `sock` is another user's socket: a daemon must not remove it to listen there. */
export function refuseOthersSocket(sock: string): void {
  const owner = othersSocket(sock);
  if (owner === undefined) return;
  throw Object.assign(new Error(`${socketShown(sock)} belongs to uid ${owner}, not to this user (uid ${process.getuid?.()}): that user's daemon serves this store, and a store is served to one user only`), {
    code: 'SPLITCACHE_DAEMON_UNREACHABLE',
  });
}
