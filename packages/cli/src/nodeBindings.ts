/**
 * node's internal pipe and stream bindings, for the client's raw socket
 * (socketTransport.ts) and raw spawn (processSpawn.ts). They are internal
 * API, so they are used only on the node majors `npm test` ran them on, and
 * never when `--pending-deprecation` would print a warning for
 * `process.binding`.
 */

const TESTED_NODE_MAJORS = [20];

/** Whether this node may use the internal bindings at all. */
export function internalBindingsAllowed(env: NodeJS.ProcessEnv): boolean {
  if (!TESTED_NODE_MAJORS.includes(Number(process.versions.node.split('.')[0]))) return false;
  return !(env.NODE_PENDING_DEPRECATION === '1' || /--pending-deprecation/.test(`${env.NODE_OPTIONS ?? ''} ${process.execArgv.join(' ')}`));
}

/** One internal binding by name; throws where node doesn't have it. */
export function binding(name: string): Record<string, unknown> {
  return (process as unknown as { binding(name: string): Record<string, unknown> }).binding(name);
}

/** A libuv pipe handle, as pipe_wrap makes it. */
export interface PipeHandle {
  readStart(): number;
  readStop(): number;
  close(): void;
  onread?: (buf: ArrayBuffer | undefined) => void;
}

/** The pipe constructor and where a read's byte count and offset are left. */
export interface PipeBindings {
  Pipe: new (type: number) => PipeHandle;
  socketType: number;
  state: Int32Array;
  kRead: number;
  kOffset: number;
}

/** The pipe and stream bindings, if they have the expected shape; throws where they are missing. */
export function pipeBindings(): PipeBindings | undefined {
  const pipe = binding('pipe_wrap');
  const stream = binding('stream_wrap');
  const b = {
    Pipe: pipe.Pipe,
    socketType: (pipe.constants as { SOCKET?: unknown } | undefined)?.SOCKET,
    state: stream.streamBaseState,
    kRead: stream.kReadBytesOrError,
    kOffset: stream.kArrayBufferOffset,
  };
  const shaped = typeof b.Pipe === 'function' && typeof b.socketType === 'number' && b.state instanceof Int32Array && typeof b.kRead === 'number' && typeof b.kOffset === 'number';
  return shaped ? (b as PipeBindings) : undefined;
}
