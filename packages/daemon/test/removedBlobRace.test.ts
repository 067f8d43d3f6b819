import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, type BigIntStats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileDigestMemo, initHash, type Digest } from '@splitcache/hash';
import { PrefixTable } from '@splitcache/paths';
import { parseInvocation } from '@splitcache/rustc';
import { Store } from '@splitcache/store';
import { ingest } from '../src/ingest.js';

// A miss stores a blob whose name a bad copy holds (a write leaves a blob there alone), and a hit
// of another entry reads that copy, finds it bad and removes it, before the miss commits: the
// miss's entry named a blob gone, and its next lookup failed its replay and compiled again. The
// hit's read lands here where the miss has just stored the rlib (the memo is told its digest).

/** A memo that, once told an output's digest, has `hit` read that blob as a concurrent hit would. */
class HitBeside extends FileDigestMemo {
  constructor(private readonly hit: (digest: Digest) => Promise<void>) {
    super(0);
  }
  override async remember(path: string, digest: Digest, st?: BigIntStats): Promise<void> {
    if (path.endsWith('.rlib')) await this.hit(digest);
    return super.remember(path, digest, st);
  }
}

t.before(initHash);

t.test("a blob a hit removes as bad while a miss that found its name taken commits: the miss's entry is whole", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-removedrace-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'src'));
  mkdirSync(join(dir, 'out'));
  writeFileSync(join(dir, 'src', 'lib.rs'), 'pub fn twice(x: u32) -> u32 {\n    x * 2\n}\n');
  const args = ['--crate-name', 'raced', '--edition=2021', 'src/lib.rs', '--crate-type', 'lib', '--emit=dep-info,metadata,link', '--out-dir', join(dir, 'out')];
  const startedAt = Date.now() + 2000; // no input counts as changed during the compile
  const r = spawnSync('rustc', args, { cwd: dir, encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  const store = await Store.open(join(dir, 'store'));
  t.teardown(() => store.close().catch(() => undefined));
  const input = (key: string) => ({
    inv: parseInvocation(args), mode: 'whole' as const, crateType: 'lib', cwd: dir, table: new PrefixTable([{ name: 'cwd', path: dir }]),
    manifestKey: key.repeat(32), components: [] as [string, string][], startedAt, compileMs: 1, stdout: new Uint8Array(), stderr: new Uint8Array(),
    rustcVersion: 'rustc test', rlinkVersion: '', host: 'x86_64-unknown-linux-gnu', maxEntryBytes: 1 << 30, producer: 'test',
  });

  // The first entry's rlib blob is damaged on disk (a flipped bit: its size stays, so a write keeps it).
  const first = await ingest(store, new FileDigestMemo(0), input('a'));
  t.equal(first.stored, true, 'an entry stored');
  const entryA = await store.getEntry(first.stored ? first.entryKey : '');
  const rlib = entryA!.outputs.find((o) => o.name.endsWith('.rlib'))!.digest;
  const damaged = readFileSync(store.blobs.pathOf(rlib));
  damaged[damaged.length >> 1]! ^= 0xff;
  chmodSync(store.blobs.pathOf(rlib), 0o644);
  writeFileSync(store.blobs.pathOf(rlib), damaged);

  // A second key with the same outputs (another build's miss), raced by a hit that reads the bad copy.
  let found = '';
  const second = await ingest(store, new HitBeside(async (d) => {
    found = await store.blobs.read(d).then(() => 'read', (e: { code?: string }) => e.code ?? 'error');
  }), input('b'));
  t.equal(found, 'SPLITCACHE_BLOB_CORRUPT', 'the hit found the copy bad, and removed it, after the miss found its name taken');
  t.equal(second.stored, true, 'the miss stored its entry');
  const entryB = await store.getEntry(second.stored ? second.entryKey : '');
  for (const o of entryB!.outputs) {
    const ok = await store.blobs.read(o.digest).then(() => true, () => false);
    t.ok(ok, `its ${o.name} blob is there and good (before: the rlib's was gone)`);
  }
  // A watch left open would gather every removal after it for the daemon's life, one more per miss.
  t.equal((store.blobs as unknown as { watches: Set<unknown> }).watches.size, 0, 'no watch outlives its ingest');
});
