import type { Test } from 'tap';
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import { assertOk, copyFixture, run, tempDir, type AuditLine } from './helpers.js';
import { MemoryRemote, remoteHitRate, Runner, seedRemote, startServe } from './remoteHelpers.js';

// Issue 4, what must be shown 4: nothing from the network is trusted. Tampered
// records and blobs are misses, unsigned records are refused under a signing key,
// and a read-only token can't write.
const KEY = 'team-signing-key-for-tests';
const BUILD = ['build', '--bin', 'fx-app'];
const packr = new Packr({ useRecords: false, moreTypes: false });
let seed = new Map<string, Buffer>();
let expected = '';

type Line = AuditLine & { signature?: string };

/** Rewrites every AC record's payload (keeping its now-stale signature), or its envelope. */
function mapRecords(items: Map<string, Buffer>, fn: (env: { payload: Uint8Array; sig: string | null }, rec: Record<string, unknown>) => void) {
  const out = new Map(items);
  for (const [path, body] of items) {
    if (!path.startsWith('/ac/')) continue;
    const env = packr.unpack(body) as { v: 1; payload: Uint8Array; sig: string | null };
    const rec = packr.unpack(env.payload) as Record<string, unknown>;
    fn(env, rec);
    out.set(path, packr.pack(env));
  }
  return out;
}

async function buildAgainst(t: Test, items: Map<string, Buffer>, env: NodeJS.ProcessEnv) {
  const mem = await MemoryRemote.start(items);
  t.teardown(() => mem.close());
  const runner = new Runner({ SPLITCACHE_REMOTE: mem.url, SPLITCACHE_REMOTE_MODE: 'read-only', ...env });
  t.teardown(() => runner.stop());
  const ws = copyFixture();
  assertOk(t, await runner.cargo(ws, BUILD, { SPLITCACHE_SESSION: 's' }), 'the build succeeds');
  t.equal((await run(join(ws, 'target/debug/fx-app'), [])).stdout, expected, 'and its binary is the right one');
  const stats = (await runner.stats()) as Awaited<ReturnType<Runner['stats']>> & { remote: Record<string, number> };
  return { events: (await runner.audit('s')) as Line[], stats, text: (await runner.splitcache(['audit', '--session', 's'])).stdout };
}

t.before(async () => {
  // One upload, reused by every case: runner A fills an in-process remote.
  ({ items: seed, expected } = await seedRemote(BUILD, { SPLITCACHE_SIGNING_KEY: KEY }));
});

t.test('control: signed records verify under the same key', async (t) => {
  const { events, stats, text } = await buildAgainst(t, seed, { SPLITCACHE_SIGNING_KEY: KEY });
  const hits = remoteHitRate(events);
  t.ok(hits.rate >= 0.95, 'remote hits', { notRemote: hits.notRemote, errors: stats.errors });
  t.ok(events.filter((e) => e.origin === 'remote').every((e) => e.signature === 'valid'), "audit: every remote hit's signature was valid");
  const remoteLines = text.split('\n').filter((l) => / hit .* remote from /.test(l));
  t.ok(remoteLines.length > 0 && remoteLines.every((l) => / remote from \S+ \(signature valid\), saved/.test(l)), '`splitcache audit` says so on each remote hit\'s line');
});

t.test('tampered records (entries and input sets) are never hits', async (t) => {
  // Every entry is altered, and every other input set, so both kinds of record are checked.
  // The other input sets carry their entry inline (docs/REMOTE.md): that entry is altered there.
  let inputSets = 0;
  const tamper = (entry: unknown) => {
    // Point every output at the first blob and put words in rustc's mouth.
    const e = entry as { outputs: { digest: string }[]; stderr: Uint8Array };
    for (const o of e.outputs) o.digest = e.outputs[0]!.digest;
    e.stderr = Buffer.from('warning: tampered\n');
  };
  const tampered = mapRecords(seed, (env, rec) => {
    if (rec.kind === 'entry') {
      tamper(rec.entry);
    } else if (inputSets++ % 2 === 0) {
      (rec.inputs as string[]).push('/etc/hostname');
    } else if (rec.entry) {
      tamper((rec.entry as { entry: unknown }).entry);
    } else {
      return;
    }
    env.payload = packr.pack(rec);
  });
  const { events, stats } = await buildAgainst(t, tampered, { SPLITCACHE_SIGNING_KEY: KEY });
  t.equal(remoteHitRate(events).rate, 0, 'no remote hits');
  // The crates without local dependencies find their (tampered) records; their dependants then
  // have other keys than runner A's, because their dependencies' rlibs were rebuilt here.
  const sig = stats.errors.SPLITCACHE_REMOTE_SIGNATURE ?? 0;
  t.ok(sig >= 3, `${sig} lookups found a record and refused its signature`);
  t.equal(stats.remote.errors, sig, 'and no other remote error happened');
  // The dependants' keys are not runner A's: the remote has nothing under them (remote-new-key).
  const remoteCauses = events.flatMap((e) => (e.reason ?? '').split(',').filter((r) => r.startsWith('remote-') && r !== 'remote-new-key'));
  t.ok(remoteCauses.length > 0 && remoteCauses.every((r) => r === 'remote-signature'), `the misses' audit events say remote-signature (${remoteCauses.join(', ')})`);
});

t.test('unsigned records are refused when a signing key is set', async (t) => {
  const unsigned = mapRecords(seed, (env) => {
    env.sig = null;
  });
  const { events, stats } = await buildAgainst(t, unsigned, { SPLITCACHE_SIGNING_KEY: KEY });
  t.equal(remoteHitRate(events).rate, 0, 'no remote hits');
  t.ok((stats.errors.SPLITCACHE_REMOTE_SIGNATURE ?? 0) >= 1, 'counted as SPLITCACHE_REMOTE_SIGNATURE');
  t.ok(events.some((e) => e.outcome === 'miss' && e.reason?.includes('remote-signature')), 'audited as remote-signature');
});

t.test('a tampered blob is never a hit, signing key or not', async (t) => {
  const flipped = new Map(seed);
  for (const [path, body] of seed) {
    if (!path.startsWith('/cas/')) continue;
    const b = Buffer.from(body);
    b[b.length >> 1]! ^= 0x01;
    flipped.set(path, b);
  }
  const { events, stats } = await buildAgainst(t, flipped, {});
  t.equal(remoteHitRate(events).rate, 0, 'no remote hits');
  t.ok((stats.errors.SPLITCACHE_REMOTE_DIGEST ?? 0) >= 1, 'counted as SPLITCACHE_REMOTE_DIGEST');
});

t.test('tokens: a read-only token reads but cannot write', async (t) => {
  // (A runner whose uploads get 403 counts SPLITCACHE_REMOTE_AUTH and drops them: uploadQueue.ts.)
  const tokens = join(tempDir('tokens'), 'tokens');
  writeFileSync(tokens, '# token scope name\nro-secret-1 read pr-runners\nrw-secret-2 read-write main-ci\n');
  const serve = await startServe(['--tokens', tokens]);
  t.teardown(() => serve.stop());
  const [blobPath, blob] = [...seed].find(([p]) => p.startsWith('/cas/'))!;
  const put = (token?: string) =>
    fetch(serve.url + blobPath, { method: 'PUT', body: new Uint8Array(blob), headers: token ? { authorization: `Bearer ${token}` } : {} }).then((r) => r.status);
  t.equal(await put(), 401, 'no token: 401');
  t.equal(await put('guessed'), 401, 'unknown token: 401');
  t.equal(await put('ro-secret-1'), 403, 'read-only token: 403');
  t.equal((await fetch(serve.url + '/status')).status, 401, '/status needs a token too');
  t.equal((await serve.status('ro-secret-1')).entries, 0, 'nothing was written');

  // The main CI token writes (here: the seed, PUT as is); the read-only runner then hits.
  for (const [p, body] of seed) {
    const r = await fetch(serve.url + p, { method: 'PUT', body: new Uint8Array(body), headers: { authorization: 'Bearer rw-secret-2' } });
    if (r.status !== 201) t.fail(`PUT ${p}: ${r.status}`);
  }
  const { entries } = await serve.status('rw-secret-2');
  t.equal(entries, seed.size, 'the read-write token wrote everything');
  const reader = new Runner({ SPLITCACHE_REMOTE: serve.url, SPLITCACHE_REMOTE_TOKEN: 'ro-secret-1', SPLITCACHE_REMOTE_MODE: 'read-only' });
  t.teardown(() => reader.stop());
  assertOk(t, await reader.cargo(copyFixture(), BUILD, { SPLITCACHE_SESSION: 'r' }));
  const read = remoteHitRate(await reader.audit('r'));
  t.ok(read.rate >= 0.95, 'the read-only token reads', { notRemote: read.notRemote, errors: (await reader.stats()).errors });
  const st = await serve.status('rw-secret-2');
  t.ok(st.clients['pr-runners']!.hits > 0 && st.clients['main-ci']!.puts > 0, '/status names clients by token name');

  // The reader's token on a runner left in read-write mode: its uploads are refused, and the job says so once.
  const writer = new Runner({ SPLITCACHE_REMOTE: serve.url, SPLITCACHE_REMOTE_TOKEN: 'ro-secret-1' });
  t.teardown(() => writer.stop());
  const ws = copyFixture();
  writeFileSync(join(ws, 'util/src/lib.rs'), `${readFileSync(join(ws, 'util/src/lib.rs'), 'utf8')}// a change of its own\n`);
  const build = await writer.cargo(ws, BUILD);
  assertOk(t, build, 'a read-write runner with the read-only token builds');
  const stop = await writer.splitcache(['server', 'stop']);
  const said = `${build.stderr}${stop.stderr}`.split('\n').filter((l) => l.includes('SPLITCACHE_REMOTE'));
  t.equal(said.length, 1, `one line in the job (${said.join(' / ')})`);
  t.match(said[0], /^splitcache: SPLITCACHE_REMOTE_AUTH: an upload to the remote was dropped: PUT \/(cas|ac)\/[0-9a-f]{32}: 403 \(check SPLITCACHE_REMOTE_TOKEN, or the user and password in SPLITCACHE_REMOTE's URL; a token that may only read wants SPLITCACHE_REMOTE_MODE=read-only\)$/, 'naming the status and the setting');

  // A token read from a CRLF file (`$(cat token.txt)` keeps the \r): undici refused the header, each
  // refused request held a slot of its pool, and from the ninth on a lookup never ended: the build
  // hung. Blanks around a token are dropped; one with a control character inside is not used.
  const crlf = new Runner({ SPLITCACHE_REMOTE: serve.url, SPLITCACHE_REMOTE_TOKEN: 'ro-secret-1\r', SPLITCACHE_REMOTE_MODE: 'read-only' });
  t.teardown(() => crlf.stop());
  assertOk(t, await crlf.cargo(copyFixture(), BUILD, { SPLITCACHE_SESSION: 'crlf' }), 'a runner whose token ends in \\r builds');
  t.ok(remoteHitRate(await crlf.audit('crlf')).rate >= 0.95, 'and reads with it');
  const broken = new Runner({ SPLITCACHE_REMOTE: serve.url, SPLITCACHE_REMOTE_TOKEN: 'ro-secret-1\nro-secret-1', SPLITCACHE_REMOTE_MODE: 'read-only' });
  t.teardown(() => broken.stop());
  const b = await broken.cargo(copyFixture(), BUILD);
  assertOk(t, b, 'a runner whose token holds a line break builds, uncached by the remote');
  t.match(b.stderr, /^splitcache: SPLITCACHE_CONFIG: SPLITCACHE_REMOTE_TOKEN holds a control character \(a line break, a tab\); it is not used$/m, 'one line says the token is not used');
  t.notMatch(b.stderr, /ro-secret/, 'without showing it');
});

t.test('after a key rotation, a writer with the new key republishes, and readers with the new key hit', async (t) => {
  // Records were kept by the first writer: the old key's stayed, a miss for every reader with
  // the new key for good, and the new writer's uploads went nowhere (yet counted as uploads).
  const serve = await startServe();
  t.teardown(() => serve.stop());
  const runner = (key: string, mode: string, producer: string) => {
    const r = new Runner({ SPLITCACHE_REMOTE: serve.url, SPLITCACHE_REMOTE_MODE: mode, SPLITCACHE_SIGNING_KEY: key, SPLITCACHE_PRODUCER: producer });
    t.teardown(() => r.stop());
    return r;
  };
  const build = async (r: Runner, what: string) => {
    const ws = copyFixture();
    assertOk(t, await r.cargo(ws, BUILD, { SPLITCACHE_SESSION: 's' }), `${what} builds`);
    t.equal((await run(join(ws, 'target/debug/fx-app'), [])).stdout, expected, `${what}: its binary is the right one`);
    await r.splitcache(['server', 'stop']); // its uploads flushed, as at the end of a CI job
    return r;
  };
  await build(runner(KEY, 'read-write', 'old-key'), 'a writer with the old key');
  const rotated = await build(runner(`${KEY}-rotated`, 'read-write', 'new-key'), 'a writer with the new key');
  const uploads = ((await rotated.stats()) as unknown as { remote: Record<string, number> }).remote;
  t.ok((uploads.uploads ?? 0) >= 1, `the new key's writer published (${JSON.stringify(uploads)})`);
  const reader = runner(`${KEY}-rotated`, 'read-only', 'reader');
  await build(reader, 'a reader with the new key');
  const { rate, notRemote } = remoteHitRate(await reader.audit('s'));
  t.equal(rate, 1, `every call a remote hit (not: ${notRemote.join(', ') || 'none'})`);
  t.ok((await reader.audit('s')).filter((e) => e.outcome === 'hit').every((e) => (e as Line).producer === 'new-key' && (e as Line).signature === 'valid'), 'from the new key, signature valid');
});
