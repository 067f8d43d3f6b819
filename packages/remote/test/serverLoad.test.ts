import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { digestBytes, initHash } from '@splitcache/hash';
import { CacheServer } from '../src/index.js';

// Issue 7, item 6: 200 concurrent connections; the server stays up and its memory stays bounded.
t.before(initHash);

t.test('200 concurrent connections writing and reading blobs', async (t) => {
  const s = await CacheServer.start({ dir: mkdtempSync(join(tmpdir(), 'sc-load-')), host: '127.0.0.1', port: 0 });
  t.teardown(() => s.close(1000));
  const agent = new Agent({ connections: 200, pipelining: 0 });
  t.teardown(() => agent.close());
  const blobs = Array.from({ length: 200 }, (_, i) => Buffer.alloc(64 * 1024, i));
  const rssBefore = process.memoryUsage().rss;
  const rounds = 3;
  let ok = 0;
  for (let r = 0; r < rounds; r++) {
    const codes = await Promise.all(
      blobs.map(async (b) => {
        const url = `${s.url}/cas/${digestBytes(b)}`;
        const put = await request(url, { method: 'PUT', body: b, headers: { 'content-length': String(b.length) }, dispatcher: agent });
        await put.body.dump();
        const get = await request(url, { dispatcher: agent });
        const body = Buffer.from(await get.body.arrayBuffer());
        return put.statusCode < 300 && get.statusCode === 200 && body.equals(b) ? 1 : 0;
      }),
    );
    ok += codes.reduce<number>((a, c) => a + c, 0);
  }
  t.equal(ok, 200 * rounds, `all ${200 * rounds} writes and reads over 200 concurrent connections succeeded`);
  const status = await request(`${s.url}/status`, { dispatcher: agent });
  t.equal(status.statusCode, 200, 'the server is still up');
  const st = (await status.body.json()) as { entries: number };
  t.equal(st.entries, 200, 'each blob stored once');
  const grownMiB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
  t.ok(grownMiB < 150, `memory stayed bounded: rss grew ${grownMiB.toFixed(0)} MiB for ${(200 * rounds * 64) / 1024} MiB moved`);
});
