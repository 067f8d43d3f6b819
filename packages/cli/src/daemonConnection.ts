import { encodeFrame, FrameReader, GRACE_MS, SILENCE_MS, type ProgressFrame } from '@splitcache/daemon/protocol';
import { BUSY_MAX_MS, silentWhy, workedBetween, type DaemonSample } from './daemonWatch.js';
import { openTransport, type Transport } from './socketTransport.js';

/** A request failed because the daemon sent nothing, not even `alive`, for SILENCE_MS (protocol.ts), or BUSY_MAX_MS if it worked all along; `onSilent` has run. */
export class DaemonSilent extends Error {
  readonly code = 'SPLITCACHE_DAEMON_UNRESPONSIVE';
  constructor(ms = SILENCE_MS, why?: string) {
    super(`the daemon sent nothing for ${Math.round(ms / 1000)} s${why ? ` (${why})` : ''}, and was stopped`);
  }
}

/** A request/response connection to the daemon (one frame out, one frame back). */
export class DaemonConnection {
  private readonly reader = new FrameReader();
  private waiting: ((v: unknown) => void) | undefined;
  private onProgress: ((p: ProgressFrame['progress']) => void) | undefined;
  private failed: ((e: Error) => void) | undefined;
  /** Why the connection ended, once it has: every later request fails with it at once. */
  private ended: Error | undefined;
  private transport: Transport | undefined;
  /** Runs while a request waits; any frame from the daemon restarts it. */
  private silence: NodeJS.Timeout | undefined;
  /** Audit events sent ahead of the reply (`eventsPart` frames: protocol.ts, AUDIT_PART), joined to its `events`. */
  private parts: unknown[][] = [];
  /** Chunks read from the daemon so far. */
  private heard = 0;
  /** Called when the daemon is found hung, before the request fails (the client stops it: daemonPid.ts). */
  onSilent: (() => void) | undefined;
  /** The daemon as /proc shows it (daemonWatch.ts): one seen working while silent is waited for, up to BUSY_MAX_MS. */
  sample: (() => DaemonSample | undefined) | undefined;

  private fail(e: Error): void {
    this.ended ??= e;
    const f = this.failed;
    this.settle();
    f?.(e);
  }

  private settle(): void {
    this.waiting = this.failed = undefined;
    clearTimeout(this.silence);
    this.silence = undefined;
  }

  private data(chunk: Buffer): void {
    this.heard++;
    let frames: unknown[];
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      this.transport?.close();
      this.fail(err as Error);
      return;
    }
    for (const f of frames) {
      if (f && typeof f === 'object' && ('alive' in f || 'progress' in f)) {
        this.silence?.refresh();
        if ('progress' in f) this.onProgress?.((f as ProgressFrame).progress);
        continue;
      }
      if (f && typeof f === 'object' && 'eventsPart' in f && Array.isArray(f.eventsPart)) {
        this.silence?.refresh();
        this.parts.push(f.eventsPart);
        continue;
      }
      if (this.parts.length > 0 && f && typeof f === 'object' && 'events' in f && Array.isArray(f.events)) {
        (f as { events: unknown[] }).events = this.parts.flat().concat(f.events);
        this.parts = [];
      }
      const w = this.waiting;
      this.settle();
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
   * it would let the process exit as if it had succeeded. A daemon that
   * sends nothing for SILENCE_MS meanwhile fails it with DaemonSilent.
   */
  request<T>(req: unknown, onProgress?: (p: ProgressFrame['progress']) => void): Promise<T> {
    if (this.ended) return Promise.reject(this.ended);
    this.onProgress = onProgress;
    return new Promise<T>((res, rej) => {
      this.waiting = res as (v: unknown) => void;
      this.failed = rej;
      // Silence waited through so far while the daemon was seen working, and `heard` when it was last counted.
      let waited = 0;
      let quiet = this.heard;
      this.silence = setTimeout(() => {
        // Silence for SILENCE_MS - GRACE_MS as this process's clock counts it. That clock runs on
        // while the process gets no CPU (a loaded machine) or the machine is paused (a VM's host
        // busy, a laptop asleep), and a due timer runs before the socket is read: frames may be
        // waiting, or the daemon, paused too, may not have run yet. It has GRACE_MS more, and
        // what it does meanwhile is watched (daemonWatch.ts).
        const heard = this.heard;
        if (heard !== quiet) waited = 0;
        quiet = heard;
        const before = this.sample?.();
        setTimeout(() => {
          if (this.failed !== rej) return;
          // Heard from meanwhile (a part of a frame counts): another wait.
          if (this.heard !== heard) return void this.silence?.refresh();
          const after = this.sample?.();
          const worked = workedBetween(before, after);
          waited += SILENCE_MS;
          if (worked && waited < BUSY_MAX_MS) return void this.silence?.refresh();
          this.onSilent?.();
          this.fail(new DaemonSilent(waited, silentWhy(after, worked)));
          this.transport?.close();
        }, GRACE_MS);
      }, SILENCE_MS - GRACE_MS);
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
