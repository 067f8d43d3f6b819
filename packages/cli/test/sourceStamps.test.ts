import t from 'tap';
import { rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertOk, fileTree, run, Store } from './helpers.js';

// Source files whose timestamps say something other than "edited just now":
// what tar, cp -p, rsync -a and unzip leave. The daemon memoises digests by a
// file's stat, and a build must still compile what the files hold.

/** A package whose binary prints what src/word.rs returns. */
const wordPackage = (word: string) =>
  fileTree({
    'Cargo.toml': '[package]\nname = "word"\nversion = "0.1.0"\nedition = "2021"\n',
    'src/main.rs': 'mod word;\nfn main() { println!("{}", word::get()); }\n',
    'src/word.rs': wordSource(word),
  });
const wordSource = (word: string) => `pub fn get() -> &'static str { "${word}" }\n`;

/** Past the daemon's 2 s racy window, so the file's digest is memoised when next read. */
const pastRacyWindow = () => sleep(2_300);

t.test('a same-size source rewritten with its old mtime kept (cp -p, tar x) is compiled, not served from the memo', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = wordPackage('AAAA');
  const word = join(ws, 'src/word.rs');
  const old = new Date('2020-01-01T00:00:00Z');
  utimesSync(word, old, old);
  await pastRacyWindow();
  assertOk(t, await store.cargo(ws, ['build']), 'the first build');
  t.equal((await run(join(ws, 'target/debug/word'), [])).stdout, 'AAAA\n');

  // In place (the inode kept), the same size, the mtime put back.
  writeFileSync(word, wordSource('BBBB'));
  utimesSync(word, old, old);
  await pastRacyWindow();
  await store.cargo(ws, ['clean']);
  assertOk(t, await store.cargo(ws, ['build']), 'the build after the rewrite in place');
  t.equal((await run(join(ws, 'target/debug/word'), [])).stdout, 'BBBB\n', 'the binary has the new source');

  // Removed and written again (ext4 hands the freed inode number straight back), mtime as before.
  rmSync(word);
  writeFileSync(word, wordSource('CCCC'));
  utimesSync(word, old, old);
  await pastRacyWindow();
  await store.cargo(ws, ['clean']);
  assertOk(t, await store.cargo(ws, ['build']), 'the build after the new file');
  t.equal((await run(join(ws, 'target/debug/word'), [])).stdout, 'CCCC\n', 'the binary has the new file');

  // The first source again: its entry is still there, and hit.
  writeFileSync(word, wordSource('AAAA'));
  await store.cargo(ws, ['clean']);
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'back' }), 'the build of the first source');
  t.equal((await run(join(ws, 'target/debug/word'), [])).stdout, 'AAAA\n');
  t.same((await store.calls('back')).map((e) => e.outcome), ['hit'], 'a hit');
});
