import type { ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { encodeFrame, FrameReader, socketPath, startFailedPath, writeStartFailed, type ProgressFrame } from '@splitcache/daemon/protocol';
import { openTransport, type Transport } from './socketTransport.js';

/** A request/response connection to the daemon (one frame out, one frame back). */
export class DaemonConnection {
  private readonly reader = new FrameReader();
  private waiting: ((v: unknown) => void) | undefined;
  private onProgress: ((p: ProgressFrame['progress']) => void) | undefined;
  private failed: ((e: Error) => void) | undefined;
  /** Why the connection ended, once it has: every later request fails with it at once. */
  private ended: Error | undefined;
  private transport: Transport | undefined;

  private fail(e: Error): void {
    this.ended ??= e;
    const f = this.failed;
    this.waiting = this.failed = undefined;
    f?.(e);
  }

  private data(chunk: Buffer): void {
    let frames: unknown[];
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      this.transport?.close();
      this.fail(err as Error);
      return;
    }
    for (const f of frames) {
      if (f && typeof f === 'object' && 'progress' in f) {
        this.onProgress?.((f as ProgressFrame).progress);
        continue;
      }
      const w = this.waiting;
      this.waiting = this.failed = undefined;
      w?.(f);
    }
  }

  /**
   * Connects, or resolves undefined if nothing listens. A unix socket's
   * connect succeeds or fails at once (a full backlog is EAGAIN, not a wait),
   * so there is no timer: node's timers cost a cold client about a millisecond.
   */
  static async tryConnect(path: string): Promise<DaemonConnection | undefined> {
    const c = new DaemonConnection();
    c.transport = await openTransport(path, { data: (chunk) => c.data(chunk), end: (e) => c.fail(e) });
    return c.transport ? c : undefined;
  }

  /**
   * Sends one request and waits for its reply. On a connection that already
   * ended (the daemon died while rustc ran, say) it fails at once: a write to
   * a closed socket raises no further event, and a promise left waiting on
   * it would let the process exit as if it had succeeded.
   */
  request<T>(req: unknown, onProgress?: (p: ProgressFrame['progress']) => void): Promise<T> {
    if (this.ended) return Promise.reject(this.ended);
    this.onProgress = onProgress;
    return new Promise<T>((res, rej) => {
      this.waiting = res as (v: unknown) => void;
      this.failed = rej;
      this.transport!.write(encodeFrame(req));
    });
  }

  close(): void {
    this.transport?.close();
  }

  /** Which socket code carries the connection (socketTransport.ts). */
  get kind(): Transport['kind'] | undefined {
    return this.transport?.kind;
  }
}

/**
 * Connects to the store's daemon, starting it if nothing answers; throws if
 * the daemon says it failed to start (its reason is in the error). A spawn
 * lock (`daemon.starting`, create-exclusive, stale after 10 s) keeps a burst
 * of cargo's parallel rustc calls from starting a daemon each; the daemon's
 * own LevelDB lock settles any race that slips through. The daemon removes
 * the spawn lock once it listens.
 */
export async function connectOrStart(dir: string, daemonMain: string, waitMs = 5000): Promise<DaemonConnection | undefined> {
  const sock = socketPath(dir);
  const first = await DaemonConnection.tryConnect(sock);
  if (first) return first;
  // A daemon that failed to start in the last few seconds would fail again: build uncached at once.
  const failed = startFailedPath(dir);
  startFailure(failed, Date.now() - START_RETRY_MS);
  mkdirSync(dir, { recursive: true });
  const t0 = Date.now();
  const child = startDaemon(dir, daemonMain);
  // A failed connect to a unix socket costs microseconds: poll finely, so no
  // call waits long past the moment the daemon listens (60–76 ms after its spawn here).
  while (Date.now() < t0 + waitMs) {
    await new Promise((r) => setTimeout(r, 3));
    const c = await DaemonConnection.tryConnect(sock);
    if (c) return c;
    startFailure(failed, t0 - START_RETRY_MS);
    if (child) diedBeforeListening(child, dir, failed, t0);
  }
  return undefined;
}

/**
 * The daemon this call spawned has ended without listening. Exit code 0 is a
 * daemon that found another one owning the store: that one will answer, so
 * the wait goes on. Any other end (a signal, as from the OOM killer; a crash
 * before the daemon's own error handler runs, as with a broken install) left
 * no reason behind, so this call records one for every client waiting on it
 * and builds uncached at once.
 */
function diedBeforeListening(child: ChildProcess, dir: string, marker: string, spawnedAt: number): void {
  const { exitCode: code, signalCode: signal } = child;
  if (signal === null && (code === null || code === 0)) return;
  // The daemon's own reason, if it wrote one, is better than ours.
  startFailure(marker, spawnedAt - START_RETRY_MS);
  const why = `${signal ? `killed by ${signal}` : `exited with code ${code}`} before it listened (see ${join(dir, 'daemon.log')})`;
  try {
    writeStartFailed(dir, why);
  } catch {
    /* the others time out instead */
  }
  throw Object.assign(new Error(`the daemon failed to start: ${why}`), { code: 'SPLITCACHE_DAEMON_UNREACHABLE' });
}

/** How long a daemon's failed start keeps clients from starting another. */
const START_RETRY_MS = 10_000;

/** Throws SPLITCACHE_DAEMON_UNREACHABLE with the daemon's reason if it failed to start after `since`. */
function startFailure(marker: string, since: number): void {
  let why: string;
  try {
    if (statSync(marker).mtimeMs < since) return;
    why = readFileSync(marker, 'utf8').trim();
  } catch {
    return;
  }
  if (!why) return; // not a reason (the note is written whole): the wait goes on
  throw Object.assign(new Error(`the daemon failed to start: ${why}`), { code: 'SPLITCACHE_DAEMON_UNREACHABLE' });
}

/** Spawns the daemon unless another call holds the spawn lock; returns the child it spawned. */
function startDaemon(dir: string, daemonMain: string): ChildProcess | undefined {
  const lock = join(dir, 'daemon.starting');
  try {
    closeSync(openSync(lock, 'wx'));
  } catch {
    try {
      if (Date.now() - statSync(lock).mtimeMs < 10_000) return undefined; // someone else is starting it
      unlinkSync(lock);
      closeSync(openSync(lock, 'wx'));
    } catch {
      return undefined;
    }
  }
  const log = openSync(join(dir, 'daemon.log'), 'a');
  // The daemon needs extra CA certificates only to reach an https remote; parsing them costs every node start ~80 ms here.
  const env = { ...process.env };
  if (!env.SPLITCACHE_REMOTE?.startsWith('https:')) delete env.NODE_EXTRA_CA_CERTS;
  const { spawn } = loadChildProcess();
  const child = spawn(process.execPath, [daemonMain], { detached: true, stdio: ['ignore', log, log], env });
  // Not kept alive by it, but its exit is still seen while this call polls.
  child.unref();
  closeSync(log);
  return child;
}

/**
 * node:child_process, loaded on first use rather than at start-up: most
 * wrapper calls (a lib hit) never spawn. (Node ≥ 20.16: getBuiltinModule
 * works the same from the CommonJS bundle and from the ESM commands.)
 */
export function loadChildProcess(): typeof import('node:child_process') {
  return process.getBuiltinModule('node:child_process');
}
