import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileDigestMemo, initHash, type Digest } from '@splitcache/hash';
import { PrefixTable } from '@splitcache/paths';
import { parseInvocation } from '@splitcache/rustc';
import { Store } from '@splitcache/store';
import { ingest } from '../src/ingest.js';

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
  const input = {
    inv: parseInvocation(args), mode: 'whole' as const, crateType: 'lib', cwd: dir, table: new PrefixTable([{ name: 'cwd', path: dir }]),
    manifestKey: 'f'.repeat(32), components: [] as [string, string][], startedAt, compileMs: 1, stdout: new Uint8Array(), stderr: new Uint8Array(),
    rustcVersion: 'rustc test', rlinkVersion: '', host: 'x86_64-unknown-linux-gnu', maxEntryBytes: 1 << 30, producer: 'test',
  };
  const raced = await ingest(store, new RacedMemo(lib, 'pub fn word() -> &\'static str { "BBBB" }\n'), input);
  t.same(raced, { stored: false, reason: 'input-modified-during-compile' }, 'not stored (before: stored with the new digest)');
  const calm = await ingest(store, new FileDigestMemo(0), { ...input, startedAt: Date.now() });
  t.equal(calm.stored, true, 'the same ingest with no write beside it stores');
});
