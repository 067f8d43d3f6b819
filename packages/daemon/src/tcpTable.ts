/**
 * The socket inode of a loopback connection's far end, found in
 * /proc/net/tcp (procCaller.ts checks that the caller holds it, for callers
 * that send no stat line: those of earlier versions, or that can't read their
 * own /proc). The kernel
 * writes that file anew for every read, one line per socket of the network
 * namespace, TIME_WAIT ones included: each call of a build leaves its
 * connection there for a minute, so a busy machine's table holds thousands
 * of lines, and one read of 9,000 took ~50 ms here. Read once per caller, 64
 * callers at once held the thread pool for a second, every other file
 * operation of the daemon waiting behind them; on a loaded machine, long
 * enough for callers to take the daemon for hung.
 *
 * So reads are shared: a caller waits for the next read that starts after
 * its connection was accepted (a read begun before may not list it), and all
 * callers that arrive while a read runs share the one after it. At most one
 * read runs at a time, and a burst of any size costs two.
 */
import { readFile } from 'node:fs/promises';

type Table = Map<string, string>;

interface Read {
  startedAt: number;
  table: Promise<Table>;
}

let running: Read | undefined;
let queued: Promise<Table> | undefined;
/** For tests: how many times the file was read. */
let reads = 0;

/** The inode of the socket at 127.0.0.1:`callerPort` connected to 127.0.0.1:`execPort`, if listed. */
export async function peerInode(callerPort: number, execPort: number, acceptedAt: number): Promise<string | undefined> {
  return (await tableAfter(acceptedAt)).get(key(callerPort, execPort));
}

export function tableReads(): number {
  return reads;
}

function tableAfter(acceptedAt: number): Promise<Table> {
  if (running && running.startedAt >= acceptedAt) return running.table;
  if (!running) return start();
  // A read is under way that may have begun before this connection: the next one, shared.
  const after = running.table.catch(() => undefined);
  queued ??= after.then(() => {
    queued = undefined;
    return start();
  });
  return queued;
}

function start(): Promise<Table> {
  const read: Read = { startedAt: performance.now(), table: readTable() };
  running = read;
  reads++;
  void read.table.catch(() => undefined).finally(() => {
    if (running === read) running = undefined;
  });
  return read.table;
}

async function readTable(): Promise<Table> {
  const table: Table = new Map();
  for (const line of (await readFile('/proc/net/tcp', 'latin1')).split('\n')) {
    const f = line.trim().split(/\s+/);
    // sl, local address, remote address, …, inode (the tenth field); loopback ends only.
    if (f[1]?.startsWith('0100007F:') && f[2]?.startsWith('0100007F:') && f[9]) table.set(`${f[1]} ${f[2]}`, f[9]);
  }
  return table;
}

function key(callerPort: number, execPort: number): string {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  return `0100007F:${hex(callerPort)} 0100007F:${hex(execPort)}`;
}
