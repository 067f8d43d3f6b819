/**
 * The byte stream under a DaemonConnection: a unix-socket connection that
 * delivers chunks and reports its end once.
 *
 * Two implementations. `node:net` works on any node. The raw pipe drives
 * node's own libuv pipe handle (the binding `net.Socket` is built on) without
 * the stream machinery above it: for a cold client, loading `node:net` and
 * running its connect, write and read paths for the first time cost about
 * 7 ms of a lib hit's 11 ms between its first and last line (measured here:
 * connect plus one request and reply, 10.3 ms through node:net against
 * 3.4 ms raw, p50 of 40 alternating fresh processes). The binding is internal
 * API, so the raw pipe is used only on the node majors it was tested on, only
 * if the binding has the expected shape, never when `--pending-deprecation`
 * would print a warning for it, and never with SPLITCACHE_CLIENT_SOCKET=net.
 */

import { binding, internalBindingsAllowed, pipeBindings, type PipeBindings, type PipeHandle } from './nodeBindings.js';

export interface TransportEvents {
  data(chunk: Buffer): void;
  /** Called once, when the connection has ended for any reason. */
  end(err: Error): void;
}

export interface Transport {
  readonly kind: 'raw' | 'net';
  write(frame: Buffer): void;
  close(): void;
}

/** Connects to the unix socket at `path`; undefined if nothing listens there. */
export function openTransport(path: string, ev: TransportEvents, env: NodeJS.ProcessEnv = process.env): Promise<Transport | undefined> {
  const raw = rawPipeBindings(env);
  return raw ? openRawPipe(raw, path, ev) : openNet(path, ev);
}

export function closedError(what = 'daemon closed the connection'): Error {
  return Object.assign(new Error(what), { code: 'SPLITCACHE_DAEMON_UNREACHABLE' });
}

function openNet(path: string, ev: TransportEvents): Promise<Transport | undefined> {
  const { connect } = process.getBuiltinModule('node:net');
  return new Promise((res) => {
    const s = connect(path);
    s.once('error', () => res(undefined));
    s.once('connect', () => {
      let ended = false;
      const end = (e: Error) => {
        if (ended) return;
        ended = true;
        ev.end(e);
      };
      s.on('data', ev.data);
      s.on('error', end);
      s.on('close', () => end(closedError()));
      res({
        kind: 'net',
        write: (frame) => void s.write(frame),
        close: () => {
          s.end();
          s.unref();
        },
      });
    });
  });
}

interface Req {
  oncomplete?: (status: number) => void;
  handle?: unknown;
  buffer?: Buffer;
}
type RawPipe = PipeHandle & { connect(req: Req, path: string): number; writeBuffer(req: Req, data: Buffer): number };
type RawBindings = Omit<PipeBindings, 'Pipe'> & { Pipe: new (type: number) => RawPipe; PipeConnectWrap: new () => Req; WriteWrap: new () => Req };

function rawPipeBindings(env: NodeJS.ProcessEnv): RawBindings | undefined {
  if (env.SPLITCACHE_CLIENT_SOCKET === 'net' || !internalBindingsAllowed(env)) return undefined;
  try {
    const pipes = pipeBindings();
    const PipeConnectWrap = binding('pipe_wrap').PipeConnectWrap;
    const WriteWrap = binding('stream_wrap').WriteWrap;
    if (!pipes || typeof PipeConnectWrap !== 'function' || typeof WriteWrap !== 'function') return undefined;
    return { ...pipes, PipeConnectWrap, WriteWrap } as RawBindings;
  } catch {
    return undefined;
  }
}

function openRawPipe(b: RawBindings, path: string, ev: TransportEvents): Promise<Transport | undefined> {
  return new Promise((res) => {
    const handle = new b.Pipe(b.socketType);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      handle.readStop();
      handle.close();
    };
    const end = (e: Error) => {
      if (closed) return;
      close();
      ev.end(e);
    };
    const req = new b.PipeConnectWrap();
    // A chunk is a view of a buffer node allocated for this read alone; a
    // negative count is the end of the stream or an error.
    handle.onread = (buf) => {
      const n = b.state[b.kRead]!;
      if (n > 0 && buf) ev.data(Buffer.from(buf, b.state[b.kOffset]!, n));
      else if (n < 0) end(closedError());
    };
    req.oncomplete = (status) => {
      if (status < 0 || handle.readStart() !== 0) {
        close();
        res(undefined);
        return;
      }
      res({
        kind: 'raw',
        write: (frame) => {
          if (closed) return;
          const w = new b.WriteWrap();
          w.handle = handle;
          // libuv writes what the socket doesn't take at once later, from this very memory: the
          // request holds the frame until then, or a collection frees it under the write (as
          // node's own streams keep `req.buffer`).
          w.buffer = frame;
          w.oncomplete = (s) => {
            if (s < 0) end(closedError(`writing to the daemon failed (${s})`));
          };
          const err = handle.writeBuffer(w, frame);
          if (err !== 0) end(closedError(`writing to the daemon failed (${err})`));
        },
        close,
      });
    };
    if (handle.connect(req, path) !== 0) {
      close();
      res(undefined);
    }
  });
}
