import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '@splitcache/store';
import { OwnedPath } from '../src/ownedPath.js';
import { storeHome } from '../src/storeHome.js';

// A store removed and made again at once: the file system hands the freed inode numbers
// out again, so the new exec.port can carry the old one's inode.
// The old daemon, stopping, must still tell them apart (CI on 1a2c506: storeMoved.test
// found the new daemon's socket or exec.port gone).

t.test('a file made again at its path with the inode of the one removed is not taken for the old one', async (t) => {
  const parent = mkdtempSync(join(tmpdir(), 'sc-owned-'));
  t.teardown(() => rmSync(parent, { recursive: true, force: true }));
  const dir = join(parent, 'store');
  const port = join(dir, 'exec.port');
  const make = (text: string) => {
    mkdirSync(dir);
    writeFileSync(port, text);
  };

  // The clock's grain is a tick, so a few tries; the inode is handed out again on the first.
  let reused = 0;
  for (let i = 0; i < 20 && reused < 3; i++) {
    make('old');
    const owned = new OwnedPath(port);
    const inode = statSync(port).ino;
    await new Promise((res) => setTimeout(res, 20));
    rmSync(dir, { recursive: true });
    make('new');
    if (statSync(port).ino !== inode) {
      rmSync(dir, { recursive: true });
      continue;
    }
    reused++;
    owned.removeIfOwn();
    t.ok(existsSync(port) && readFileSync(port, 'utf8') === 'new', `try ${i}: the new file, on the old one's inode, is left alone`);
    rmSync(dir, { recursive: true });
  }
  t.ok(reused > 0, 'the file system handed an inode out again (else this test shows nothing)');
});

t.test('the file it made is removed; a missing one is no fault', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-owned-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = join(dir, 'exec.port');
  writeFileSync(port, 'mine');
  const owned = new OwnedPath(port);
  owned.removeIfOwn();
  t.notOk(existsSync(port), 'removed');
  owned.removeIfOwn();
  t.notOk(existsSync(port), 'and again, with nothing there');
});

t.test('a store dir removed and made again is another, though inode numbers are handed out again', async (t) => {
  const parent = mkdtempSync(join(tmpdir(), 'sc-home-'));
  t.teardown(() => rmSync(parent, { recursive: true, force: true }));
  const dir = join(parent, 'store');
  for (let i = 0; i < 5; i++) {
    mkdirSync(dir);
    const home = storeHome(dir);
    t.notOk(home.changed(), `try ${i}: the dir as opened`);
    rmSync(dir, { recursive: true });
    mkdirSync(dir);
    t.ok(home.changed(), `try ${i}: the dir made again is another`);
    rmSync(dir, { recursive: true });
  }
});

t.test("a store whose index is replaced (a CI cache restored over it) is another; the index's own writes are not", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-home-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await Store.open(dir);
  const home = storeHome(dir);
  for (let i = 0; i < 2000; i++) await store.putMeta(`k${i}`, 'v'.repeat(4000)); // ~8 MB: LevelDB writes tables
  await store.compact();
  t.notOk(home.changed(), "LevelDB's own writes and compactions leave it the store as opened");
  await store.close();
  const current = join(dir, 'index', 'CURRENT');
  const text = readFileSync(current);
  rmSync(current);
  writeFileSync(current, text); // as tar puts a file of the archive in place: the same bytes, another file
  t.ok(home.changed(), 'a CURRENT put in its place makes it another');
});

t.test('a path that held nothing when the daemon took it: a file there at stop is not its, and stays', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-owned-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const sock = join(dir, 'daemon.sock');
  const owned = new OwnedPath(sock); // removed before it was taken (a store removed at once)
  writeFileSync(sock, 'a newer daemon\'s');
  owned.removeIfOwn();
  t.ok(existsSync(sock), "the newer daemon's file is left alone");
});
