/**
 * Starting rustc from the client, one process per call that compiles or links.
 *
 * Two implementations. `node:child_process` works on any node. The raw one
 * drives node's own process and pipe handles (the bindings ChildProcess is
 * built on) without the module and stream machinery above them: a cold client
 * pays for loading node:child_process and for running its spawn path, and
 * node:net behind it, for the first time. The bindings are internal API, so
 * the raw spawn is used under the same rules as the raw socket
 * (socketTransport.ts): only on the node majors it was tested on, only if the
 * bindings have the expected shape, never when `--pending-deprecation` would
 * print a warning for them, and never with SPLITCACHE_CLIENT_SPAWN=node.
 */

import { binding, internalBindingsAllowed, pipeBindings, type PipeBindings, type PipeHandle } from './nodeBindings.js';

export type Stdio = (number | 'inherit' | 'pipe' | 'ignore')[];

export interface SpawnEvents {
  stdout?(chunk: Buffer): void;
  stderr?(chunk: Buffer): void;
}

/** How the child ended: `error` if it could not be started at all. */
export interface SpawnEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

/** Runs `file args…` to its end; stdout/stderr chunks go to `ev` where `stdio` says 'pipe'. */
export function spawnProcess(file: string, args: string[], stdio: Stdio, env: NodeJS.ProcessEnv, ev: SpawnEvents = {}): Promise<SpawnEnd> {
  const raw = rawBindings(process.env);
  return raw ? spawnRaw(raw, file, args, stdio, env, ev) : spawnNode(file, args, stdio, env, ev);
}

/** Which implementation spawnProcess uses here. */
export function spawnKind(): 'raw' | 'node' {
  return rawBindings(process.env) ? 'raw' : 'node';
}

function spawnNode(file: string, args: string[], stdio: Stdio, env: NodeJS.ProcessEnv, ev: SpawnEvents): Promise<SpawnEnd> {
  const { spawn } = process.getBuiltinModule('node:child_process');
  return new Promise((res) => {
    const child = spawn(file, args, { stdio, env });
    if (ev.stdout) child.stdout?.on('data', ev.stdout);
    else child.stdout?.resume();
    if (ev.stderr) child.stderr?.on('data', ev.stderr);
    else child.stderr?.resume();
    child.on('error', (error) => res({ code: null, signal: null, error }));
    child.on('close', (code, signal) => res({ code, signal }));
  });
}

interface ProcessHandle {
  spawn(options: unknown): number;
  close(): void;
  onexit?: (exitCode: number, signal: string) => void;
}
type RawBindings = PipeBindings & { Process: new () => ProcessHandle };

let cached: RawBindings | null | undefined;

function rawBindings(env: NodeJS.ProcessEnv): RawBindings | undefined {
  if (cached !== undefined) return cached ?? undefined;
  cached = null;
  if (env.SPLITCACHE_CLIENT_SPAWN === 'node' || !internalBindingsAllowed(env)) return undefined;
  try {
    const pipes = pipeBindings();
    const Process = binding('process_wrap').Process;
    const spawns = typeof Process === 'function' && typeof (Process.prototype as { spawn?: unknown } | undefined)?.spawn === 'function';
    if (pipes && spawns) cached = { ...pipes, Process: Process as RawBindings['Process'] };
  } catch {
    /* node:child_process then */
  }
  return cached ?? undefined;
}

function spawnRaw(b: RawBindings, file: string, args: string[], stdio: Stdio, env: NodeJS.ProcessEnv, ev: SpawnEvents): Promise<SpawnEnd> {
  return new Promise((res) => {
    const pipes: [PipeHandle, ((chunk: Buffer) => void) | undefined][] = [];
    const options = stdio.map((s, fd) => {
      if (s === 'ignore') return { type: 'ignore' };
      if (s === 'inherit') return { type: 'fd', fd };
      if (typeof s === 'number') return { type: 'fd', fd: s };
      const handle = new b.Pipe(b.socketType);
      pipes.push([handle, fd === 1 ? ev.stdout : fd === 2 ? ev.stderr : undefined]);
      return { type: 'pipe', handle };
    });
    const envPairs: string[] = [];
    for (const k in env) if (env[k] !== undefined) envPairs.push(`${k}=${env[k]}`);
    const proc = new b.Process();
    // 'close' as ChildProcess means it: the exit, and the end of every pipe.
    let open = 1 + pipes.length;
    const end: SpawnEnd = { code: null, signal: null };
    const settle = () => {
      if (--open === 0) res(end);
    };
    proc.onexit = (exitCode, signal) => {
      proc.close();
      if (signal) end.signal = signal as NodeJS.Signals;
      else end.code = exitCode;
      settle();
    };
    const err = proc.spawn({ file, args: [file, ...args], envPairs, stdio: options, detached: false, windowsHide: false, windowsVerbatimArguments: false });
    if (err !== 0) {
      proc.close();
      for (const [h] of pipes) h.close();
      res({ code: null, signal: null, error: spawnError(err, file) });
      return;
    }
    for (const [h, sink] of pipes) {
      // A chunk is a view of a buffer node allocated for this read alone; a
      // negative count is the end of the stream or an error.
      h.onread = (buf) => {
        const n = b.state[b.kRead]!;
        if (n > 0 && buf) sink?.(Buffer.from(buf, b.state[b.kOffset]!, n));
        else if (n < 0) {
          h.readStop();
          h.close();
          settle();
        }
      };
      h.readStart();
    }
  });
}

function spawnError(errno: number, file: string): Error {
  let name = `error ${errno}`;
  try {
    name = process.getBuiltinModule('node:util').getSystemErrorName(errno);
  } catch {
    /* the number, then */
  }
  return Object.assign(new Error(`spawn ${file} ${name}`), { code: name, errno });
}
