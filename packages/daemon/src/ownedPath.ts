/**
 * A file this daemon put in its store dir (the socket, exec.port), removed when
 * the daemon stops only if the file at that path is still the one it made. A
 * store removed while its daemon ran (`rm -rf ~/.cache/splitcache`, a `cargo
 * clean` of a target dir that held it) is made again by the next call, whose
 * new daemon puts its own socket and exec.port at the same paths. The old
 * daemon, stopping later (its idle timeout, or storeHome.ts), removed them by
 * path: the new daemon, which holds the new index's lock, was then reached by
 * no call, and every daemon started after it found the index locked, so
 * builds went uncached until it idled out.
 */
import { unlinkSync, type BigIntStats } from 'node:fs';
import { chmod, rename, rm } from 'node:fs/promises';
import type { Server } from 'node:net';
import { FILE_IDENTITY, StartStamp } from './startStamp.js';
import { pathsShownIn } from './storeSocket.js';

/**
 * The identity of a file this daemon made: its device and inode, and its ctime, which a file made
 * since at the path has anew even where it got the old one's inode number (handed straight back by
 * ext4 and tmpfs: the remade store's exec.port or socket had the old one's inode most times, and the
 * old daemon removed it, CI on 1a2c506). Nothing changes these files' ctime once they are in place.
 */
const OWN_FILE = (st: BigIntStats) => `${FILE_IDENTITY(st)}:${st.ctimeNs}`;

export class OwnedPath {
  private readonly stamp: StartStamp;

  constructor(readonly path: string) {
    this.stamp = new StartStamp(path, OWN_FILE);
  }

  /** Removes the file if it is the one found at construction; leaves another (or none) alone. */
  removeIfOwn(): void {
    if (!this.stamp.foundAtStart || this.stamp.changed()) return;
    try {
      unlinkSync(this.path);
    } catch {
      // gone meanwhile: nothing to remove
    }
  }
}

/**
 * Has `server` listen on the socket `sock` (a daemon's, or the stand-in's while the store won't
 * open), as a file of this daemon's own: bound at a name of its own (`<sock>.<pid>`) under umask
 * 0177, then renamed into place. Bound under the user's umask (002 in a store a group shares,
 * 000), it was open to the group, or to all, until a chmod, and a connection made then outlived
 * it: another user who watched for the name got answers from the daemon, and a `compile` of theirs
 * planted a crate in this user's cache (a helper's repro). Bound at `sock` itself, node's server
 * would remove that path when it closes, whatever is there by then: a newer daemon's socket (a
 * store removed and made again while this one ran). node binds within listen(), before it returns.
 */
export async function listenOwnSocket(server: Server, sock: string): Promise<OwnedPath> {
  const own = `${sock}.${process.pid}`;
  // node cuts a longer path short, and would bind elsewhere (a deep store not made: storeSocket.ts).
  if (Buffer.byteLength(own) > 107) throw new Error(`the socket path ${own} is too long for a unix socket (107 bytes)`);
  await rm(own, { force: true });
  try {
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      const umask = process.umask(0o177);
      try {
        server.listen(own, () => res());
      } finally {
        process.umask(umask);
      }
    });
    await chmod(own, 0o600).catch(() => undefined);
    await rename(own, sock);
  } catch (err) {
    await rm(own, { force: true });
    // A deep store's socket is named through a descriptor of this process (storeSocket.ts): the
    // error names the store dir instead, for the start note a user reads.
    if (err instanceof Error) err.message = pathsShownIn(err.message);
    throw err;
  }
  return new OwnedPath(sock);
}
