import t from 'tap';
import type { Test } from 'tap';
import { createServer, request } from 'node:http';
import { digestBytes, initHash, type Digest } from '@splitcache/hash';
import { RemoteCache, sealAc, type Compression } from '../src/index.js';
import { listenLoopback, serve } from './serverHelpers.js';

// A proxy in front of `splitcache serve` that labels every answer with a Content-Encoding it did not
// apply (`none`, `binary`, or `gzip`/`deflate` over the bytes as they are stored): a misconfigured
// proxy, but what it passes on is the record or blob. Before, the label was refused before any check:
// a team behind such a proxy missed every hit, with a line naming the coding.

t.before(initHash);

const KEY = 'cd'.repeat(16) as Digest;
const LABELS = ['none', 'binary', 'identity;q=1', 'Plain', 'deflate', 'gzip', 'x-gzip', 'br', 'gzip, deflate', 'compress'];

/** `splitcache serve`, a proxy to it that adds `content-encoding: <label>` to each GET's answer, and clients through each. */
async function behindLabellingProxy(t: Test, compression: Compression) {
  const server = await serve(t);
  const origin = new URL(server.url);
  let label = '';
  const proxy = createServer((req, res) => {
    const up = request({ host: origin.hostname, port: origin.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      const headers = { ...answer.headers, ...(req.method === 'GET' && answer.statusCode === 200 ? { 'content-encoding': label } : {}) };
      res.writeHead(answer.statusCode ?? 502, headers);
      answer.pipe(res);
    });
    req.pipe(up);
  });
  const port = await listenLoopback(t, proxy);
  const options = { timeoutMs: 3000, retries: 0, breakerThreshold: 100, breakerCooldownMs: 60_000, compression };
  const writer = new RemoteCache({ url: server.url, ...options });
  const reader = new RemoteCache({ url: `http://127.0.0.1:${port}`, ...options });
  t.teardown(() => Promise.all([writer.close(), reader.close()]));
  return { writer, reader, label: (l: string) => (label = l) };
}

for (const compression of ['none', 'gzip'] as const) {
  t.test(`a record and a blob (uploaded with compression ${compression}) under a label the proxy did not apply are read and verified`, async (t) => {
    const { writer, reader, label } = await behindLabellingProxy(t, compression);
    const blob = Buffer.from('an object file that compresses well\n'.repeat(300));
    const small = Buffer.from('a small dep-info\n');
    const [digest, smallDigest] = [digestBytes(blob), digestBytes(small)];
    await writer.putBlob(digest, blob);
    await writer.putBlob(smallDigest, small);
    await writer.putInputSet({ key: KEY, crateName: 'c', inputs: ['{cwd}/src/lib.rs'], envDeps: [] });
    for (const l of LABELS) {
      label(l);
      const set = await reader.getInputSet(KEY).catch((e: Error) => e);
      t.same(set instanceof Error ? set.message : set?.inputs, ['{cwd}/src/lib.rs'], `Content-Encoding ${l}: the input set is read`);
      const readable = await reader.readableInputSet(KEY).catch((e: Error) => e);
      t.equal(readable instanceof Error ? readable.message : readable?.record.crateName, 'c', `${l}: and a writer reads it as its own`);
      for (const [d, bytes] of [[digest, blob], [smallDigest, small]] as const) {
        const got = await reader.getBlob(d, bytes.length).catch((e: Error) => e);
        t.ok(Buffer.isBuffer(got) && got.equals(bytes), `${l}: the ${bytes.length}-byte blob is read, its digest checked (${got instanceof Error ? got.message : 'ok'})`);
      }
    }
    t.equal(reader.http.breaker.trips, 0, 'the server is never held at fault');
  });
}

t.test('a record that fails its check as it came and under the coding undone: the line names the coding', async (t) => {
  const { writer, reader, label } = await behindLabellingProxy(t, 'none');
  // A well-formed envelope, of another key: the server stores it, and the reader's check refuses it.
  await writer.http.put(`/ac/${KEY}`, sealAc({ v: 1, kind: 'inputs', key: 'ef'.repeat(16) as Digest, crateName: 'c', inputs: [], envDeps: [] }, undefined));
  label('gzip');
  const err = await reader.getInputSet(KEY).then(() => undefined, (e: { code?: string; message?: string }) => e);
  t.equal(err?.code, 'SPLITCACHE_REMOTE_HTTP');
  t.match(err?.message, /Content-Encoding gzip, but the body is no gzip stream/);
});
