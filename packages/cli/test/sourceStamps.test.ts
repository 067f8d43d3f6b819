import t from 'tap';
import { existsSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertOk, fileTree, realRustc, run, Store, tempDir } from './helpers.js';

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

// Each case has a store and a package of its own; the first waits out the racy window three times:
// two cases at a time, 12 s one after another, 9 s so.
t.jobs = 2;

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

t.test('a source dated in the future (a clock that ran ahead) is cached: a clean build hits', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = wordPackage('SOON');
  const tomorrow = new Date(Date.now() + 86_400_000);
  utimesSync(join(ws, 'src/word.rs'), tomorrow, tomorrow);
  // Plain cargo compiles such a crate on every build (its source is newer than any output): where a cache helps most.
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'one' }), 'the first build');
  t.same((await store.calls('one')).map((e) => e.outcome), ['miss']);
  await store.cargo(ws, ['clean']);
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'two' }), 'the build after cargo clean');
  t.same((await store.calls('two')).map((e) => e.outcome), ['hit'], 'a hit (before: never stored, for input-modified-during-compile)');
  t.equal((await run(join(ws, 'target/debug/word'), [])).stdout, 'SOON\n');
  t.same((await store.stats()).notStored, {}, 'nothing left unstored');
});

t.test('a source rewritten while rustc runs, its old mtime put back (rsync -a), is not stored with the old outputs', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = wordPackage('OLD1');
  const word = join(ws, 'src/word.rs');
  const old = new Date('2020-01-01T00:00:00Z');
  utimesSync(word, old, old);
  // A rustc whose -Zno-link half compiles, then has the source rewritten under it (once),
  // with the same size and the old mtime, before the daemon reads the inputs.
  const dir = tempDir('sync');
  const marker = join(dir, 'synced');
  const script = join(dir, 'rustc-synced');
  writeFileSync(join(dir, 'word.rs'), wordSource('NEW2'));
  const rewrite = `cat '${join(dir, 'word.rs')}' > '${word}'; touch -d 2020-01-01T00:00:00Z '${word}'; touch '${marker}'`;
  writeFileSync(script, `#!/bin/sh\n'${await realRustc()}' "$@" || exit $?\ncase "$*" in *-Zno-link*) [ -e '${marker}' ] || { ${rewrite}; } ;; esac\n`, { mode: 0o755 });
  assertOk(t, await store.cargo(ws, ['build'], { RUSTC: script }), 'the build during which the source changed');
  t.ok(existsSync(marker), 'the source was rewritten after rustc read it');
  t.equal((await run(join(ws, 'target/debug/word'), [])).stdout, 'OLD1\n', 'that build has what rustc read');
  t.same((await store.stats()).notStored, { 'input-modified-during-compile': 1 }, 'not stored');
  await store.cargo(ws, ['clean']);
  assertOk(t, await store.cargo(ws, ['build'], { RUSTC: script }), 'the next clean build');
  t.equal((await run(join(ws, 'target/debug/word'), [])).stdout, 'NEW2\n', 'has the new source');
});
