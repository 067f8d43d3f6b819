import t, { type Test } from 'tap';
import { appendFileSync, closeSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pack, unpack } from 'msgpackr';
import { assertOk, BIN, copyFixture, lookedUp, run, Store, tempDir, tmpfsDir, type RunResult } from './helpers.js';
import { nginxWithDav, Runner, startNginx, startServe } from './remoteHelpers.js';

// Three codes end to end, under real cargo builds against real servers on loopback: a damaged
// record on the server (SPLITCACHE_REMOTE_RECORD), a server whose disk is full
// (SPLITCACHE_REMOTE_FULL), and `splitcache serve` whose storage fails under it
// (SPLITCACHE_SERVE_IO). Each build succeeds with a plain build's binary and one line naming
// the code, `stats` counts it, and nothing in the local store is lost.

const BUILD = ['build', '--bin', 'fx-app', '-j', '2'];
const BIN_PATH = join('target', 'debug', 'fx-app');

/** A plain cargo build's binary of `ws` (the same dir: debuginfo names it); the target dir is cleaned after. */
async function plainBinary(t: Test, ws: string): Promise<Buffer> {
  const env = { ...process.env, CARGO_INCREMENTAL: '0', RUSTC_WRAPPER: '' };
  assertOk(t, await run('cargo', BUILD, { cwd: ws, env }), 'the plain build succeeds');
  const bin = readFileSync(join(ws, BIN_PATH));
  rmSync(join(ws, 'target'), { recursive: true });
  return bin;
}

/** The lines of splitcache's own on a build's stderr. */
/** A producer's build of `ws` (a copy of the fixture unless given) uploaded to `url`, its daemon stopped after (its uploads flushed). */
async function produce(t: Test, url: string, ws = copyFixture()): Promise<void> {
  const producer = new Runner({ SPLITCACHE_REMOTE: url, SPLITCACHE_PRODUCER: 'a' });
  t.teardown(() => producer.stop());
  assertOk(t, await producer.cargo(ws, BUILD), "the producer's build succeeds");
  await producer.stop();
}

function ours(r: RunResult): string[] {
  return r.stderr.split('\n').filter((l) => /SPLITCACHE_|^splitcache:/.test(l) && !/^splitcache: \d+ hits?/.test(l));
}

/** Builds `ws` with `runner` (session `s`): succeeds, with `plain`'s binary. */
async function build(t: Test, runner: Store, ws: string, plain: Buffer, s: string, what: string): Promise<RunResult> {
  const r = await runner.cargo(ws, BUILD, { SPLITCACHE_SESSION: s });
  assertOk(t, r, `${what}: the build succeeds`);
  t.ok(readFileSync(join(ws, BIN_PATH)).equals(plain), `${what}: its binary is a plain build's`);
  return r;
}

/** A read-only reader's build of `ws` against `url`: it succeeds with a plain build's binary and no line, every call a remote hit. */
async function readerHitsAll(t: Test, url: string, ws: string, plain: Buffer, s: string, what: string): Promise<void> {
  const reader = new Runner({ SPLITCACHE_REMOTE: url, SPLITCACHE_REMOTE_MODE: 'read-only' });
  t.teardown(() => reader.stop());
  const r = await build(t, reader, ws, plain, s, what);
  t.same(ours(r), [], 'no line');
  const calls = lookedUp(await reader.audit(s));
  t.ok(calls.length === 5 && calls.every((e) => e.origin === 'remote'), `every call a remote hit (${calls.map((e) => `${e.crate}:${e.outcome}:${e.reason ?? ''}`).join(' ')})`);
}

/** `audit verify` finds every entry sound, and there are `n` of them. */
async function storeIntact(t: Test, runner: Store, n: number, what: string): Promise<void> {
  const v = await runner.splitcache(['audit', 'verify']);
  t.equal(v.code, 0, `${what}: audit verify finds nothing bad`);
  t.match(v.stdout, new RegExp(`^verify: ${n} entries, \\d+ blobs checked, 0 bad, 0 entries evicted\\n$`), `${what}: all ${n} local entries kept (${v.stdout.trim()})`);
}

/** The nginx file of the input set (AC record `inputs`) of `crate`. */
function inputSetFile(files: string, crate: string): string | undefined {
  for (const name of readdirSync(join(files, 'ac'))) {
    const env = unpack(readFileSync(join(files, 'ac', name))) as { payload: Uint8Array };
    const rec = unpack(env.payload) as { kind: string; crateName: string };
    if (rec.kind === 'inputs' && rec.crateName === crate) return join(files, 'ac', name);
  }
  return undefined;
}

t.test('a damaged record on the server: one SPLITCACHE_REMOTE_RECORD line, a miss, replaced by the writer', { skip: !nginxWithDav() && 'no nginx with the WebDAV module' }, async (t) => {
  const nginx = await startNginx();
  t.teardown(() => nginx.stop());
  await produce(t, nginx.url);
  // Cut short on the server's disk, as a crash mid-write or a bad sector leaves a file.
  const file = inputSetFile(nginx.files, 'fx_core');
  if (!file) return t.fail('no input set of fx_core on the server');
  writeFileSync(file, readFileSync(file).subarray(0, 40));

  const ws = copyFixture();
  const plain = await plainBinary(t, ws);
  const reader = new Runner({ SPLITCACHE_REMOTE: nginx.url, SPLITCACHE_PRODUCER: 'b' });
  t.teardown(() => reader.stop());
  const r = await build(t, reader, ws, plain, 'r1', 'against the damaged record');
  t.same(ours(r).filter((l) => !/^splitcache: SPLITCACHE_REMOTE_RECORD: remote record [0-9a-f]{32}: not an AC envelope \(a remote lookup; building without it\)$/.test(l)), [], `only the record's line (${ours(r).join(' | ')})`);
  t.equal(ours(r).length, 1, 'and it once');
  const calls = lookedUp(await reader.audit('r1'));
  // fx_core compiled here: the crates built on it have other keys than the producer's (its rlib's digest differs).
  const misses = calls.filter((e) => e.origin !== 'remote').map((e) => `${e.crate}:${e.outcome}:${e.reason}`);
  t.same(misses, ['fx_core:miss:new-key,remote-record', 'fx_util:miss:new-key,remote-new-key', 'fx_app:miss:new-key,remote-new-key'], 'fx_core missed for its record, and the crates built on it');
  t.equal(calls.filter((e) => e.origin === 'remote').length, 2, 'the build script and the proc-macro were remote hits');
  t.equal((await reader.stats()).errors.SPLITCACHE_REMOTE_RECORD, 1, 'stats counts it');
  // Local entries hit, with no line: the damaged record is not asked for again.
  rmSync(join(ws, 'target'), { recursive: true });
  const warm = await build(t, reader, ws, plain, 'r2', 'warm, from the local store');
  t.same(ours(warm), [], 'no line');
  t.ok(lookedUp(await reader.audit('r2')).every((e) => e.outcome === 'hit' && e.origin !== 'remote'), 'every call a local hit');
  await storeIntact(t, reader, 5, 'the reader');
  // The reader, a writer, put its own record in the damaged one's place: a third runner hits it all.
  await reader.stop();
  const third = new Runner({ SPLITCACHE_REMOTE: nginx.url, SPLITCACHE_REMOTE_MODE: 'read-only' });
  t.teardown(() => third.stop());
  // In the reader's dir: a binary linked from another checkout's objects names that checkout (docs/REMOTE.md).
  rmSync(join(ws, 'target'), { recursive: true });
  const r3 = await build(t, third, ws, plain, 'r3', 'a third runner');
  t.same(ours(r3), [], 'no line');
  t.ok(lookedUp(await third.audit('r3')).every((e) => e.origin === 'remote'), 'every call a remote hit: the record was replaced');
});

/** Fills the file system of `dir` with one file of zeros, up to ENOSPC; returns its path. */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const zeros = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, zeros);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return path;
}

const fullDisk = tmpfsDir('serve-full', 'size=16m');

t.test('a server whose disk is full: one SPLITCACHE_REMOTE_FULL line, lookups go on, the uploads wait', { skip: !fullDisk && 'no tmpfs (not root)' }, async (t) => {
  const serve = await startServe([], fullDisk!);
  t.teardown(() => serve.stop());
  await produce(t, serve.url);
  const stored = (await serve.status()).entries;
  const filler = fill(fullDisk!);

  // A writer whose fx_core differs: its build script and proc-macro are remote hits, the rest go up.
  const ws = copyFixture();
  appendFileSync(join(ws, 'core', 'src', 'lib.rs'), '\npub fn added_here() -> u32 { 7 }\n');
  const plain = await plainBinary(t, ws);
  const writer = new Runner({ SPLITCACHE_REMOTE: serve.url, SPLITCACHE_PRODUCER: 'b' });
  t.teardown(() => writer.stop());
  const r = await build(t, writer, ws, plain, 'w1', 'against a full server');
  const calls = lookedUp(await writer.audit('w1'));
  t.equal(calls.filter((e) => e.origin === 'remote').length, 2, 'lookups went on: the build script and the proc-macro were remote hits');
  t.comment(`the build's lines: ${JSON.stringify(ours(r))}`);
  rmSync(join(ws, 'target'), { recursive: true });
  const warm = await build(t, writer, ws, plain, 'w2', 'warm, from the local store');
  t.ok(lookedUp(await writer.audit('w2')).every((e) => e.outcome === 'hit' && e.origin !== 'remote'), 'every call a local hit');
  const lines = [...ours(r), ...ours(warm)];
  t.equal(lines.length, 1, `one line in the two builds (${JSON.stringify(lines)})`);
  t.match(lines[0] ?? '', /^splitcache: SPLITCACHE_REMOTE_FULL: PUT \/(cas|ac)\/[0-9a-f]{32}: 507, the server's storage is full \(free space there, or give splitcache serve a --max-size\); the upload stays queued$/, 'it names the code and what was done');
  const stats = await writer.stats();
  t.ok((stats.errors.SPLITCACHE_REMOTE_FULL ?? 0) >= 1, `stats counts it (${stats.errors.SPLITCACHE_REMOTE_FULL})`);
  t.equal(stats.remote.skipped ?? 0, 0, 'a 507 did not open the breaker');
  t.equal((await serve.status()).entries, stored, 'the server took nothing');
  await storeIntact(t, writer, 5, 'the writer');
  // Room again: the stop sends what waited.
  rmSync(filler);
  const stop = await writer.splitcache(['server', 'stop']);
  t.match(stop.stdout, /^splitcache daemon stopped\n$/, `the queue went up at the stop (${stop.stdout.trim()})`);
  t.ok((await serve.status()).entries > stored, 'the server has the writer\'s entries now');
});

t.test('splitcache serve on a dir another serve holds: one SPLITCACHE_SERVE_IO line, exit 1; the first serves on', async (t) => {
  const first = await startServe();
  t.teardown(() => first.stop());
  // The producer builds where the reader will: a binary linked from another checkout's objects names that checkout.
  const ws = copyFixture();
  const plain = await plainBinary(t, ws);
  await produce(t, first.url, ws);
  rmSync(join(ws, 'target'), { recursive: true });
  const second = await run(BIN, ['serve', '--dir', first.dir, '--listen', '127.0.0.1:0']);
  t.equal(second.code, 1, 'the second serve exits 1');
  t.equal(second.stdout, '', 'and never listened');
  t.equal(second.stderr, `splitcache: SPLITCACHE_SERVE_IO: server index ${join(first.dir, 'index')} is locked by another process\n`, 'one line names the code and why');
  // The first server's store is whole, and a reader's build is all remote hits from it.
  await readerHitsAll(t, first.url, ws, plain, 's1', 'against the first server');
});

const readOnly = tmpfsDir('serve-ro', 'ro,size=1m');

t.test('splitcache serve on a read-only dir: one SPLITCACHE_SERVE_IO line, exit 1', { skip: !readOnly && 'no tmpfs (not root)' }, async (t) => {
  const r = await run(BIN, ['serve', '--dir', readOnly!, '--listen', '127.0.0.1:0']);
  t.equal(r.code, 1, 'exits 1');
  t.equal(r.stdout, '', 'and never listened');
  t.equal(r.stderr, `splitcache: SPLITCACHE_SERVE_IO: server dir ${readOnly} cannot be used: EROFS at ${join(readOnly!, 'cas')}\n`, 'one line names the code and why');
});

/** Empty files in `dir` until its file system has no inode left; how many. */
function takeInodes(dir: string): number {
  let n = 0;
  try {
    for (;; n++) closeSync(openSync(join(dir, `inode-${n}`), 'w'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
  return n;
}

const fewInodes = tmpfsDir('serve-inodes', 'size=64m,nr_inodes=400');

t.test('a server out of inodes: its index stays open, and readers still hit', { skip: !fewInodes && 'no tmpfs (not root)' }, async (t) => {
  const serve = await startServe([], fewInodes!);
  t.teardown(() => serve.stop());
  const ws = copyFixture();
  const plain = await plainBinary(t, ws);
  await produce(t, serve.url, ws);
  rmSync(join(ws, 'target'), { recursive: true });
  const taken = takeInodes(fewInodes!);
  // Records written until LevelDB needs a new file (a log past its 4 MiB write buffer): its
  // write fails, and the next write reopens the index, which needs new files too. Before, that
  // reopen failed (SPLITCACHE_SERVE_IO) and left the index closed: every GET a 500 or a 507.
  const statuses: number[] = [];
  for (let i = 1; i <= 5; i++) {
    const body = new Uint8Array(pack({ v: 1, payload: Buffer.alloc(3 << 20, i), sig: null }));
    statuses.push((await fetch(`${serve.url}/ac/${i.toString(16).padStart(32, 'f')}`, { method: 'PUT', body })).status);
  }
  t.ok(statuses.includes(507), `the index's writes were refused as the disk full (${statuses}, ${taken} inodes taken)`);
  await readerHitsAll(t, serve.url, ws, plain, 'i1', 'against a server out of inodes');
  t.notMatch(serve.log(), /SPLITCACHE_SERVE_IO/, 'the index was not closed');
  t.match(serve.log(), /no inodes left/, `the server's log says why it refuses writes (${serve.log().slice(0, 600)})`);
  // Inodes back: the next write reopens the index, and it takes records again.
  for (let i = 0; i < taken; i++) rmSync(join(fewInodes!, `inode-${i}`));
  const again = await fetch(`${serve.url}/ac/${'e'.repeat(32)}`, { method: 'PUT', body: new Uint8Array(pack({ v: 1, payload: Buffer.from('x'), sig: null })) });
  t.equal(again.status, 201, 'with inodes free again, a write is taken');
});

t.test("a server whose index has a damaged table: repaired, one SPLITCACHE_SERVE_IO line in its log, builds go on", async (t) => {
  const dir = tempDir('serve-damaged');
  let serve = await startServe([], dir);
  const ws = copyFixture();
  const plain = await plainBinary(t, ws);
  await produce(t, serve.url, ws);
  // Started again, the server's LevelDB writes its log into a table; then that table is cut short.
  await serve.stop();
  await (await startServe([], dir)).stop();
  const tables = readdirSync(join(dir, 'index')).filter((f) => f.endsWith('.ldb'));
  t.ok(tables.length > 0, `the index has tables (${tables})`);
  for (const f of tables) truncateSync(join(dir, 'index', f), statSync(join(dir, 'index', f)).size >> 1);
  serve = await startServe([], dir);
  t.teardown(() => serve.stop());
  // Before: every request for a key of that table was a 500, for good, and the reader's breaker opened.
  rmSync(join(ws, 'target'), { recursive: true });
  const writer = new Runner({ SPLITCACHE_REMOTE: serve.url, SPLITCACHE_PRODUCER: 'b' });
  t.teardown(() => writer.stop());
  const r = await build(t, writer, ws, plain, 'd1', 'against the damaged index');
  t.same(ours(r), [], `no line: what the damage lost is a miss (${ours(r).join(' | ')})`);
  t.equal((await writer.stats()).remote.skipped ?? 0, 0, 'the breaker stayed closed');
  await writer.stop();
  const lines = serve.log().split('\n').filter((l) => /SPLITCACHE_SERVE_IO/.test(l));
  t.equal(lines.length, 1, `the server says it once (${serve.log().slice(0, 600)})`);
  t.match(lines[0] ?? '', /^splitcache serve: SPLITCACHE_SERVE_IO: server index \S+ is damaged \(.+\); repairing it: what it lost is a miss, and is uploaded again$/, 'naming what it does');
  // The writer uploaded what was lost: a reader hits it all.
  rmSync(join(ws, 'target'), { recursive: true });
  await readerHitsAll(t, serve.url, ws, plain, 'd2', 'a reader after the repair');
});
