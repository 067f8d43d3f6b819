import t from 'tap';
import { randomBytes } from 'node:crypto';
import { digestBytes, initHash, type Digest } from '@splitcache/hash';
import { CacheServer } from '../src/index.js';
import { tmp } from './serverHelpers.js';

// Eviction drops an item from the index, then removes its file. A PUT of the same blob between the two
// found no item, stored its file, was answered 201, and lost the file to the removal: a 404 to the
// next GET, and a HEAD 404 that had the writer send it again. Eviction and a PUT of one key now take
// turns, as two PUTs of it do: a 2xx to a PUT means the file is there.

t.before(initHash);

const SIZE = 2000;
const BLOBS = 240;
const KEPT = 24;
const ROUNDS = 3;

async function put(url: string, body: Buffer): Promise<number> {
  const r = await fetch(url, { method: 'PUT', body: new Uint8Array(body) });
  await r.arrayBuffer();
  return r.status;
}

t.test(`PUTs of blobs eviction is removing (${BLOBS} blobs, a --max-size of ${KEPT}): after each 2xx, a GET serves the blob`, async (t) => {
  const dir = tmp('sc-evictput-');
  const blobs = Array.from({ length: BLOBS }, () => randomBytes(SIZE));
  const digests: Digest[] = blobs.map((b) => digestBytes(b));
  const lost: string[] = [];
  let answered = 0;
  for (let round = 0; round < ROUNDS; round++) {
    // Stored with no limit, oldest first, then served again with one: the start evicts all but the
    // youngest, in passes of 64 items, while the PUTs below store them again, oldest first.
    const full = await CacheServer.start({ dir, host: '127.0.0.1', port: 0 });
    const stored: number[] = [];
    for (let i = 0; i < BLOBS; i++) stored.push(await put(`${full.url}/cas/${digests[i]}`, blobs[i]!));
    await full.close(1000);
    t.ok(stored.every((s) => s === 201 || s === 204), `round ${round + 1}: ${BLOBS} blobs stored`);
    const s = await CacheServer.start({ dir, host: '127.0.0.1', port: 0, maxSize: KEPT * SIZE });
    let next = 0;
    const worker = async () => {
      while (next < BLOBS) {
        const i = next++;
        const status = await put(`${s.url}/cas/${digests[i]}`, blobs[i]!);
        if (status !== 201 && status !== 204) {
          lost.push(`${i}: PUT ${status}`);
          continue;
        }
        answered++;
        const r = await fetch(`${s.url}/cas/${digests[i]}`);
        const got = Buffer.from(await r.arrayBuffer());
        if (r.status !== 200 || !got.equals(blobs[i]!)) lost.push(`${i}: PUT ${status}, then GET ${r.status}`);
      }
    };
    // Fewer at once than the limit keeps: a blob just stored is among the youngest when it is read.
    await Promise.all(Array.from({ length: 6 }, worker));
    await s.close(1000);
  }
  t.equal(answered, BLOBS * ROUNDS, 'every PUT answered 2xx');
  t.same(lost, [], `each blob a PUT stored is served after its 2xx (${lost.length} lost: ${lost.slice(0, 5).join('; ')})`);
});
