import t from 'tap';
import { mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initHash } from '@splitcache/hash';
import { Store } from '../src/index.js';
import { freshDir } from './freshStore.js';

// A file where the store's temp dir (blobs/tmp) belongs, left by another program or a hand's
// `rm -rf blobs/tmp; touch …`, or a dangling symlink there: the store opens, with its temp dir made again, and stores. Before,
// every open failed with mkdir's EEXIST: no daemon started again, each start served 'build
// uncached' for 30 s, and every subcommand printed `EEXIST: file already exists, mkdir …`.

const IN_PLACE: [string, (path: string) => void][] = [
  ['a file', (path) => writeFileSync(path, 'not a dir')],
  // A temp dir linked to another disk, gone: stat finds nothing there, and mkdir EEXIST.
  ['a dangling symlink', (path) => symlinkSync('/nonexistent/splitcache-tmp', path)],
];

for (const [what, make] of IN_PLACE) {
  t.test(`${what} at blobs/tmp: the store opens and stores`, async (t) => {
    await initHash();
    const dir = freshDir(t, 'sc-tmpinplace-');
    mkdirSync(join(dir, 'blobs'), { recursive: true });
    make(join(dir, 'blobs', 'tmp'));
    const store = await Store.open(dir);
    t.teardown(() => store.close().catch(() => undefined));
    t.ok(statSync(join(dir, 'blobs', 'tmp')).isDirectory(), 'the temp dir is made again');
    const d = await store.blobs.write(Buffer.from('a blob'));
    t.equal((await store.blobs.read(d)).toString(), 'a blob', 'and a blob is stored');
  });
}
