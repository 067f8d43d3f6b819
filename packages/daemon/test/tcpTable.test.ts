import t from 'tap';
import { connect, createServer, type Socket } from 'node:net';
import { readlinkSync, readdirSync } from 'node:fs';
import { peerInode, tableReads } from '../src/tcpTable.js';

// The exec port's check that a caller holds its connection reads /proc/net/tcp
// (procCaller.ts). A burst of callers shares reads: 64 at once cost two, where
// each used to read the whole table itself.

/** The inode of each socket this process holds. */
function ownSockets(): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      /* closed meanwhile */
    }
  }
  return inodes;
}

t.test('64 connections accepted at once: each far end is found, in two reads of the table', async (t) => {
  const accepted: Array<{ c: Socket; at: number }> = [];
  const server = createServer((c) => accepted.push({ c, at: performance.now() }));
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const port = (server.address() as { port: number }).port;
  const clients = await Promise.all(
    Array.from({ length: 64 }, () => new Promise<Socket>((res) => { const s = connect(port, '127.0.0.1', () => res(s)); })),
  );
  while (accepted.length < 64) await new Promise((r) => setTimeout(r, 5));
  t.teardown(() => {
    for (const s of clients) s.destroy();
    server.close();
  });
  const before = tableReads();
  const inodes = await Promise.all(accepted.map(({ c, at }) => peerInode(c.remotePort!, port, at)));
  t.equal(tableReads() - before, 1, 'all 64 shared one read (none was under way before them)');
  const mine = ownSockets();
  t.equal(inodes.filter((i) => i !== undefined && mine.has(i)).length, 64, "every connection's far end found, a socket this process holds");
  t.equal(new Set(inodes).size, 64, 'each its own');
  t.equal(await peerInode(1, port, performance.now()), undefined, 'a port with no connection has none');
});

t.test('a connection accepted while a read runs waits for the next read, which it shares with the others that came meanwhile', async (t) => {
  const accepted: Array<{ c: Socket; at: number }> = [];
  const server = createServer((c) => accepted.push({ c, at: performance.now() }));
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const port = (server.address() as { port: number }).port;
  const clients: Socket[] = [];
  t.teardown(() => {
    for (const s of clients) s.destroy();
    server.close();
  });
  const open = async (n: number) => {
    const from = accepted.length;
    for (let i = 0; i < n; i++) clients.push(await new Promise<Socket>((res) => { const s = connect(port, '127.0.0.1', () => res(s)); }));
    while (accepted.length < from + n) await new Promise((r) => setTimeout(r, 5));
    return accepted.slice(from);
  };
  const first = await open(1);
  const before = tableReads();
  const earlier = peerInode(first[0]!.c.remotePort!, port, first[0]!.at);
  // Accepted after that read began: it may not list them.
  const later = await open(8);
  const found = await Promise.all([earlier, ...later.map(({ c, at }) => peerInode(c.remotePort!, port, at))]);
  t.equal(tableReads() - before, 2, 'two reads: the one under way, and one shared by the eight after it');
  t.notOk(found.includes(undefined), 'and all nine found');
});
