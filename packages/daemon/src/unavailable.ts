import { createServer } from 'node:net';
import { refuseOthersSocket } from './socketOwner.js';
import { socketAnswers } from './socketAnswers.js';
import { listenOwnSocket, type OwnedPath } from './ownedPath.js';
import { oneLine } from '@splitcache/errors';
import { encodeFrame, FrameReader, settingValue, type CompilePlan, type Request } from './protocol.js';
import { crateNameOfCall } from '@splitcache/rustc';
import type { AuditEvent } from '@splitcache/store';

/** How long a daemon without its store keeps answering before it exits, so a later call tries the store again. */
export const UNAVAILABLE_LIFETIME_MS = 30_000;
/** How often a daemon without its store looks whether what kept it away has ended. */
const OVER_CHECK_MS = 250;

/**
 * What a daemon does when its store won't open (a full disk, a store
 * directory it can't write): it listens anyway and tells every compile to
 * build uncached. Without it each rustc call of the build would wait the
 * client's start timeout for a daemon that never comes. The reason is shown
 * once per daemon, so once per build or per `lifetimeMs`; other requests
 * (stats, gc, …) get it as their error.
 */
export async function serveUnavailable(sock: string, why: unknown, lifetimeMs = UNAVAILABLE_LIFETIME_MS, over?: () => boolean): Promise<boolean> {
  const reason = oneLine(why);
  let warned = false;
  // Each call told to build uncached, for `splitcache cargo`'s summary: with no audit log to read, a
  // build of such calls ended with no summary line at all (a helper's full-disk check).
  const told: AuditEvent[] = [];
  const answer = (req: Request): unknown => {
    switch (req?.op) {
      case 'compile': {
        const plan: CompilePlan = { action: 'passthrough', reason: 'store-unavailable' };
        if (!warned) plan.warning = `${reason} (building uncached)`;
        warned = true;
        const crate = Array.isArray(req.argv) ? crateNameOfCall(req.argv) : '';
        if (told.length < 100_000) told.push({ time: Date.now(), session: settingValue(req.env ?? {}, 'SPLITCACHE_SESSION') ?? '', crate, crateType: '', outcome: 'passthrough', reason: 'store-unavailable' });
        return plan;
      }
      case 'audit':
        return { events: told.filter((e) => e.time >= (req.since ?? 0) && (!req.session || e.session === req.session)) };
      case 'ping':
        return { pong: true, pid: process.pid, unavailable: reason };
      case 'stop':
        setImmediate(() => void stop());
        return { stopping: true, uploadsLeft: 0, pid: process.pid };
      default:
        return { error: reason };
    }
  };
  const server = createServer((c) => {
    const reader = new FrameReader();
    c.on('data', (chunk) => {
      try {
        for (const f of reader.push(chunk)) c.write(encodeFrame(answer(f as Request)));
      } catch {
        c.destroy();
      }
    });
    c.on('error', () => undefined);
  });
  let sockFile: OwnedPath | undefined;
  const stop = async () => {
    await new Promise<void>((res) => server.close(() => res()));
    // By path, it removed the socket of the daemon started meanwhile (a call that came once the
    // close began), as a stopping daemon's did before ownedPath.ts (a review's find).
    sockFile?.removeIfOwn();
    process.exit(0);
  };
  refuseOthersSocket(sock);
  // A daemon answers there already (one serving the store, or another without it, which has told
  // its calls why): the socket stays its own. Taken over, the calls of one build were each told
  // the reason once per daemon, so twice, and a serving daemon lost its calls for 30 s.
  if (await socketAnswers(sock)) return false;
  // As the daemon's own (ownedPath.ts): bound at the socket's path under the user's umask, it was
  // open to a group sharing the store until the chmod, and its stop removed a newer daemon's socket.
  sockFile = await listenOwnSocket(server, sock);
  setTimeout(() => void stop(), lifetimeMs).unref();
  // What kept the store away may end sooner (the daemon before this one, finishing its calls):
  // then this one goes, and the next call starts one that opens the store.
  if (over) setInterval(() => over() && void stop(), OVER_CHECK_MS).unref();
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  return true;
}
