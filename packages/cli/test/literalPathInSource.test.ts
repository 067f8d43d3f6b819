import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, Store, tempDir } from './helpers.js';

// A warning quotes the source line it points at. A line holding a path under one of the call's
// prefixes as a literal (the temp dir's; the checkout's) was stored with a placeholder in the quote, and a
// hit under another TMPDIR showed that checkout's temp dir in a line no file holds. Compared with
// plain cargo in the consumer's own state.

const quoted = (stderr: string) => stderr.split('\n').filter((l) => /app\.sock|\/data"/.test(l));

t.test("a hit in another checkout, under another TMPDIR, quotes a source's literal paths as the source has them", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const producerTmp = tempDir('tmp-a');
  const consumerTmp = tempDir('tmp-b');
  // The producer's checkout path written in too: a test's hard-coded data dir.
  const a = tempDir('literal-a');
  const b = tempDir('literal-b');
  for (const dir of [a, b]) {
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'Cargo.toml'), '[package]\nname = "sock"\nversion = "0.1.0"\nedition = "2021"\n');
    writeFileSync(join(dir, 'src/lib.rs'), `pub fn socket() -> &'static str {\n    let mut p = "${producerTmp}/app.sock";\n    p\n}\npub fn data() -> &'static str {\n    let mut d = "${a}/data";\n    d\n}\n`);
  }
  const plain = await run('cargo', ['build'], { cwd: b, env: { ...process.env, CARGO_INCREMENTAL: '0', CARGO_TERM_COLOR: 'never', CARGO_TARGET_DIR: join(tempDir('plain-target'), 't'), TMPDIR: consumerTmp } });
  t.equal(plain.code, 0, 'plain cargo builds');
  t.same(quoted(plain.stderr), [`2 |     let mut p = "${producerTmp}/app.sock";`, `6 |     let mut d = "${a}/data";`], 'and quotes the lines as the source has them (else this case shows nothing)');

  t.equal((await store.cargo(a, ['build'], { TMPDIR: producerTmp, SPLITCACHE_SESSION: 'a' })).code, 0, 'the producer builds');
  const r = await store.cargo(b, ['build'], { TMPDIR: consumerTmp, SPLITCACHE_SESSION: 'b' });
  t.equal(r.code, 0, 'the consumer builds');
  t.same((await store.calls('b')).map((e) => e.outcome), ['hit'], 'a hit');
  t.same(quoted(r.stderr), quoted(plain.stderr), "its warnings quote the lines as plain cargo's do");
});

t.test("checkouts inside their TMPDIRs: a warned line holding the producer's checkout path is quoted as written", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const producerTmp = tempDir('tmp-a');
  const consumerTmp = tempDir('tmp-b');
  // The checkout lies under the temp dir, a shorter prefix: left out as the checkout's, the path was stored under that one.
  const a = join(producerTmp, 'ws');
  const b = join(consumerTmp, 'ws');
  for (const dir of [a, b]) {
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'Cargo.toml'), '[package]\nname = "sock"\nversion = "0.1.0"\nedition = "2021"\n');
    writeFileSync(join(dir, 'src/lib.rs'), `pub fn data() -> &'static str {\n    let mut d = "${a}/data";\n    d\n}\n`);
  }
  const plain = await run('cargo', ['build'], { cwd: b, env: { ...process.env, CARGO_INCREMENTAL: '0', CARGO_TERM_COLOR: 'never', CARGO_TARGET_DIR: join(tempDir('plain-target'), 't'), TMPDIR: consumerTmp } });
  t.equal(plain.code, 0, 'plain cargo builds');
  t.same(quoted(plain.stderr), [`2 |     let mut d = "${a}/data";`], 'and quotes the line as the source has it');
  t.equal((await store.cargo(a, ['build'], { TMPDIR: producerTmp, SPLITCACHE_SESSION: 'a' })).code, 0, 'the producer builds');
  const r = await store.cargo(b, ['build'], { TMPDIR: consumerTmp, SPLITCACHE_SESSION: 'b' });
  t.equal(r.code, 0, 'the consumer builds');
  t.same((await store.calls('b')).map((e) => e.outcome), ['hit'], 'a hit');
  t.same(quoted(r.stderr), quoted(plain.stderr), "its warning quotes the line as plain cargo's does");
});
