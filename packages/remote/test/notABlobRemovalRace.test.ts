import t from 'tap';
import { readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { digestBytes, initHash } from '@splitcache/hash';
import { serve, tmp } from './serverHelpers.js';

// A GET that finds something other than the blob under its name (a directory, a link that loops, a
// file of another size) removes it, so a PUT writes the blob anew. That removal did not take the
// key's turn: a PUT of the blob that renamed its file into place between the GET's look and its
// removal was answered 201, and its file was removed behind it (a 404 to the next GET; 2 of 1,500
// rounds with a directory under the name, in a helper's hunt). Forced here with a file of another
// size that is a gzip stream expanding to 512 MiB of zeros: the GET checks whether it holds the blob
// in its other form (holdsBlob.ts) for about a second, and the PUT is sent once that check has the
// file open. Now the removal takes the key's turn and looks at the name again inside it.

t.before(initHash);

const ROUNDS = 4;

/** How many of this process's descriptors are open on `path`. */
function openOn(path: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) n++;
    } catch {
      // closed as it was listed
    }
  }
  return n;
}

t.test(`a PUT of a blob while a GET finds a wrong file under its name (${ROUNDS} rounds): the PUT's file stays, served`, async (t) => {
  const dir = tmp('sc-getremoval-');
  const lines: string[] = [];
  const s = await serve(t, { dir, log: (l) => lines.push(l) });
  // 32 gzip members of 16 MiB of zeros each: 0.5 MiB on disk, 512 MiB to expand.
  const bomb = Buffer.concat(Array(32).fill(gzipSync(Buffer.alloc(16 << 20), { level: 9 })) as Buffer[]);
  const lost: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const blob = randomBytes(3000);
    const digest = digestBytes(blob);
    const url = `${s.url}/cas/${digest}`;
    const file = join(dir, 'cas', digest.slice(0, 2), digest.slice(2));
    t.equal((await fetch(url, { method: 'PUT', body: new Uint8Array(blob) })).status, 201, `round ${round}: stored`);
    rmSync(file);
    writeFileSync(file, bomb);
    let settled = false;
    const get = fetch(url).then(async (r) => ({ status: r.status, body: Buffer.from(await r.arrayBuffer()) })).finally(() => (settled = true));
    // The GET's handle and its check's read of the file both open: the check is under way.
    while (!settled && openOn(file) < 2) await new Promise((r) => setImmediate(r));
    t.notOk(settled, `round ${round}: the PUT is sent while the GET's check runs`);
    const put = await fetch(url, { method: 'PUT', body: new Uint8Array(blob) });
    await put.arrayBuffer();
    const first = await get;
    const after = await fetch(url);
    const got = Buffer.from(await after.arrayBuffer());
    t.ok(put.status === 201 || put.status === 204, `round ${round}: the PUT was answered ${put.status}`);
    t.ok(first.status === 404 || (first.status === 200 && first.body.equals(blob)), `round ${round}: the raced GET answered ${first.status}, never a wrong body`);
    if (after.status !== 200 || !got.equals(blob)) lost.push(`round ${round}: PUT ${put.status}, then GET ${after.status}`);
  }
  t.same(lost, [], `the blob each PUT stored is served after its answer (${lost.length} of ${ROUNDS} lost: ${lost.join('; ')})`);
  t.same(lines.filter((l) => /removed/.test(l)), [], 'no line says a blob file was removed');
});
