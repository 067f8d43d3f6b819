import t from 'tap';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Agent, request } from 'undici';
import { digestBytes, initHash } from '@splitcache/hash';

// Issue 7, item 6: 200 concurrent connections; the server stays up and its memory stays bounded.
t.before(initHash);

interface Memory {
  rss: number;
  maxRss: number;
}

const MiB = 2 ** 20;

t.test('200 concurrent connections writing and reading blobs', async (t) => {
  // The server runs in its own process: in this one its memory would be mixed with the 200 clients'.
  const child = spawn(process.execPath, [join(import.meta.dirname, 'loadServerChild.js'), t.testdir()], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => String((await lines.next()).value);
  t.teardown(() => void child.stdin.end());
  const url = await next();
  const memory = async (): Promise<Memory> => {
    child.stdin.write('\n');
    return JSON.parse(await next()) as Memory;
  };
  const agent = new Agent({ connections: 200, pipelining: 0 });
  t.teardown(() => agent.close());
  const blobs = Array.from({ length: 200 }, (_, i) => Buffer.alloc(64 * 1024, i));
  const round = async () => {
    const codes = await Promise.all(
      blobs.map(async (b) => {
        const u = `${url}/cas/${digestBytes(b)}`;
        const put = await request(u, { method: 'PUT', body: b, headers: { 'content-length': String(b.length) }, dispatcher: agent });
        await put.body.dump();
        const get = await request(u, { dispatcher: agent });
        const body = Buffer.from(await get.body.arrayBuffer());
        return put.statusCode < 300 && get.statusCode === 200 && body.equals(b) ? 1 : 0;
      }),
    );
    return codes.reduce<number>((a, c) => a + c, 0);
  };
  const idle = await memory();
  // The first rounds warm the server's allocator and JIT; later rounds must not keep adding to it.
  const warmup = 2;
  const rounds = 8;
  let ok = 0;
  let warm: Memory | undefined;
  for (let r = 0; r < rounds; r++) {
    ok += await round();
    if (r === warmup - 1) warm = await memory();
  }
  const end = await memory();
  t.equal(ok, 200 * rounds, `all ${200 * rounds} writes and reads over 200 concurrent connections succeeded`);
  const status = await request(`${url}/status`, { dispatcher: agent });
  t.equal(status.statusCode, 200, 'the server is still up');
  const st = (await status.body.json()) as { entries: number };
  t.equal(st.entries, 200, 'each blob stored once');
  const moved = (200 * rounds * 2 * 64 * 1024) / MiB;
  // Measured here: 1–29 MiB after warm-up, 40–71 MiB peak over idle. A server that kept each
  // request's body would add 6 × 25 MiB after warm-up alone.
  const grown = (end.rss - warm!.rss) / MiB;
  t.ok(grown < 48, `no memory kept per request: rss grew ${grown.toFixed(0)} MiB over ${rounds - warmup} rounds after warm-up (${moved} MiB moved in all)`);
  t.ok(end.maxRss - idle.rss < 160 * MiB, `peak rss ${(end.maxRss / MiB).toFixed(0)} MiB, ${((end.maxRss - idle.rss) / MiB).toFixed(0)} MiB over idle`);
  t.comment(`server rss: idle ${(idle.rss / MiB).toFixed(0)} MiB, after warm-up ${(warm!.rss / MiB).toFixed(0)}, at the end ${(end.rss / MiB).toFixed(0)}`);
});
