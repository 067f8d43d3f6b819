import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileDigestMemo, initHash, type Digest } from '@splitcache/hash';
import { PrefixTable } from '@splitcache/paths';
import { parseInvocation } from '@splitcache/rustc';
import { Store } from '@splitcache/store';
import { ingest } from '../src/ingest.js';
import { changedSince } from '../src/changedSince.js';

/** A memo whose first read of `path` is raced by an editor's write, landing as the file is read. */
class RacedMemo extends FileDigestMemo {
  constructor(private readonly path: string, private readonly text: string) {
    super(0);
  }
  override async digest(path: string): Promise<Digest> {
    if (path === this.path) writeFileSync(path, this.text);
    return super.digest(path);
  }
}

t.before(initHash);

/** What ingest is given for a lib compiled by `args` in `dir`, its compile started at `startedAt`; `key`: the manifest key's one hex digit. */
function ingestOf(args: string[], dir: string, startedAt: number, key: string) {
  return {
    inv: parseInvocation(args), mode: 'whole' as const, crateType: 'lib', cwd: dir, table: new PrefixTable([{ name: 'cwd', path: dir }]),
    manifestKey: key.repeat(32), components: [] as [string, string][], startedAt, compileMs: 1, stdout: new Uint8Array(), stderr: new Uint8Array(),
    rustcVersion: 'rustc test', rlinkVersion: '', host: 'x86_64-unknown-linux-gnu', maxEntryBytes: 1 << 30, producer: 'test',
  };
}

// ingest checks that no input changed since rustc started (by its ctime) and records each
// input's digest. The check came first: a write between the two recorded the new source's
// digest with outputs compiled from the old, a false hit for the next clean build.
t.test('an input written as ingest reads it is not stored', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-ingestrace-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'src'));
  mkdirSync(join(dir, 'out'));
  const lib = join(dir, 'src', 'lib.rs');
  writeFileSync(lib, 'pub fn word() -> &\'static str { "AAAA" }\n');
  const args = ['--crate-name', 'raced', '--edition=2021', 'src/lib.rs', '--crate-type', 'lib', '--emit=dep-info,metadata,link', '--out-dir', join(dir, 'out')];
  await sleep(20);
  const startedAt = Date.now();
  const r = spawnSync('rustc', args, { cwd: dir, encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  await sleep(20);

  const store = await Store.open(join(dir, 'store'));
  t.teardown(() => store.close().catch(() => undefined));
  const input = ingestOf(args, dir, startedAt, 'f');
  const raced = await ingest(store, new RacedMemo(lib, 'pub fn word() -> &\'static str { "BBBB" }\n'), input);
  t.same(raced, { stored: false, reason: 'input-modified-during-compile' }, 'not stored (before: stored with the new digest)');
  const calm = await ingest(store, new FileDigestMemo(0), { ...input, startedAt: Date.now() + 2000 });
  t.equal(calm.stored, true, 'the same ingest with no write beside it stores');
});

// A symlinked source pointed at another file while rustc ran: stat follows the link, and the
// target's ctime is old, so the new target's digest was stored with the old one's outputs.
t.test('a symlinked input pointed elsewhere while rustc ran is not stored', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-ingestlink-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const d of ['src', 'out', 'alt']) mkdirSync(join(dir, d));
  writeFileSync(join(dir, 'alt', 'one.rs'), 'pub const WORD: &str = "one";\n');
  writeFileSync(join(dir, 'alt', 'two.rs'), 'pub const WORD: &str = "two";\n');
  symlinkSync('../alt/one.rs', join(dir, 'src', 'lib.rs'));
  await sleep(120);
  const args = ['--crate-name', 'linked', '--edition=2021', 'src/lib.rs', '--crate-type', 'lib', '--emit=dep-info,metadata,link', '--out-dir', join(dir, 'out')];
  const startedAt = Date.now();
  t.equal(spawnSync('rustc', args, { cwd: dir, encoding: 'utf8' }).status, 0);
  rmSync(join(dir, 'src', 'lib.rs'));
  symlinkSync('../alt/two.rs', join(dir, 'src', 'lib.rs'));

  const store = await Store.open(join(dir, 'store'));
  t.teardown(() => store.close().catch(() => undefined));
  const input = ingestOf(args, dir, startedAt, 'e');
  t.same(await ingest(store, new FileDigestMemo(0), input), { stored: false, reason: 'input-modified-during-compile' }, 'not stored (before: stored with two.rs\'s digest)');
});

// ext3, ext4 with 128-byte inodes and many network mounts keep whole seconds: an edit in the
// second a compile started is dated at that second's start, before the compile.
t.test('changedSince: whole-second times count from the start of the second', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-changedsince-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'a.rs');
  writeFileSync(file, 'x');
  const st = statSync(file);
  const at = (ctimeMs: number) => ({ ...st, ctimeMs, isSymbolicLink: () => false }) as Stats;
  const start = 1_700_000_000_400; // 0.4 s into a second
  t.ok(changedSince(file, at(1_700_000_000_000), start), 'a whole-second ctime of the second the compile started in: changed');
  t.notOk(changedSince(file, at(1_699_999_999_000), start), 'of the second before: not');
  t.ok(changedSince(file, at(start + 0.5), start), 'a fine ctime after the start: changed');
  t.notOk(changedSince(file, at(start - 3.5), start), 'a fine ctime before it: not (a build script\'s output, written just before cargo ran the crate)');
  t.ok(changedSince(join(dir, 'gone.rs'), at(start - 400.5), start), 'a file gone since its stat: changed');
});

// A nightly proc-macro's `proc_macro::tracked::path` of a directory (which it lists) puts the
// directory in dep-info: its digest failed with EISDIR, a cache fault on every build.
t.test('a directory among the inputs: not stored, quietly', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-ingestdir-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const d of ['src', 'out', 'assets']) mkdirSync(join(dir, d));
  writeFileSync(join(dir, 'src', 'lib.rs'), 'pub fn f() {}\n');
  await sleep(20);
  const args = ['--crate-name', 'listing', '--edition=2021', 'src/lib.rs', '--crate-type', 'lib', '--emit=dep-info,metadata,link', '--out-dir', join(dir, 'out')];
  const startedAt = Date.now();
  t.equal(spawnSync('rustc', args, { cwd: dir, encoding: 'utf8' }).status, 0);
  // What the proc-macro's tracked path adds: the directory, as one more input.
  const dep = join(dir, 'out', 'listing.d');
  writeFileSync(dep, readFileSync(dep, 'utf8').replace(/^(\S+\.rmeta:.*)$/m, `$1 ${join(dir, 'assets')}`).replace(/\n\n/, `\n\n${join(dir, 'assets')}:\n\n`));
  const store = await Store.open(join(dir, 'store'));
  t.teardown(() => store.close().catch(() => undefined));
  t.same(await ingest(store, new FileDigestMemo(0), ingestOf(args, dir, startedAt, 'd')), { stored: false, reason: 'input-directory' }, 'not stored, for that reason (before: an EISDIR thrown, SPLITCACHE_INGEST)');
});

// A file rustc read and that is gone by the time ingest digests it (an editor's save by rename,
// a generator cleaning up): its digest can't be recorded, so the result is not stored. Stored
// without it (a mutation audit's: no test held the check), a lookup after the file came back with
// other text hit, and served outputs built from the old.
t.test('an input gone before ingest reads it: not stored', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-ingestgone-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const d of ['src', 'out']) mkdirSync(join(dir, d));
  writeFileSync(join(dir, 'src', 'lib.rs'), 'pub fn word() -> &\'static str { include_str!("data.txt") }\n');
  writeFileSync(join(dir, 'src', 'data.txt'), 'OLD');
  await sleep(20);
  const args = ['--crate-name', 'gone', '--edition=2021', 'src/lib.rs', '--crate-type', 'lib', '--emit=dep-info,metadata,link', '--out-dir', join(dir, 'out')];
  const startedAt = Date.now();
  t.equal(spawnSync('rustc', args, { cwd: dir, encoding: 'utf8' }).status, 0);
  rmSync(join(dir, 'src', 'data.txt'));
  const store = await Store.open(join(dir, 'store'));
  t.teardown(() => store.close().catch(() => undefined));
  t.same(await ingest(store, new FileDigestMemo(0), ingestOf(args, dir, startedAt, 'e')), { stored: false, reason: 'input-missing' }, 'not stored, for that reason');
  t.equal(await store.getManifest('e'.repeat(32)), undefined, 'nothing under its key');
});
