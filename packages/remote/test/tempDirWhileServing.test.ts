import t from 'tap';
import { lstatSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { digestBytes, initHash } from '@splitcache/hash';
import { serve, tmp } from './serverHelpers.js';

// cas/tmp, where each PUT's body is written, removed while the server runs (`rm -rf cas/tmp`, a
// cleaner of old temp files), or a file or a dangling symlink left in its place: every blob PUT
// was a 500 until the server was restarted, and no client could store a blob. Now a PUT makes it again.

t.before(initHash);

const placed: [string, (path: string) => void][] = [
  ['removed', () => undefined],
  ['a file in its place', (p) => writeFileSync(p, '')],
  ['a dangling symlink in its place', (p) => symlinkSync(join(tmp(), 'gone'), p)],
];

for (const [what, make] of placed) {
  t.test(`cas/tmp ${what} while the server runs: blob PUTs are stored`, async (t) => {
    const dir = tmp('sc-tmpdir-');
    const s = await serve(t, { dir });
    const tmpDir = join(dir, 'cas', 'tmp');
    rmSync(tmpDir, { recursive: true });
    make(tmpDir);
    for (let i = 0; i < 2; i++) {
      const blob = randomBytes(1000);
      const digest = digestBytes(blob);
      t.equal((await fetch(`${s.url}/cas/${digest}`, { method: 'PUT', body: new Uint8Array(blob) })).status, 201, `PUT ${i + 1}: 201`);
      const got = await fetch(`${s.url}/cas/${digest}`);
      t.ok(Buffer.from(await got.arrayBuffer()).equals(blob), 'served');
    }
    t.ok(lstatSync(tmpDir).isDirectory(), 'cas/tmp is a directory again');
  });
}
